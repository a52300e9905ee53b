#include "actors/db_pool.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/log.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

constexpr auto tick_interval = std::chrono::milliseconds(50);

// A connection that has not answered this long after its call's deadline is stuck (the database
// aborts statements at the deadline, a reconnect gives up after connect_timeout): it is given up
// and replaced, and exits whenever its call returns.
constexpr auto connection_grace = std::chrono::seconds(10);

// ---- connection actor: one blocking connection on a thread of its own ----

struct connection_state {
  std::unique_ptr<storage::connection> conn;
  static inline const char* name = "db_connection";
};

// What a client may see of a database failure: never SQL, paths or exception text.
const char* client_detail(errc code) {
  switch (code) {
    case errc::request_timeout:
      return "The request took longer than REQUEST_TIMEOUT.";
    case errc::db_unavailable:
      return "The database is unavailable.";
    case errc::conflict:
      return "The change conflicts with an existing record.";
    default:
      return "An internal error occurred.";
  }
}

db_connection_actor::behavior_type db_connection(
    db_connection_actor::stateful_pointer<connection_state> self, db_pool_config cfg,
    std::shared_ptr<metrics> m) {
  return {
      [=](db_call& call) -> db_result {
        auto& conn = self->state.conn;
        for (int attempt = 0;; ++attempt) {
          bool was_open = conn && conn->alive();
          try {
            if (!conn) {
              conn = storage::connect(cfg.url, cfg.connect);
            } else if (!conn->alive()) {
              conn->reconnect();
            }
            auto start = clock::now();
            conn->transact(call.mode, call.deadline, call.work);
            m->db_statement_duration_seconds.with({call.statement})
                .Observe(std::chrono::duration<double>(clock::now() - start).count());
            return db_result{};
          } catch (const storage::db_error& e) {
            // A connection that was open but turns out dead (the database restarted) is reopened
            // once and the call retried: callers should not see a restart they did not cause.
            if (e.code == errc::db_unavailable && was_open && attempt == 0 &&
                clock::now() < call.deadline)
              continue;
            if (e.code != errc::conflict && cfg.log_failures)
              log::warning("database call failed", {{"statement", call.statement},
                                                    {"code", error_code(e.code)},
                                                    {"error", e.what()}});
            return db_result{failure{e.code, client_detail(e.code), {}}};
          } catch (const std::exception& e) {
            log::error("database call failed",
                       {{"statement", call.statement}, {"error", e.what()}});
            return db_result{
                failure{errc::internal_error, client_detail(errc::internal_error), {}}};
          }
        }
      },
  };
}

// ---- pool supervisor ----

struct pooled {
  db_connection_actor actor;
  bool overflow = false;
  bool busy = false;
  clock::time_point idle_since = clock::now();
  clock::time_point stuck_after;  // while busy: its call's deadline plus connection_grace
  const char* statement = "";     // while busy: the statement of its call, for the log
};

struct waiter {
  db_call call;
  caf::typed_response_promise<db_result> rp;
  clock::time_point pool_deadline;
};

struct running {
  caf::typed_response_promise<db_result> rp;
  clock::time_point deadline;
};

struct pool_state {
  db_pool_config cfg;
  std::shared_ptr<metrics> m;
  std::vector<pooled> conns;
  std::deque<waiter> waiters;
  std::unordered_map<uint64_t, running> in_flight;
  std::unordered_set<std::string> keys_in_flight;  // batch keys of the writes running now
  uint64_t next_id = 0;
  static inline const char* name = "db_pool";
};

using pool_pointer = db_pool_actor::stateful_pointer<pool_state>;

db_result failed(errc code, const char* detail) {
  return db_result{failure{code, detail, {}}};
}

pool_status status_of(pool_pointer self) {
  const auto& cfg = self->state.cfg;
  pool_status s;
  s.size = cfg.size;
  s.max_overflow = cfg.max_overflow;
  for (const auto& c : self->state.conns) {
    s.in_use += c.busy;
    s.idle += !c.busy;
    s.overflow_in_use += c.overflow;
  }
  s.waiting = static_cast<int64_t>(self->state.waiters.size());
  return s;
}

void publish(pool_pointer self) {
  if (!self->state.cfg.publish_gauges) return;
  auto& m = *self->state.m;
  pool_status s = status_of(self);
  m.db_pool_in_use.Set(s.in_use);
  m.db_pool_idle.Set(s.idle);
  m.db_pool_overflow_in_use.Set(s.overflow_in_use);
  m.db_pool_waiting.Set(s.waiting);
}

pooled& add_connection(pool_pointer self, bool overflow) {
  auto a = self->home_system().spawn<caf::detached>(db_connection, self->state.cfg, self->state.m);
  self->link_to(a);  // dies with the pool; its death reaches our exit handler
  self->state.conns.push_back(pooled{a, overflow, false, clock::now(), {}});
  return self->state.conns.back();
}

std::vector<pooled>::iterator find_connection(pool_pointer self, const caf::actor_addr& addr) {
  auto& conns = self->state.conns;
  return std::find_if(conns.begin(), conns.end(),
                      [&](const pooled& c) { return c.actor.address() == addr; });
}

// Forgets the connection at `it` (dead or stuck) and opens a persistent one in its place.
void replace(pool_pointer self, std::vector<pooled>::iterator it) {
  bool overflow = it->overflow;
  self->state.conns.erase(it);
  self->state.m->db_connections_replaced_total.Increment();
  if (!overflow) add_connection(self, false);
}

// Gives up a connection stuck in its call: it exits when the call returns, unnoticed by us.
void abandon(pool_pointer self, std::vector<pooled>::iterator it) {
  self->unlink_from(it->actor);
  self->send_exit(it->actor, caf::exit_reason::user_shutdown);
  log::warning("database connection stuck past its deadline; replacing it",
               {{"statement", it->statement}});
  replace(self, it);
}

void dispatch(pool_pointer self);

// Answers the call `id` unless the tick answered it already (its deadline passed).
void deliver(pool_pointer self, uint64_t id, db_result r) {
  auto it = self->state.in_flight.find(id);
  if (it != self->state.in_flight.end()) {
    it->second.rp.deliver(std::move(r));
    self->state.in_flight.erase(it);
  }
}

// The connection at `addr` is free again, and so is the batch key of its call: on to the next
// waiters.
void release(pool_pointer self, const caf::actor_addr& addr, const std::string& key) {
  self->state.keys_in_flight.erase(key);
  auto c = find_connection(self, addr);
  if (c != self->state.conns.end()) {
    c->busy = false;
    c->idle_since = clock::now();
  }
  dispatch(self);
}

// Hands `call` to the connection `c`; `done` gets its result and whether the connection replied
// (false: it died or was abandoned, and may still be running the call's work).
template <class Done>
void run_on(pool_pointer self, pooled& c, db_call call, Done done) {
  c.busy = true;
  c.stuck_after = call.deadline + connection_grace;
  c.statement = call.statement;
  // No request timeout (actors/waiting.hpp): the tick answers at the deadline and abandons a
  // connection still busy at stuck_after.
  self->request(c.actor, caf::infinite, std::move(call))
      .then([=](db_result& r) mutable { done(std::move(r), true); },
            [=](caf::error&) mutable {
              done(failed(errc::db_unavailable, "The database is unavailable."), false);
            });
}

// Whether `call` may share a transaction with other waiting writes.
bool batchable(pool_pointer self, const db_call& call) {
  return !call.batch_key.empty() && call.mode == storage::access::write &&
         self->state.cfg.group_commit_max > 1;
}

uint64_t track(pool_pointer self, const waiter& w) {
  uint64_t id = ++self->state.next_id;
  self->state.in_flight.emplace(id, running{w.rp, w.call.deadline});
  return id;
}

void start(pool_pointer self, pooled& c, waiter w) {
  uint64_t id = track(self, w);
  caf::actor_addr addr = c.actor.address();
  std::string key = batchable(self, w.call) ? w.call.batch_key : std::string{};
  run_on(self, c, std::move(w.call), [self, id, addr, key](db_result r, bool) {
    deliver(self, id, std::move(r));
    release(self, addr, key);
  });
}

// The writes of one group commit, shared by the pool and the connection that runs them.
struct batch_run {
  std::vector<uint64_t> ids;
  std::vector<std::function<void(storage::session&)>> works;
  std::vector<std::optional<storage::db_error>> outcomes;  // each write's own failure
  bool isolate = false;                                    // each write in a savepoint of its own
  bool one_failed = false;
};

// Runs `run` on the connection at `c` as one transaction. First without savepoints (a round
// trip fewer per write, under the lock of the owner's row): when one write fails, the
// transaction is rolled back and the batch runs again with each write in a savepoint, so that
// write alone fails. Each caller is answered after the commit; a failed transaction fails all.
void run_batch(pool_pointer self, pooled& c, std::shared_ptr<batch_run> run, db_call call) {
  caf::actor_addr addr = c.actor.address();
  db_call again = call;
  bool log_failures = self->state.cfg.log_failures;
  run_on(self, c, std::move(call), [=](db_result r, bool replied) mutable {
    // Only a reply makes what the work wrote into `run` visible here.
    if (replied && r.error && run->one_failed && !run->isolate) {
      auto conn = find_connection(self, addr);
      if (conn != self->state.conns.end()) {
        run->isolate = true;
        run_batch(self, *conn, run, std::move(again));
        return;
      }
    }
    for (size_t i = 0; i < run->ids.size(); ++i) {
      if (r.error || !run->outcomes[i]) {
        deliver(self, run->ids[i], r);
        continue;
      }
      const auto& outcome = run->outcomes[i];
      if (outcome->code != errc::conflict && log_failures)
        log::warning("database call failed",
                     {{"code", error_code(outcome->code)}, {"error", outcome->what()}});
      deliver(self, run->ids[i], failed(outcome->code, client_detail(outcome->code)));
    }
    release(self, addr, again.batch_key);
  });
}

// Group commit: runs the writes of `batch` (two or more, one batch key) in one transaction on
// `c` (see run_batch).
void start_batch(pool_pointer self, pooled& c, std::vector<waiter> batch) {
  auto& m = *self->state.m;
  m.db_write_batches_total.Increment();
  m.db_batched_writes_total.Increment(static_cast<double>(batch.size()));
  auto run = std::make_shared<batch_run>();
  // The transaction ends at the first deadline: nobody is told of a commit after their timeout.
  clock::time_point deadline = batch.front().call.deadline;
  for (auto& w : batch) {
    run->ids.push_back(track(self, w));
    run->works.push_back(std::move(w.call.work));
    deadline = std::min(deadline, w.call.deadline);
  }
  run->outcomes.resize(run->works.size());
  // Runs again from the start when the connection retries the transaction after a reconnect.
  auto work = [run](storage::session& s) {
    run->one_failed = false;
    for (size_t i = 0; i < run->works.size(); ++i) {
      if (run->isolate) {
        run->outcomes[i] = s.isolated(run->works[i]);
        continue;
      }
      try {
        run->works[i](s);
      } catch (...) {
        run->one_failed = true;
        throw;
      }
    }
  };
  db_call call{
      batch.front().call.statement, storage::access::write, std::move(work), deadline, false, {},
      batch.front().call.batch_key};
  run_batch(self, c, std::move(run), std::move(call));
}

// Takes from the waiters the ones that may share a transaction with `first`, up to the batch
// size; a write whose deadline has passed is answered REQUEST_TIMEOUT instead (as the tick would).
std::vector<waiter> batch_of(pool_pointer self, waiter first) {
  auto& st = self->state;
  std::vector<waiter> batch;
  batch.push_back(std::move(first));
  if (!batchable(self, batch.front().call)) return batch;
  // A copy: pushing onto `batch` may move its elements.
  const std::string key = batch.front().call.batch_key;
  auto now = clock::now();
  for (auto it = st.waiters.begin();
       it != st.waiters.end() && static_cast<int64_t>(batch.size()) < st.cfg.group_commit_max;) {
    if (it->call.batch_key != key || it->call.mode != storage::access::write) {
      ++it;
      continue;
    }
    if (now >= it->call.deadline)
      it->rp.deliver(
          failed(errc::request_timeout, "The request took longer than REQUEST_TIMEOUT."));
    else
      batch.push_back(std::move(*it));
    it = st.waiters.erase(it);
  }
  return batch;
}

void dispatch(pool_pointer self) {
  auto& st = self->state;
  const auto& cfg = st.cfg;
  for (;;) {
    // The first waiter not held back: the writes of a batch key already running on a connection
    // wait for it to commit and then go together (one transaction and one hold of the owner's
    // row instead of many connections queueing on that row).
    auto next = std::find_if(st.waiters.begin(), st.waiters.end(), [&](const waiter& w) {
      return !batchable(self, w.call) || !st.keys_in_flight.count(w.call.batch_key);
    });
    if (next == st.waiters.end()) break;
    pooled* free = nullptr;
    for (auto& c : st.conns) {
      // Persistent connections first, so idle overflow ones can age out.
      if (!c.busy && (!free || (free->overflow && !c.overflow))) free = &c;
    }
    if (!free && static_cast<int64_t>(st.conns.size()) < cfg.size + cfg.max_overflow)
      free = &add_connection(self, true);
    if (!free) break;
    waiter w = std::move(*next);
    st.waiters.erase(next);
    if (batchable(self, w.call)) st.keys_in_flight.insert(w.call.batch_key);
    std::vector<waiter> batch = batch_of(self, std::move(w));
    if (batch.size() == 1)
      start(self, *free, std::move(batch.front()));
    else
      start_batch(self, *free, std::move(batch));
  }
  publish(self);
}

// Answers every waiter and in-flight call whose time is up; closes idle overflow connections.
void expire(pool_pointer self) {
  auto& st = self->state;
  const auto& cfg = st.cfg;
  const auto& m = st.m;
  auto now = clock::now();
  for (auto it = st.waiters.begin(); it != st.waiters.end();) {
    if (now >= it->call.deadline) {
      it->rp.deliver(
          failed(errc::request_timeout, "The request took longer than REQUEST_TIMEOUT."));
    } else if (now >= it->pool_deadline) {
      m->db_pool_timeouts_total.Increment();
      it->rp.deliver(failed(errc::db_pool_exhausted,
                            "No database connection became free within DATABASE_POOL_TIMEOUT."));
    } else {
      ++it;
      continue;
    }
    it = st.waiters.erase(it);
  }
  // The database aborts a statement at its deadline; this answers even if it cannot (a hung
  // network), and the connection is freed whenever it does come back.
  for (auto it = st.in_flight.begin(); it != st.in_flight.end();) {
    if (now >= it->second.deadline) {
      it->second.rp.deliver(
          failed(errc::request_timeout, "The request took longer than REQUEST_TIMEOUT."));
      it = st.in_flight.erase(it);
    } else {
      ++it;
    }
  }
  // A connection still busy long after its call's deadline is stuck: it is replaced (which
  // reshapes `conns`, hence the fresh start).
  for (auto it = st.conns.begin(); it != st.conns.end();) {
    if (it->busy && now >= it->stuck_after) {
      abandon(self, it);
      it = st.conns.begin();
    } else {
      ++it;
    }
  }
  for (auto it = st.conns.begin(); it != st.conns.end();) {
    if (it->overflow && !it->busy && now - it->idle_since >= cfg.recycle_idle) {
      self->unlink_from(it->actor);
      self->send_exit(it->actor, caf::exit_reason::user_shutdown);
      it = st.conns.erase(it);
    } else {
      ++it;
    }
  }
  publish(self);
}

db_pool_actor::behavior_type db_pool(pool_pointer self, db_pool_config cfg,
                                     std::shared_ptr<metrics> m) {
  self->state.cfg = cfg;
  self->state.m = m;
  if (cfg.publish_gauges) {
    m->db_pool_size.Set(cfg.size);
    m->db_pool_max_overflow.Set(cfg.max_overflow);
  }
  for (int64_t i = 0; i < cfg.size; ++i) add_connection(self, false);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto it = find_connection(self, msg.source);
    if (it == self->state.conns.end()) {  // not one of ours: the service is stopping us
      self->quit(msg.reason);
      return;
    }
    log::warning("database connection actor died; replacing it",
                 {{"reason", caf::to_string(msg.reason)}});
    replace(self, it);
    dispatch(self);
  });
  self->delayed_send(self, tick_interval, tick_atom::value);
  publish(self);
  return {
      [self](db_call& call) -> caf::typed_response_promise<db_result> {
        auto rp = self->make_response_promise<db_result>();
        auto pool_deadline = clock::now() + self->state.cfg.pool_timeout;
        self->state.waiters.push_back(waiter{std::move(call), rp, pool_deadline});
        dispatch(self);
        return rp;
      },
      [self](status_atom) -> pool_status {
        pool_status s = status_of(self);
        s.mailbox = static_cast<int64_t>(self->mailbox().size());
        return s;
      },
      [self](tick_atom) {
        expire(self);
        self->delayed_send(self, tick_interval, tick_atom::value);
      },
  };
}

}  // namespace

db_pool_actor spawn_db_pool(caf::actor_system& sys, db_pool_config cfg,
                            std::shared_ptr<metrics> m) {
  return sys.spawn(db_pool, std::move(cfg), std::move(m));
}

db_connection_actor spawn_db_connection(caf::actor_system& sys, db_pool_config cfg,
                                        std::shared_ptr<metrics> m) {
  return sys.spawn<caf::detached>(db_connection, std::move(cfg), std::move(m));
}

}  // namespace vutf
