#include "actors/cache.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

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
                                        std::shared_ptr<metrics> m) {
  if (cfg.redis_url.empty()) {
    self->state.backend = std::make_unique<storage::memory_cache>(cfg.memory_bytes);
    self->state.in_process = true;
  } else {
    self->state.backend =
        storage::make_redis_cache(storage::parse_redis_url(cfg.redis_url), cfg.command_timeout);
  }
  return {
      [=](cache_lookup& l) -> cache_entry {
        auto entry = guarded(self, *m, [&] {
          // A scope seen for the first time (or whose version key was evicted) starts at the
          // current time in microseconds: above any version an older entry could carry.
          return self->state.backend->versioned_get("global:" + l.scope + ":version", micros_now(),
                                                    "global:" + l.scope + ":", l.suffix,
                                                    cfg.scope_ttl);
        });
        if (!entry) return cache_entry{};
        (entry->second ? m->cache_hits_total : m->cache_misses_total).Increment();
        return cache_entry{entry->first, std::move(entry->second)};
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
      [=](cache_bump& b) -> bool {
        return guarded(self, *m,
                       [&] {
                         std::vector<std::string> keys;
                         for (const auto& scope : b.scopes)
                           keys.push_back("global:" + scope + ":version");
                         self->state.backend->bump(keys, cfg.scope_ttl);
                         return true;
                       })
            .has_value();
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

struct supervisor_state {
  std::vector<cache_actor> workers;
  size_t next = 0;
  static inline const char* name = "cache";
};

cache_actor::behavior_type cache_supervisor(cache_actor::stateful_pointer<supervisor_state> self,
                                            cache_config cfg, std::shared_ptr<metrics> m) {
  bool redis = !cfg.redis_url.empty();
  size_t n = redis ? static_cast<size_t>(cfg.connections) : 1;
  for (size_t i = 0; i < n; ++i) {
    auto w = redis ? self->home_system().spawn<caf::detached>(cache_worker, cfg, m)
                   : self->home_system().spawn(cache_worker, cfg, m);
    self->link_to(w);
    self->state.workers.push_back(w);
  }
  m->cache_pool_size.Set(static_cast<double>(n));
  // Round robin: every worker's mailbox is its queue, and each command is bounded by REDIS_TIMEOUT.
  auto pick = [self]() -> cache_actor& {
    auto& st = self->state;
    return st.workers[st.next++ % st.workers.size()];
  };
  return {
      [=](cache_lookup& l) { return self->delegate(pick(), std::move(l)); },
      [=](cache_store& s) { self->send(pick(), std::move(s)); },
      [=](cache_bump& b) { return self->delegate(pick(), std::move(b)); },
      [=](rate_hit& h) { return self->delegate(pick(), std::move(h)); },
      [=](probe_atom a) { return self->delegate(pick(), a); },
      [=](status_atom) -> cache_status {
        return cache_status{redis, static_cast<int64_t>(self->state.workers.size()),
                            static_cast<int64_t>(m->cache_pool_in_use.Value()),
                            static_cast<int64_t>(self->mailbox().size())};
      },
  };
}

}  // namespace

cache_actor spawn_cache(caf::actor_system& sys, cache_config cfg, std::shared_ptr<metrics> m) {
  return sys.spawn(cache_supervisor, std::move(cfg), std::move(m));
}

}  // namespace vutf
