#include "actors/audit.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <deque>
#include <sstream>

#include "actors/plumbing.hpp"
#include "config/log.hpp"
#include "domain/audit.hpp"
#include "domain/encoding.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

// A batch write has no request behind it: it gets this long, like the other housekeeping.
constexpr auto batch_write_time = std::chrono::seconds(30);

struct audit_state {
  audit_config cfg;
  db_pool_actor pool;
  std::shared_ptr<metrics> m;
  std::deque<audit_record> queue;
  bool writing = false;
  // Records at the front still to write one at a time, after a batch that held them failed for
  // a reason of its data: the one that fails alone is dropped, so it cannot block the rest.
  size_t isolating = 0;
  std::vector<caf::typed_response_promise<bool>> flushes;  // waiting for an empty queue
  static inline const char* name = "audit";
};

using audit_pointer = audit_actor::stateful_pointer<audit_state>;

void answer_flushes(audit_pointer self, bool done) {
  for (auto& f : self->state.flushes) f.deliver(done);
  self->state.flushes.clear();
}

// A failure that writing the same records again would meet again (a value the database
// refuses, a duplicate id), as opposed to the database being unreachable, busy or slow.
bool caused_by_data(const failure& f) {
  return f.code == errc::conflict || f.code == errc::internal_error;
}

// The first `n` queued records are settled: stored, or dropped.
void settle(audit_state& st, size_t n) {
  st.writing = false;
  st.queue.erase(st.queue.begin(), st.queue.begin() + static_cast<long>(n));
  st.isolating -= std::min(st.isolating, n);
}

// Writes one batch; when it is stored, writes the next or answers the waiting flushes. A batch
// that the database cannot reach stays queued for the next tick; one that fails for its data is
// written again one record at a time, and a record that fails alone is dropped and counted.
void write_batch(audit_pointer self) {
  auto& st = self->state;
  st.m->audit_queue_size.Set(static_cast<double>(st.queue.size()));
  if (st.writing) return;
  if (st.queue.empty()) {
    answer_flushes(self, true);
    return;
  }
  size_t n = std::min(st.isolating > 0 ? size_t{1} : st.cfg.batch, st.queue.size());
  std::vector<audit_record> batch(st.queue.begin(), st.queue.begin() + static_cast<long>(n));
  st.writing = true;
  db_task<nothing> task{"audit_insert", storage::access::write, clock::now() + batch_write_time,
                        [batch](storage::session& s) {
                          storage::insert_audit(s, batch);
                          return nothing{};
                        }};
  request_db(
      self, st.pool, std::move(task),
      [=](nothing) {
        settle(self->state, n);
        self->state.m->audit_records_written_total.Increment(static_cast<double>(n));
        write_batch(self);
      },
      [=](failure f) {
        auto& st = self->state;
        if (!caused_by_data(f)) {
          st.writing = false;
          answer_flushes(self, false);
          return;
        }
        if (n > 1) {
          st.writing = false;
          st.isolating = n;
        } else {
          const audit_record& bad = st.queue.front();
          log::error("audit record refused by the database; dropped",
                     {{"id", bad.id}, {"action", bad.action}, {"code", error_code(f.code)}});
          st.m->audit_records_rejected_total.Increment();
          settle(st, 1);
        }
        write_batch(self);
      });
}

// ---- the work of each query ----

db_task<result<audit_page>> task_for(const audit_list& l) {
  return {"audit_list", storage::access::read, l.deadline, [q = l.query](storage::session& s) {
            return result<audit_page>{
                {},
                read_page<audit_record>(
                    q.page, q.per_page, [&] { return storage::count_audit(s, q); },
                    [&] { return storage::list_audit(s, q); })};
          }};
}

db_task<result<audit_record>> task_for(const audit_get& g) {
  return {"audit_get", storage::access::read, g.deadline, [id = g.id](storage::session& s) {
            auto a = storage::find_audit(s, id);
            if (!a) return result<audit_record>::fail(errc::not_found, "Record not found.");
            return result<audit_record>{{}, *a};
          }};
}

db_task<result<audit_stats>> task_for(const audit_stats_get& g) {
  return {"audit_stats", storage::access::read, g.deadline, [g](storage::session& s) {
            return result<audit_stats>{{}, storage::audit_statistics(s, g.since_ms, g.until_ms)};
          }};
}

db_task<result<std::vector<audit_record>>> task_for(const audit_export_page& x) {
  return {"audit_after", storage::access::read, x.deadline, [x](storage::session& s) {
            return result<std::vector<audit_record>>{
                {}, storage::audit_after(s, x.since_ms, x.until_ms, x.after_ts, x.after_id, 500)};
          }};
}

audit_actor::behavior_type audit(audit_pointer self, audit_config cfg, db_pool_actor pool,
                                 cache_actor cache, std::shared_ptr<metrics> m) {
  plumbing<audit_pointer> p{self, pool, cache, cfg.stats_ttl};
  self->state.cfg = cfg;
  self->state.pool = pool;
  self->state.m = m;
  self->delayed_send(self, cfg.interval, tick_atom::value);
  return {
      [=](audit_record& r) {
        auto& q = self->state.queue;
        if (q.size() >= cfg.capacity) {
          m->audit_records_dropped_total.Increment();
          return;
        }
        q.push_back(sanitised(std::move(r)));
        if (q.size() >= cfg.batch) write_batch(self);
      },
      [=](flush_atom) {
        auto rp = self->make_response_promise<bool>();
        self->state.flushes.push_back(rp);
        write_batch(self);
        return rp;
      },
      [=](tick_atom) {
        write_batch(self);
        self->delayed_send(self, cfg.interval, tick_atom::value);
      },
      [=](audit_list& l) {
        auto rp = self->make_response_promise<result<audit_page>>();
        if (!refuse_unless_admin(l.who, rp)) p.relay(replica_read(task_for(l), l.who.user_id), rp);
        return rp;
      },
      [=](audit_get& g) {
        auto rp = self->make_response_promise<result<audit_record>>();
        if (!refuse_unless_admin(g.who, rp)) p.relay(task_for(g), rp);
        return rp;
      },
      [=](audit_stats_get& g) {
        auto rp = self->make_response_promise<result<audit_stats>>();
        if (refuse_unless_admin(g.who, rp)) return rp;
        // The guide's time-based pattern: stats:{range}:audit, kept for CACHE_TTL.
        std::string suffix = std::to_string(g.since_ms) + ":" + std::to_string(g.until_ms);
        p.read_through(
            "stats:audit", suffix, replica_read(task_for(g), g.who.user_id),
            [](audit_stats cached) {
              return result<audit_stats>{{}, cached};
            },
            rp);
        return rp;
      },
      [=](audit_export_page& x) {
        auto rp = self->make_response_promise<result<std::vector<audit_record>>>();
        if (!refuse_unless_admin(x.who, rp)) p.relay(replica_read(task_for(x), x.who.user_id), rp);
        return rp;
      },
  };
}

}  // namespace

audit_actor spawn_audit(caf::actor_system& sys, audit_config cfg, db_pool_actor pool,
                        cache_actor cache, std::shared_ptr<metrics> m) {
  return sys.spawn(audit, cfg, std::move(pool), std::move(cache), std::move(m));
}

}  // namespace vutf
