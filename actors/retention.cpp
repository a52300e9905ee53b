#include "actors/retention.hpp"

#include <prometheus/counter.h>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/plumbing.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "metrics/metrics.hpp"
#include "storage/audit_store.hpp"
#include "storage/idempotency_store.hpp"

namespace vutf {
namespace {

// A purge batch has no request behind it: it gets this long, like the other housekeeping.
constexpr auto batch_time = std::chrono::seconds(30);

// One table's purge: deletes up to `limit` rows that are due at `now_ms`, returns how many.
struct purge {
  const char* table;  // the metric label
  const char* statement;
  std::function<int64_t(storage::session&, int64_t now_ms, int64_t limit)> batch;
};

struct retention_state {
  retention_config cfg;
  db_pool_actor pool;
  std::shared_ptr<metrics> m;
  std::vector<purge> purges;
  bool running = false;
  int64_t now_ms = 0;   // the time the running round purges as of
  int64_t deleted = 0;  // rows the running round deleted so far
  std::vector<caf::typed_response_promise<int64_t>> in_round;  // answered when it ends
  std::vector<caf::typed_response_promise<int64_t>> next;      // wait for a round to start
  static inline const char* name = "retention";
};

using retention_pointer = retention_actor::stateful_pointer<retention_state>;

void start_round(retention_pointer self);

void end_round(retention_pointer self, bool done) {
  auto& st = self->state;
  st.running = false;
  for (auto& rp : st.in_round) rp.deliver(done ? st.deleted : int64_t{-1});
  st.in_round.clear();
  if (!st.next.empty()) start_round(self);
}

// Purges one batch of purges[k]; a full batch means more are due, so the same table goes again.
void step(retention_pointer self, size_t k) {
  auto& st = self->state;
  if (k == st.purges.size()) {
    end_round(self, true);
    return;
  }
  const purge& p = st.purges[k];
  db_task<int64_t> task{p.statement, storage::access::write, clock::now() + batch_time,
                        [fn = p.batch, now = st.now_ms, limit = st.cfg.batch](storage::session& s) {
                          return fn(s, now, limit);
                        }};
  request_db(
      self, st.pool, std::move(task),
      [=](int64_t n) {
        auto& st = self->state;
        st.m->retention_rows_deleted_total.with({st.purges[k].table})
            .Increment(static_cast<double>(n));
        st.deleted += n;
        step(self, n >= st.cfg.batch ? k : k + 1);
      },
      [=](failure f) {
        log::warning("retention purge failed; the next round tries again",
                     {{"table", self->state.purges[k].table}, {"code", error_code(f.code)}});
        end_round(self, false);
      });
}

void start_round(retention_pointer self) {
  auto& st = self->state;
  st.running = true;
  st.now_ms = now_ms();
  st.deleted = 0;
  st.in_round = std::move(st.next);
  st.next.clear();
  step(self, 0);
}

retention_actor::behavior_type retention(retention_pointer self, retention_config cfg,
                                         db_pool_actor pool, std::shared_ptr<metrics> m) {
  auto& st = self->state;
  st.cfg = cfg;
  st.pool = std::move(pool);
  st.m = std::move(m);
  int64_t audit_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.audit_retention).count();
  st.purges = {
      {"audit_logs", "audit_purge",
       [audit_ms](storage::session& s, int64_t now, int64_t limit) {
         return storage::purge_audit(s, now - audit_ms, limit);
       }},
      {"idempotency_keys", "idempotency_purge_expired",
       [](storage::session& s, int64_t now, int64_t limit) {
         return storage::purge_idempotency_keys(s, now, limit);
       }},
  };
  self->delayed_send(self, cfg.first_round, tick_atom::value);
  return {
      [=](tick_atom) {
        if (!self->state.running) start_round(self);
        self->delayed_send(self, cfg.interval, tick_atom::value);
      },
      [=](purge_atom) {
        auto rp = self->make_response_promise<int64_t>();
        self->state.next.push_back(rp);
        if (!self->state.running) start_round(self);
        return rp;
      },
  };
}

}  // namespace

retention_actor spawn_retention(caf::actor_system& sys, retention_config cfg, db_pool_actor pool,
                                std::shared_ptr<metrics> m) {
  return sys.spawn(retention, cfg, std::move(pool), std::move(m));
}

}  // namespace vutf
