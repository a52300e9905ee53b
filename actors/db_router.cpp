#include "actors/db_router.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <string>
#include <unordered_map>

#include "config/log.hpp"
#include "domain/read_routing.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

struct router_state {
  db_router_config cfg;
  std::shared_ptr<metrics> m;
  db_pool_actor primary;
  db_pool_actor replica;
  db_connection_actor primary_probe;
  db_connection_actor replica_probe;
  replica_view view;
  replay_fence fence;
  // When each caller's last write completed, while the replica may not have it yet. Bounded:
  // past max_remembered_writers (a replica down for long, many writers) the map is dropped and
  // everyone's reads wait for the newest of those writes instead (`everyone_wrote`), which is
  // as exact and costs only some reads going to the primary a little longer.
  std::unordered_map<std::string, clock::time_point> last_write;
  std::optional<clock::time_point> everyone_wrote;
  static constexpr size_t max_remembered_writers = 100000;
  std::optional<clock::time_point> check_started;  // while a check is running
  std::optional<bool> reported;  // the usability last logged (none before the first check)
  static inline const char* name = "db_router";
};

using router_pointer = db_pool_actor::stateful_pointer<router_state>;

// The check's deadline: a replica that cannot say how far it is within the lag it may have is
// as good as lagging.
clock::time_point check_deadline(router_pointer self) {
  return clock::now() + self->state.cfg.max_lag;
}

void set_usable(router_pointer self, bool usable, const std::string& why) {
  auto& st = self->state;
  st.view.usable = usable;
  st.m->database_replica_up.Set(usable ? 1 : 0);
  if (st.reported == usable) return;
  st.reported = usable;
  if (usable)
    log::info("read replica in use: list, report, export and statistics reads go to it");
  else
    log::warning("read replica not used: every read goes to the primary", {{"reason", why}});
}

// The replica has replayed `lsn` with `lag` seconds to go: move the fence, forget the writes it
// covers, judge the lag.
void replica_seen(router_pointer self, const storage::replica_position& p) {
  auto& st = self->state;
  st.m->database_replica_lag_seconds.Set(p.lag_seconds);
  if (auto lsn = parse_lsn(p.replayed_lsn)) st.fence.replayed(*lsn);
  st.view.replayed_before = st.fence.covered();
  for (auto it = st.last_write.begin(); it != st.last_write.end();)
    it = it->second < st.view.replayed_before ? st.last_write.erase(it) : std::next(it);
  if (st.everyone_wrote && *st.everyone_wrote < st.view.replayed_before) st.everyone_wrote.reset();
  if (p.lag_seconds > static_cast<double>(st.cfg.max_lag.count()))
    set_usable(self, false,
               "lagging " + std::to_string(static_cast<int64_t>(p.lag_seconds)) +
                   " s, more than DATABASE_READ_MAX_LAG_SECONDS");
  else
    set_usable(self, true, "");
}

// One check: the primary's WAL end first (the sample starts now), then the replica's position.
void check(router_pointer self) {
  auto& st = self->state;
  auto started = clock::now();
  st.check_started = started;
  auto check_replica = [self] {
    request_db(
        self, self->state.replica_probe,
        db_task<storage::replica_position>{"replica_position", storage::access::read,
                                           check_deadline(self), storage::replica_position_of},
        [self](storage::replica_position p) {
          self->state.check_started.reset();
          replica_seen(self, p);
        },
        [self](const failure&) {
          self->state.check_started.reset();
          set_usable(self, false, "the replica does not answer (or is not a streaming replica)");
        });
  };
  request_db(
      self, st.primary_probe,
      db_task<std::string>{"primary_wal_lsn", storage::access::read, check_deadline(self),
                           storage::primary_wal_lsn},
      [self, started, check_replica](const std::string& lsn) {
        if (auto n = parse_lsn(lsn)) self->state.fence.sampled(started, *n);
        check_replica();
      },
      // Without the primary's position the fence stays where it is; the replica's health is
      // still worth knowing.
      [check_replica](const failure&) { check_replica(); });
}

void tick(router_pointer self) {
  auto& st = self->state;
  if (!st.check_started) {
    check(self);
  } else if (clock::now() - *st.check_started > st.cfg.max_lag) {
    set_usable(self, false,
               "the replica's check has not answered within "
               "DATABASE_READ_MAX_LAG_SECONDS");
  }
  self->delayed_send(self, st.cfg.check_interval, tick_atom::value);
}

// Notes that `caller` has just written (see router_state::last_write).
void remember_write(router_state& st, const std::string& caller) {
  auto now = clock::now();
  if (st.last_write.size() >= router_state::max_remembered_writers &&
      !st.last_write.count(caller)) {
    st.last_write.clear();
    st.everyone_wrote = now;
  }
  st.last_write[caller] = now;
}

// How long a shared write time is kept: longer than any lag of a replica in use, with the skew
// margin and a check interval to spare; after that the fence covers the write anyway.
std::chrono::seconds shared_ttl(const db_router_config& cfg) {
  return cfg.max_lag + std::chrono::seconds(2);
}

// Shares the time `caller`'s write completed with the other instances, then answers `rp` with
// the write's result (also when the shared cache cannot take it: the write is done, and only
// a read through another instance in the next moments could miss it).
void share_write(router_pointer self, const std::string& caller, db_result r,
                 caf::typed_response_promise<db_result> rp) {
  auto& cfg = self->state.cfg;
  if (!cfg.shared_writes) {
    rp.deliver(std::move(r));
    return;
  }
  int64_t at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  auto result = std::make_shared<db_result>(std::move(r));
  self->request(cfg.shared_writes, caf::infinite, write_mark{caller, at_ms, shared_ttl(cfg)})
      .then([rp, result](bool) mutable { rp.deliver(std::move(*result)); },
            [rp, result](caf::error&) mutable { rp.deliver(std::move(*result)); });
}

// Runs `call` on the primary and answers `rp` with what it says.
void on_primary(router_pointer self, db_call call, caf::typed_response_promise<db_result> rp) {
  bool eligible = call.replica_eligible;
  bool write = call.mode == storage::access::write && !call.caller.empty();
  std::string caller = call.caller;
  self->request(self->state.primary, caf::infinite, std::move(call))
      .then(
          [self, rp, eligible, write, caller](db_result& r) mutable {
            if (eligible) self->state.m->database_reads_total.with({"primary"}).Increment();
            if (!write) {
              rp.deliver(std::move(r));
              return;
            }
            // After the commit, before the caller hears of it: its next read sees this mark.
            remember_write(self->state, caller);
            share_write(self, caller, std::move(r), rp);
          },
          [rp](caf::error&) mutable { rp.deliver(db_result{internal_failure()}); });
}

// Runs `call` on the replica; a failure there (down, restarting, a recovery conflict) stops
// replica reads until the next good check and runs the call again on the primary.
void on_replica(router_pointer self, db_call call, caf::typed_response_promise<db_result> rp) {
  db_call again = call;
  self->request(self->state.replica, caf::infinite, std::move(call))
      .then(
          [self, rp, again](db_result& r) mutable {
            if (!r.error) {
              self->state.m->database_reads_total.with({"replica"}).Increment();
              rp.deliver(std::move(r));
            } else if (r.error->code == errc::request_timeout) {
              rp.deliver(std::move(r));  // no time left to try elsewhere
            } else {
              set_usable(self, false, "a read on the replica failed");
              on_primary(self, std::move(again), rp);
            }
          },
          [self, rp, again](caf::error&) mutable {
            set_usable(self, false, "the replica pool failed");
            on_primary(self, std::move(again), rp);
          });
}

// A read this instance would send to the replica: the caller may have written through another
// instance since, so the shared time of its last write decides (the primary when the shared
// cache cannot say).
void ask_shared(router_pointer self, db_call call, std::optional<clock::time_point> wrote_here,
                caf::typed_response_promise<db_result> rp) {
  auto& cfg = self->state.cfg;
  auto caller = call.caller;
  auto pending = std::make_shared<db_call>(std::move(call));
  self->request(cfg.shared_writes, caf::infinite, write_mark_lookup{caller})
      .then(
          [self, pending, wrote_here, rp](write_mark_seen& seen) mutable {
            auto& st = self->state;
            if (!seen.answered) {
              on_primary(self, std::move(*pending), rp);
              return;
            }
            auto wrote = shared_last_write(seen.at_ms, shared_ttl(st.cfg), clock::now(),
                                           std::chrono::system_clock::now());
            if (wrote_here) wrote = std::max(wrote, *wrote_here);
            // The view may have changed while the cache answered: decide again.
            if (choose_pool(pending->replica_eligible, st.view, wrote) == read_pool::replica)
              on_replica(self, std::move(*pending), rp);
            else
              on_primary(self, std::move(*pending), rp);
          },
          [self, pending, rp](caf::error&) mutable { on_primary(self, std::move(*pending), rp); });
}

db_pool_actor::behavior_type db_router(router_pointer self, db_router_config cfg,
                                       std::shared_ptr<metrics> m) {
  auto& st = self->state;
  st.cfg = cfg;
  st.m = m;
  m->database_replica_up.Set(0);
  st.primary = spawn_db_pool(self->home_system(), cfg.primary, m);
  st.replica = spawn_db_pool(self->home_system(), cfg.replica, m);
  // The monitor's connections: a replica that is down fails every check, and says so once.
  db_pool_config probe = cfg.primary;
  probe.log_failures = false;
  st.primary_probe = spawn_db_connection(self->home_system(), probe, m);
  probe = cfg.replica;
  probe.log_failures = false;
  st.replica_probe = spawn_db_connection(self->home_system(), probe, m);
  // All four stop with the router (the service stops it like the pool it stands for).
  self->link_to(st.primary);
  self->link_to(st.replica);
  self->link_to(st.primary_probe);
  self->link_to(st.replica_probe);
  tick(self);
  return {
      [self](db_call& call) -> caf::typed_response_promise<db_result> {
        auto rp = self->make_response_promise<db_result>();
        auto& st = self->state;
        std::optional<clock::time_point> wrote = st.everyone_wrote;
        if (auto it = st.last_write.find(call.caller); it != st.last_write.end())
          wrote = wrote ? std::max(*wrote, it->second) : it->second;
        if (choose_pool(call.replica_eligible, st.view, wrote) == read_pool::primary)
          on_primary(self, std::move(call), rp);
        else if (st.cfg.shared_writes && !call.caller.empty())
          ask_shared(self, std::move(call), wrote, rp);
        else
          on_replica(self, std::move(call), rp);
        return rp;
      },
      // The primary pool's figures: its gauges and the health endpoint are about it.
      [self](status_atom) -> caf::typed_response_promise<pool_status> {
        auto rp = self->make_response_promise<pool_status>();
        self->request(self->state.primary, caf::infinite, status_atom::value)
            .then([rp](pool_status& s) mutable { rp.deliver(s); },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](tick_atom) { tick(self); },
  };
}

}  // namespace

db_pool_actor spawn_db_router(caf::actor_system& sys, db_router_config cfg,
                              std::shared_ptr<metrics> m) {
  return sys.spawn(db_router, std::move(cfg), std::move(m));
}

}  // namespace vutf
