#include "actors/cache.hpp"

#include <poll.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <charconv>
#include <deque>

#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "storage/cache.hpp"

namespace vutf {
namespace {

// After a failure a worker answers misses at once for this long instead of waiting on a dead
// Redis for every request; then the next command tries (and reconnects) again.
constexpr auto backoff = std::chrono::seconds(1);

int64_t micros_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string value_key(const std::string& scope, int64_t version, const std::string& suffix) {
  return "global:" + scope + ":" + std::to_string(version) + ":" + suffix;
}

std::string write_mark_key(const std::string& caller) {
  return "lastwrite:" + caller;
}

struct worker_state {
  std::unique_ptr<storage::cache_backend> backend;
  clock::time_point down_until{};
  bool in_process = false;
  static inline const char* name = "cache_worker";
};

using worker_pointer = cache_actor::stateful_pointer<worker_state>;

// Runs `op` against the backend, counting it as in use; nullopt when the cache cannot answer.
template <class F>
auto guarded(worker_pointer self, metrics& m, F op) -> std::optional<decltype(op())> {
  auto& st = self->state;
  if (clock::now() < st.down_until) {
    m.cache_errors_total.Increment();
    return std::nullopt;
  }
  m.cache_pool_in_use.Increment();
  try {
    auto v = op();
    m.cache_pool_in_use.Decrement();
    return v;
  } catch (const std::exception& e) {
    m.cache_pool_in_use.Decrement();
    m.cache_errors_total.Increment();
    if (st.down_until == clock::time_point{} || clock::now() - st.down_until > backoff)
      log::warning("cache unavailable; serving misses", {{"error", e.what()}});
    st.down_until = clock::now() + backoff;
    return std::nullopt;
  }
}

cache_actor::behavior_type cache_worker(worker_pointer self, cache_config cfg,
                                        std::shared_ptr<metrics> m,
                                        std::shared_ptr<storage::tracking_redirect> redirect) {
  if (cfg.redis_url.empty()) {
    self->state.backend = std::make_unique<storage::memory_cache>(cfg.memory_bytes);
    self->state.in_process = true;
  } else {
    self->state.backend = storage::make_redis_cache(storage::parse_redis_url(cfg.redis_url),
                                                    cfg.command_timeout, std::move(redirect));
  }
  return {
      [=](cache_lookup& l) -> cache_entry {
        auto entry = guarded(self, *m, [&] {
          // A scope seen for the first time (or whose version key expired) starts at the
          // current time in microseconds: above any version an older entry could carry.
          return self->state.backend->versioned_get("global:" + l.scope + ":version", micros_now(),
                                                    "global:" + l.scope + ":", l.suffix,
                                                    cfg.scope_ttl);
        });
        if (!entry) return cache_entry{};
        (entry->second ? m->cache_hits_total : m->cache_misses_total).Increment();
        return cache_entry{entry->first, std::move(entry->second), self->state.backend->tracked()};
      },
      [=](cache_store& s) {
        guarded(self, *m, [&] {
          self->state.backend->set(value_key(s.scope, s.version, s.suffix), s.value, s.ttl);
          return true;
        });
      },
      [=](rate_hit& h) -> rate_count {
        auto counted =
            guarded(self, *m, [&] { return self->state.backend->hit(h.key, h.window, h.by); });
        if (!counted) return rate_count{};
        return rate_count{counted->count, counted->reset_s};
      },
      [=](write_mark& w) -> bool {
        return guarded(self, *m,
                       [&] {
                         self->state.backend->raise(write_mark_key(w.caller), w.at_ms, w.ttl);
                         return true;
                       })
            .has_value();
      },
      [=](write_mark_lookup& l) -> write_mark_seen {
        auto seen =
            guarded(self, *m, [&] { return self->state.backend->get(write_mark_key(l.caller)); });
        if (!seen) return write_mark_seen{};
        if (!*seen) return write_mark_seen{true, std::nullopt};
        int64_t at_ms = 0;
        const std::string& text = **seen;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), at_ms);
        // Not a mark this service wrote: as unknown, which sends the read to the primary.
        if (ec != std::errc{} || end != text.data() + text.size()) return write_mark_seen{};
        return write_mark_seen{true, at_ms};
      },
      [=](cache_bump& b) -> cache_bumped {
        auto versions = guarded(self, *m, [&] {
          std::vector<std::string> keys;
          for (const auto& scope : b.scopes) keys.push_back("global:" + scope + ":version");
          return self->state.backend->bump(keys, cfg.scope_ttl);
        });
        cache_bumped out{versions ? std::move(*versions)
                                  : std::vector<int64_t>(b.scopes.size(), 0)};
        if (cfg.lists) apply_moves(*cfg.lists, b.lists, out.versions);
        return out;
      },
      [=](probe_atom) -> dependency_check {
        if (self->state.in_process) return dependency_check{"in-process", 0};
        auto start = clock::now();
        self->state.down_until = {};  // a probe always asks the real backend
        bool up = guarded(self, *m, [&] {
                    self->state.backend->ping();
                    return true;
                  }).has_value();
        double ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
        return dependency_check{up ? "up" : "down", ms};
      },
      [=](status_atom) -> cache_status { return cache_status{}; },
  };
}

// What the invalidation listener shares with the near cache's fence.
struct listener_link {
  std::atomic<int> fd{-1};        // the invalidation connection's socket (-1: none)
  std::atomic<bool> busy{false};  // reading or applying invalidations now
};

// True when no invalidation can be waiting unapplied: nothing unread on the invalidation
// connection and the listener not in the middle of applying what it read. A poll with no
// timeout: it never blocks. Redis writes an invalidation message before the reply to the write
// that caused it, so by the time the writer's client sends its next request, the message is
// on this socket (or applied): the next request sees the write.
bool settled(const listener_link& l) {
  int fd = l.fd.load();
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 0) return false;
  return !l.busy.load();
}

// How long the listener waits for messages at a time (and so how soon it sees a stop), and
// after how long without one it checks the connection with a PING.
constexpr auto listen_slice = std::chrono::milliseconds(100);
constexpr auto ping_after = std::chrono::seconds(5);

// The scope of a version key ("global:<scope>:version"); nullopt for any other key (entries
// under a version never change, so their invalidation means nothing to the near cache).
std::optional<std::string> scope_of(const std::string& key) {
  static const std::string head = "global:", tail = ":version";
  if (key.size() <= head.size() + tail.size() || key.compare(0, head.size(), head) != 0 ||
      key.compare(key.size() - tail.size(), tail.size(), tail) != 0)
    return std::nullopt;
  return key.substr(head.size(), key.size() - head.size() - tail.size());
}

struct listener_state {
  std::unique_ptr<storage::invalidation_channel> channel;
  bool open = false;
  uint64_t generation = 0;
  bool warned = false;
  static inline const char* name = "cache_invalidations";
};

// The invalidation listener (detached: it blocks in poll, a slice at a time). It subscribes a
// connection to __redis__:invalidate, publishes its client id for the workers' CLIENT TRACKING
// ... REDIRECT, applies every invalidation to the near cache, and on losing the connection
// flushes the near cache and bypasses it until a new connection is subscribed.
caf::behavior invalidation_listener(caf::stateful_actor<listener_state>* self, cache_config cfg,
                                    std::shared_ptr<storage::tracking_redirect> redirect,
                                    std::shared_ptr<listener_link> link,
                                    std::shared_ptr<metrics> m) {
  self->state.channel = std::make_unique<storage::invalidation_channel>(
      storage::parse_redis_url(cfg.redis_url), cfg.command_timeout, ping_after);
  auto near = cfg.near;
  auto lists = cfg.lists;
  auto apply = [near, lists, m](const std::optional<std::vector<std::string>>& keys) {
    if (!keys) {  // Redis dropped every key
      near->flush();
      if (lists) lists->clear();
      m->near_cache_flushes_total.Increment();
      return;
    }
    for (const auto& key : *keys)
      if (auto scope = scope_of(key)) {
        near->invalidate(*scope);
        m->near_cache_invalidations_total.Increment();
      }
  };
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        auto& st = self->state;
        if (!st.open) {
          try {
            int64_t id = st.channel->open();
            st.open = true;
            link->fd = st.channel->fd();
            redirect->set(++st.generation, id);
            near->resume(st.generation);
            m->near_cache_active.Set(1);
            st.warned = false;
            log::info("near cache serving", {{"invalidation_client", id}});
          } catch (const std::exception& e) {
            if (!st.warned)
              log::warning("near cache bypassed: no invalidation connection",
                           {{"error", e.what()}});
            st.warned = true;
            self->delayed_send(self, backoff, tick_atom::value);
            return;
          }
        }
        try {
          st.channel->receive(listen_slice, link->busy, apply);
        } catch (const std::exception& e) {
          // Bypass first, then let go of the socket: the fence never vouches for a closed one.
          near->bypass();
          if (cfg.lists) cfg.lists->clear();
          link->fd = -1;
          st.channel->close();
          st.open = false;
          m->near_cache_flushes_total.Increment();
          m->near_cache_active.Set(0);
          log::warning("near cache bypassed: invalidation connection lost", {{"error", e.what()}});
          st.warned = true;
        }
        self->send(self, tick_atom::value);
      },
  };
}

// A write's bump waiting to go out with the next batch.
struct held_bump {
  cache_bump bump;
  caf::typed_response_promise<cache_bumped> rp;
};

struct supervisor_state {
  std::vector<cache_actor> workers;
  size_t next = 0;
  // Bumps arriving while bump_batches_in_flight batches are out, sent together when one returns.
  std::deque<held_bump> held;
  size_t batches_in_flight = 0;
  static inline const char* name = "cache";
  // Round robin: every worker's mailbox is its queue, and each command is bounded by
  // REDIS_TIMEOUT.
  cache_actor& pick() { return workers[next++ % workers.size()]; }
};

// Batches of bumps out at once. A bump that finds them all out waits for one to return (its
// script and, with a near cache, a PING: bounded by REDIS_TIMEOUT) and goes with the bumps that
// arrived meanwhile, as one script: under a stream of writes, one round trip and one worker's
// wake-up serve many writes (group commit of the cache's side of a write). Below it, a bump goes
// out at once, alone.
constexpr size_t bump_batches_in_flight = 2;
// Writes' bumps in one script at most: a burst held behind a slow Redis goes in several, so no
// script blocks Redis for long, and one failure zeroes (drops the list keys of) fewer writers.
constexpr size_t bumps_per_batch = 256;

// Drops `scopes` from the near cache; counted once per write.
void invalidate_near(const cache_config& cfg, metrics& m, const std::vector<std::string>& scopes,
                     bool count) {
  if (!cfg.near) return;
  for (const auto& scope : scopes) {
    cfg.near->invalidate(scope);
    if (count) m.near_cache_invalidations_total.Increment();
  }
}

// Sends every held bump as one batch to the next worker; each writer gets its own scopes'
// versions (the script bumps a scope named twice twice, so two writes never share a version).
// Once it is answered, the bumps held meanwhile go out.
void send_held_bumps(cache_actor::stateful_pointer<supervisor_state> self, const cache_config& cfg,
                     const std::shared_ptr<metrics>& m) {
  auto& st = self->state;
  std::vector<size_t> sizes;  // each writer's share of the scopes, in order
  std::vector<caf::typed_response_promise<cache_bumped>> writers;
  cache_bump batch;
  for (size_t i = 0; i < bumps_per_batch && !st.held.empty(); ++i) {
    held_bump& b = st.held.front();
    for (auto& l : b.bump.lists) {
      l.scope += batch.scopes.size();
      batch.lists.push_back(std::move(l));
    }
    sizes.push_back(b.bump.scopes.size());
    writers.push_back(std::move(b.rp));
    batch.scopes.insert(batch.scopes.end(), b.bump.scopes.begin(), b.bump.scopes.end());
    st.held.pop_front();
  }
  ++st.batches_in_flight;
  if (writers.size() >= 2) {
    m->cache_bump_batches_total.Increment();
    m->cache_batched_bumps_total.Increment(static_cast<double>(writers.size()));
  }
  auto answer = [self, cfg, m, scopes = batch.scopes, sizes,
                 writers](const std::vector<int64_t>& versions) mutable {
    // The near cache drops the scopes again now that the shared cache has bumped them (see
    // cache_bump below).
    invalidate_near(cfg, *m, scopes, false);
    size_t at = 0;
    for (size_t w = 0; w < writers.size(); ++w) {
      cache_bumped mine{std::vector<int64_t>(sizes[w], 0)};
      for (size_t i = 0; i < sizes[w]; ++i, ++at)
        if (at < versions.size()) mine.versions[i] = versions[at];
      writers[w].deliver(std::move(mine));
    }
    --self->state.batches_in_flight;
    while (!self->state.held.empty() && self->state.batches_in_flight < bump_batches_in_flight)
      send_held_bumps(self, cfg, m);
  };
  auto moves = batch.lists;
  self->request(st.pick(), caf::infinite, std::move(batch))
      .then([answer](cache_bumped& done) mutable { answer(done.versions); },
            [answer, cfg, moves](caf::error&) mutable {
              // The connection never answered, so it applied nothing: the keys cannot stay.
              if (cfg.lists) apply_moves(*cfg.lists, moves, {});
              answer({});
            });
}

cache_actor::behavior_type cache_supervisor(cache_actor::stateful_pointer<supervisor_state> self,
                                            cache_config cfg, std::shared_ptr<metrics> m,
                                            std::shared_ptr<storage::tracking_redirect> redirect,
                                            std::shared_ptr<listener_link> link) {
  bool redis = !cfg.redis_url.empty();
  size_t n = redis ? static_cast<size_t>(cfg.connections) : 1;
  if (!cfg.near) redirect.reset();  // nothing to keep exact: no tracking
  for (size_t i = 0; i < n; ++i) {
    auto w = redis ? self->home_system().spawn<caf::detached>(cache_worker, cfg, m, redirect)
                   : self->home_system().spawn(cache_worker, cfg, m, redirect);
    self->link_to(w);
    self->state.workers.push_back(w);
  }
  if (redis && cfg.near) {
    self->link_to(
        self->home_system().spawn<caf::detached>(invalidation_listener, cfg, redirect, link, m));
  } else if (cfg.near) {
    m->near_cache_active.Set(1);  // in-process: every invalidation is local
  }
  m->cache_pool_size.Set(static_cast<double>(n));
  auto pick = [self]() -> cache_actor& { return self->state.pick(); };
  return {
      [=](cache_lookup& l) { return self->delegate(pick(), std::move(l)); },
      [=](cache_store& s) { self->send(pick(), std::move(s)); },
      [=](cache_bump& b) {
        // The near cache drops the scopes before the shared cache bumps them, and again once it
        // has: a read on this instance that fetched the old version in between cannot stay.
        invalidate_near(cfg, *m, b.scopes, true);
        auto& st = self->state;
        auto rp = self->make_response_promise<cache_bumped>();
        st.held.push_back(held_bump{std::move(b), rp});
        if (st.batches_in_flight < bump_batches_in_flight) send_held_bumps(self, cfg, m);
        return rp;
      },
      [=](rate_hit& h) { return self->delegate(pick(), std::move(h)); },
      [=](write_mark& w) { return self->delegate(pick(), std::move(w)); },
      [=](write_mark_lookup& l) { return self->delegate(pick(), std::move(l)); },
      [=](probe_atom a) { return self->delegate(pick(), a); },
      [=](status_atom) -> cache_status {
        return cache_status{
            redis,
            static_cast<int64_t>(self->state.workers.size()),
            static_cast<int64_t>(m->cache_pool_in_use.Value()),
            static_cast<int64_t>(self->mailbox().size()),
            cfg.near && cfg.near->active(),
            cfg.near && redis && cfg.near->active() ? redirect->current().second : 0,
            cfg.near ? static_cast<int64_t>(cfg.near->size()) : 0,
            cfg.lists ? static_cast<int64_t>(cfg.lists->keys()) : 0};
      },
  };
}

}  // namespace

void near_link::count_hit() const {
  m->near_cache_hits_total.Increment();
  m->cache_hits_total.Increment();
}

void near_link::count_miss() const {
  m->near_cache_misses_total.Increment();
  if (local) m->cache_misses_total.Increment();
}

void apply_moves(storage::list_index& lists, const std::vector<list_move>& moves,
                 const std::vector<int64_t>& versions) {
  for (const auto& l : moves)
    lists.apply(l.owner, l.scope < versions.size() ? versions[l.scope] : 0, l.change);
}

cache_actor spawn_cache(caf::actor_system& sys, cache_config cfg, std::shared_ptr<metrics> m) {
  auto redirect = std::make_shared<storage::tracking_redirect>();
  auto link = std::make_shared<listener_link>();
  // Set before any request can read the near cache: its fence is the listener's socket.
  if (cfg.near && !cfg.redis_url.empty()) cfg.near->set_fence([link] { return settled(*link); });
  return sys.spawn(cache_supervisor, std::move(cfg), std::move(m), std::move(redirect),
                   std::move(link));
}

}  // namespace vutf
