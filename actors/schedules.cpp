#include "actors/schedules.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <functional>
#include <memory>

#include "actors/plumbing.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "storage/schedule_store.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

using schedules_pointer = schedules_actor::pointer;

// Scheduler rounds have no request behind them: each database call gets this long.
constexpr auto round_db_time = std::chrono::seconds(10);

constexpr const char* schedule_missing = "Schedule not found.";

template <class T>
result<T> schedule_not_found() {
  return result<T>::fail(errc::not_found, schedule_missing);
}

// Whether `f` changes what a run asks for (then the scan part is checked again).
bool touches_scan(const schedule_fields& f) {
  return f.target_id || f.probes || f.converters || f.fail_on;
}

// Every rule `x` (with the fields `f` just given) breaks: timing and, when `scan_too`, the scan
// part by the rules of POST /scans; one VALIDATION_ERROR naming them all, or nullopt.
std::optional<failure> refusal(storage::session& s, const schedule& x, const schedule_fields& f,
                               bool creating, bool scan_too, const scan_limits& limits) {
  std::vector<field_error> errors = validate_timing(f, creating);
  if (scan_too) {
    auto more = check_scan_request(s, scan_request_of(x), x.owner_id, x.owner_id, limits);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (errors.empty()) return std::nullopt;
  return failure{errc::validation_error, "The schedule is invalid.", std::move(errors)};
}

db_task<result<schedule>> task_for(const schedule_create& c, const schedules_config& cfg) {
  return {"schedule_insert", storage::access::write, c.deadline,
          [f = c.fields, user = c.who.user_id, limits = cfg.limits,
           max = cfg.max_schedules](storage::session& s) -> result<schedule> {
            schedule base;
            base.owner_id = user;
            schedule x = apply(base, f);
            if (auto bad = refusal(s, x, f, true, true, limits)) return {bad, {}};
            x.created_at_ms = x.updated_at_ms = now_ms();
            x.id = make_time_ordered_uuid(x.created_at_ms);  // newest first, even in one ms
            x.next_run_at_ms = first_run(x, x.created_at_ms).value_or(0);
            if (!storage::insert_schedule(s, x, max))
              return result<schedule>::fail(
                  errc::quota_exceeded, "The quota MAX_SCHEDULES_PER_USER=" + std::to_string(max) +
                                            " is reached: delete a schedule first.");
            return {{}, x};
          }};
}

db_task<result<schedule>> task_for(const schedule_update& u, const scan_limits& limits) {
  return {
      "schedule_update", storage::access::write, u.deadline,
      [u, limits](storage::session& s) -> result<schedule> {
        auto found = storage::find_schedule(s, u.id, u.who.user_id);
        if (auto refused = refuse_change<schedule>(found, u.if_match, schedule_missing))
          return *refused;
        schedule x = apply(*found, u.fields);
        // A schedule whose target is gone can still be disabled or re-timed; enabling it or
        // changing its scan checks the scan part again.
        bool enabling = x.enabled && !found->enabled;
        if (auto bad = refusal(s, x, u.fields, false, touches_scan(u.fields) || enabling, limits))
          return {bad, {}};
        x.updated_at_ms = now_ms();
        if (u.fields.cron || u.fields.interval_seconds || enabling)
          x.next_run_at_ms = first_run(x, x.updated_at_ms).value_or(x.next_run_at_ms);
        x.version = found->version + 1;
        if (!storage::update_schedule(s, x))
          return result<schedule>::fail(errc::precondition_failed,
                                        "The schedule changed concurrently; read it again.");
        return {{}, x};
      }};
}

// What one claimed run did: the scan it created, or the schedule (its last_error set) whose run
// created none; neither when the run was no longer this claim's.
struct run_outcome {
  std::optional<scan> created;
  std::optional<schedule> failed;
};

db_task<run_outcome> run_task(const storage::schedule_claim& c, int64_t now,
                              const scan_limits& limits) {
  return {"schedule_run", storage::access::write, clock::now() + round_db_time,
          [c, now, limits](storage::session& s) {
            run_outcome o;
            // The fence first: it locks the row, so the run and its scan land once.
            if (!storage::settle_schedule_run(s, c)) return o;
            auto x = storage::find_schedule(s, c.id, "*");
            if (!x) return o;
            int64_t next = following_run(*x, c.due_ms, now);
            // A deactivated or deleted user's schedules run no scan (their webhooks hear nothing).
            auto owner = storage::find_user(s, x->owner_id);
            auto admitted =
                owner && owner->is_active
                    ? admit_scan(s, scan_request_of(*x), x->owner_id, x->owner_id, limits, x->id)
                    : result<scan>::fail(errc::forbidden,
                                         "The schedule's owner is deactivated or deleted.");
            x->next_run_at_ms = next;
            x->last_run_at_ms = now;
            ++x->version;  // as record_schedule_run writes it
            if (admitted.ok()) {
              x->last_scan_id = admitted.value.id;
              x->last_error.reset();
              o.created = std::move(admitted.value);
            } else {
              x->last_error = run_error(*admitted.error);
              o.failed = *x;
            }
            storage::record_schedule_run(s, x->id, now, next, x->last_scan_id, x->last_error);
            return o;
          }};
}

// What a round shares: the actor and where its work goes.
struct scheduler {
  schedules_pointer self;
  schedules_config cfg;
  db_pool_actor pool;
  cache_actor cache;
  engine_actor engine;
  webhook_actor webhooks;

  // Claims the runs due at `now` a batch at a time and runs each; `done` gets the counts once
  // every claimed run has answered (a database failure ends the round: the next tick retries,
  // and a claimed run's lease lapses so any instance can take it).
  void round(int64_t now, schedule_round so_far, std::function<void(schedule_round)> done) const {
    db_task<std::vector<storage::schedule_claim>> claim{
        "schedule_claim", storage::access::write, clock::now() + round_db_time,
        [now, lease = cfg.lease.count(), batch = cfg.batch](storage::session& s) {
          return storage::claim_due_schedules(s, now, now + lease, batch);
        }};
    auto me = *this;
    request_db(
        self, pool, std::move(claim),
        [me, now, so_far, done](const std::vector<storage::schedule_claim>& claimed) {
          if (claimed.empty()) {
            done(so_far);
            return;
          }
          auto left = std::make_shared<size_t>(claimed.size());
          auto counts = std::make_shared<schedule_round>(so_far);
          bool more = static_cast<int64_t>(claimed.size()) == me.cfg.batch;
          auto one_done = [me, now, left, counts, more, done] {
            if (--*left > 0) return;
            if (more) {
              me.round(now, *counts, done);
            } else {
              done(*counts);
            }
          };
          for (const auto& c : claimed)
            request_db(
                me.self, me.pool, run_task(c, now, me.cfg.limits),
                [me, counts, one_done](const run_outcome& o) {
                  me.settled(o, *counts);
                  one_done();
                },
                [one_done](const failure&) { one_done(); });
        },
        [so_far, done](const failure& f) {
          log::warning("scheduler round failed", {{"error", f.detail}});
          done(so_far);
        });
  }

  // Passes a run's outcome on: a new scan wakes the engine, a failure becomes an event.
  void settled(const run_outcome& o, schedule_round& counts) const {
    if (o.created) {
      ++counts.created;
      caf::anon_send(cache, cache_bump{{stats_scope}});
      self->send(engine, kick_atom::value);
      log::info("scheduled scan created",
                {{"schedule_id", *o.created->schedule_id}, {"scan_id", o.created->id}});
    } else if (o.failed) {
      ++counts.failed;
      log::warning("scheduled run created no scan",
                   {{"schedule_id", o.failed->id}, {"error", o.failed->last_error.value_or("")}});
      self->send(webhooks, schedule_failed(*o.failed));
    }
  }
};

schedules_actor::behavior_type schedules(schedules_pointer self, schedules_config cfg,
                                         db_pool_actor pool, cache_actor cache, engine_actor engine,
                                         webhook_actor webhooks) {
  // Schedules are not cached: a tick reads only due rows, and the owner's reads are rare.
  plumbing<schedules_pointer> p{self, pool, {}, {}};
  scheduler sched{self, cfg, pool, std::move(cache), std::move(engine), std::move(webhooks)};
  // The first round at once: runs missed while every instance was down are caught up now.
  self->send(self, tick_atom::value);
  return {
      [=](schedule_create& c) { return p.answer(written_by(task_for(c, cfg), c.who.user_id)); },
      [=](schedule_get& g) {
        return p.answer(db_task<result<schedule>>{
            "schedule_get", storage::access::read, g.deadline, [g](storage::session& s) {
              auto found = storage::find_schedule(s, g.id, g.who.user_id);
              return found ? result<schedule>{{}, *found} : schedule_not_found<schedule>();
            }});
      },
      [=](schedule_list& l) {
        return p.answer(replica_read(
            db_task<result<schedule_page>>{
                "schedule_list", storage::access::read, l.deadline,
                [l](storage::session& s) {
                  return result<schedule_page>{
                      {},
                      read_page<schedule>(
                          l.page, l.per_page,
                          [&] { return storage::count_schedules(s, l.who.user_id); },
                          [&] {
                            return storage::list_schedules(s, l.who.user_id, l.page, l.per_page);
                          })};
                }},
            l.who.user_id));
      },
      [=](schedule_update& u) {
        return p.answer(written_by(task_for(u, cfg.limits), u.who.user_id));
      },
      [=](schedule_delete& d) {
        return p.answer(written_by(
            db_task<result<nothing>>{"schedule_delete", storage::access::write, d.deadline,
                                     [d](storage::session& s) -> result<nothing> {
                                       auto found = storage::find_schedule(s, d.id, d.who.user_id);
                                       if (auto refused = refuse_change<nothing>(found, d.if_match,
                                                                                 schedule_missing))
                                         return *refused;
                                       if (!storage::delete_schedule(s, d.id, d.who.user_id))
                                         return schedule_not_found<nothing>();
                                       return result<nothing>{};
                                     }},
            d.who.user_id));
      },
      [=](tick_atom) {
        sched.round(now_ms(), {}, [](schedule_round) {});
        self->delayed_send(self, cfg.tick, tick_atom::value);
      },
      [=](tick_atom, int64_t now) {
        auto rp = self->make_response_promise<schedule_round>();
        sched.round(now, {}, [rp](schedule_round r) mutable { rp.deliver(r); });
        return rp;
      },
  };
}

}  // namespace

schedules_actor spawn_schedules(caf::actor_system& sys, schedules_config cfg, db_pool_actor pool,
                                cache_actor cache, engine_actor engine, webhook_actor webhooks) {
  return sys.spawn(schedules, std::move(cfg), std::move(pool), std::move(cache), std::move(engine),
                   std::move(webhooks));
}

}  // namespace vutf
