#include "actors/scans.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/plumbing.hpp"
#include "actors/scan_admission.hpp"
#include "config/time.hpp"
#include "domain/findings.hpp"
#include "domain/ids.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "storage/probe_set_store.hpp"
#include "storage/scan_store.hpp"
#include "storage/target_store.hpp"

namespace vutf {
namespace {

// The prompt of POST /targets/{id}/test: harmless, and short to answer.
constexpr const char* test_prompt = "Reply with the single word: pong";

// How long past the request's deadline (or the test call's timeout, if later) the scans actor
// waits for the gateway: the call itself has ended by then, so this only covers the gateway
// passing its reply on. Well under service::reply_grace, so the actor's answer is the reply.
constexpr auto gateway_answer_grace = std::chrono::milliseconds(500);

template <class T>
result<T> scan_not_found() {
  return result<T>::fail(errc::not_found, "Scan not found.");
}

// ---- the work of the messages with more than a line of it ----

db_task<result<scan>> task_for(const scan_create& c, const scans_config& cfg) {
  return {"scan_insert", storage::access::write, c.deadline,
          [req = c.request, owner = owner_scope(c.who), user = c.who.user_id, limits = cfg.limits](
              storage::session& s) { return admit_scan(s, req, user, owner, limits); }};
}

// The status a cancelled scan had, so a queued scan's webhook event goes out here (no runner
// will end it), and the scan now.
using cancelled = std::pair<std::string, scan>;

db_task<result<cancelled>> task_for(const scan_cancel& c) {
  return {"scan_cancel", storage::access::write, c.deadline,
          [id = c.id, owner = owner_scope(c.who)](storage::session& s) -> result<cancelled> {
            auto found = storage::find_scan(s, id, owner);
            if (!found) return result<cancelled>::fail(errc::not_found, "Scan not found.");
            if (found->finished() || !storage::cancel_scan(s, id, now_ms()))
              return result<cancelled>::fail(errc::conflict,
                                             "The scan already ended (" + found->status + ").");
            std::string was = found->status;
            return result<cancelled>{{}, {was, *storage::find_scan(s, id, "*")}};
          }};
}

db_task<result<result_page>> task_for(const scan_results_get& g) {
  return {"scan_results_page", storage::access::read, g.deadline,
          [g, owner = owner_scope(g.who)](storage::session& s) -> result<result_page> {
            auto found = storage::find_scan(s, g.id, owner);
            if (!found) return scan_not_found<result_page>();
            // The counters move with the rows in one transaction: no COUNT(*).
            auto count = [&] { return g.findings_only ? found->findings.total() : found->done; };
            return result<result_page>{{}, read_page<scan_result>(g.page, g.per_page, count, [&] {
                                         return storage::list_results(s, g.id, g.findings_only,
                                                                      g.page, g.per_page);
                                       })};
          }};
}

// The sets scan `x` ran with their tags, in its order: built-ins as shipped, the caller's sets as
// the scan kept them (a later change or deletion does not move its findings).
std::vector<std::pair<std::string, framework_tags>> sets_of(storage::session& s, const scan& x) {
  std::map<std::string, framework_tags> kept;
  for (auto& p : storage::scan_probe_sets(s, x.id)) kept[p.id] = std::move(p.frameworks);
  std::vector<std::pair<std::string, framework_tags>> out;
  for (const auto& id : x.probes) {
    if (const probe_set* shipped = find_probe_set(id)) {
      out.emplace_back(id, shipped->frameworks);
    } else if (auto it = kept.find(id); it != kept.end()) {
      out.emplace_back(id, it->second);
    }
  }
  return out;
}

db_task<result<scan_report>> task_for(const scan_report_get& g) {
  return {"scan_report", storage::access::read, g.deadline,
          [id = g.id, owner = owner_scope(g.who)](storage::session& s) -> result<scan_report> {
            auto found = storage::find_scan(s, id, owner);
            if (!found) return scan_not_found<scan_report>();
            scan_report report;
            report.summary = *found;
            report.of = storage::find_target(s, found->target_id, "*");
            report.findings_by_probe = storage::findings_by_probe(s, id);
            report.frameworks = group_findings(sets_of(s, *found), report.findings_by_probe);
            return result<scan_report>{{}, std::move(report)};
          }};
}

db_task<result<std::vector<scan_result>>> task_for(const scan_results_after& a) {
  using rows = std::vector<scan_result>;
  return {"scan_results_after", storage::access::read, a.deadline,
          [a, owner = owner_scope(a.who)](storage::session& s) -> result<rows> {
            if (!storage::find_scan(s, a.id, owner)) return scan_not_found<rows>();
            return result<rows>{
                {}, storage::results_after(s, a.id, a.findings_only, a.after_seq, a.limit)};
          }};
}

// Changes a finding's triage. Marking it a false positive takes it out of its scan's counts and
// suppresses its attack on the target in the owner's later scans; changing a false positive to
// anything else counts it again and lifts that suppression. Under the owner's lock, so two
// concurrent changes of one finding cannot both move the counts.
db_task<result<scan_result>> task_for(const finding_triage& t) {
  return {"finding_triage", storage::access::write, t.deadline,
          [t, owner = owner_scope(t.who)](storage::session& s) -> result<scan_result> {
            auto of = storage::find_scan(s, t.scan_id, owner);
            if (!of) return scan_not_found<scan_result>();
            storage::lock_owner(s, of->owner_id);
            auto found = storage::find_finding(s, t.scan_id, t.seq);
            if (!found) return result<scan_result>::fail(errc::not_found, "Finding not found.");
            scan_result r = std::move(*found);
            bool was_false = r.triage == "false_positive";
            if (t.change.status) r.triage = *t.change.status;
            if (t.change.note_given) r.note = t.change.note;
            bool is_false = r.triage == "false_positive";
            storage::set_triage(s, r);
            if (was_false != is_false)
              storage::adjust_findings(s, r.scan_id, r.severity, is_false ? -1 : 1);
            if (is_false) {
              storage::suppress(s, *of, r, now_ms());
            } else if (was_false) {
              storage::lift_suppression(s, *of, r);
            }
            return result<scan_result>{{}, std::move(r)};
          }};
}

// Without a named baseline, the previous completed scan of the same schedule, else target.
db_task<result<scan_diff>> task_for(const scan_diff_get& g) {
  return {"scan_diff", storage::access::read, g.deadline,
          [g, owner = owner_scope(g.who)](storage::session& s) -> result<scan_diff> {
            auto x = storage::find_scan(s, g.id, owner);
            if (!x) return scan_not_found<scan_diff>();
            std::optional<scan> base;
            if (g.baseline) {
              base = storage::find_scan(s, *g.baseline, owner);
              auto errors = check_baseline(*x, base ? &*base : nullptr);
              if (!errors.empty())
                return result<scan_diff>::fail(errc::validation_error, "The baseline is invalid.",
                                               std::move(errors));
            } else {
              base = storage::previous_completed_scan(s, *x);
              if (!base)
                return result<scan_diff>::fail(errc::no_baseline,
                                               "No completed scan of yours precedes this one (of "
                                               "its schedule or its target): name a baseline.");
            }
            return result<scan_diff>{{}, storage::findings_diff(s, *base, *x)};
          }};
}

// Caps the timeout of the test call `c` at the whole seconds left before `deadline`, so a target
// slower than the request is reported like one slower than its own timeout. At least a second:
// a zero timeout would fail without trying.
void cap_timeout(outbound_call& c, clock::time_point deadline) {
  auto left = std::chrono::floor<std::chrono::seconds>(deadline - clock::now());
  c.timeout = std::min(c.timeout, std::max(left, std::chrono::seconds(1)));
}

// How `t` answered the test prompt.
target_check check_of(const target& t, const outbound_reply& r) {
  target_check check;
  check.status_code = r.status;
  check.latency_ms = static_cast<int64_t>(r.seconds * 1000);
  check.error = r.error;
  if (r.answered_2xx()) {
    reply_text text = read_reply(t, r.body);
    check.ok = text.text.has_value();
    if (text.text) check.sample = truncate_utf8(*text.text, 200);
    check.error = text.error;
  }
  return check;
}

scans_actor::behavior_type scans(scans_actor::pointer self, scans_config cfg, db_pool_actor pool,
                                 cache_actor cache, engine_actor engine, gateway_actor gateway,
                                 webhook_actor webhooks) {
  plumbing<scans_actor::pointer> p{self, pool, cache, cfg.stats_ttl};
  return {
      [=](scan_create& c) {
        auto rp = self->make_response_promise<result<scan>>();
        p.run(written_by(task_for(c, cfg), c.who.user_id), rp, "", [=](result<scan> r) mutable {
          if (r.ok()) {
            caf::anon_send(cache, cache_bump{{stats_scope}});
            self->send(engine, kick_atom::value);
          }
          rp.deliver(std::move(r));
        });
        return rp;
      },
      [=](scan_get& g) {
        return p.answer(db_task<result<scan>>{
            "scan_get", storage::access::read, g.deadline,
            [id = g.id, owner = owner_scope(g.who)](storage::session& s) {
              auto found = storage::find_scan(s, id, owner);
              return found ? result<scan>{{}, *found} : scan_not_found<scan>();
            }});
      },
      [=](scan_list& l) {
        scan_query q = l.query;
        q.owner_id = owner_scope(l.who);
        return p.answer(replica_read(
            db_task<result<scan_page>>{"scan_list", storage::access::read, l.deadline,
                                       [q](storage::session& s) {
                                         return result<scan_page>{
                                             {},
                                             read_page<scan>(
                                                 q.page, q.per_page,
                                                 [&] { return storage::count_scans(s, q); },
                                                 [&] { return storage::list_scans(s, q); })};
                                       }},
            l.who.user_id));
      },
      [=](scan_cancel& c) {
        auto rp = self->make_response_promise<result<scan>>();
        p.run(written_by(task_for(c), c.who.user_id), rp, "", [=](result<cancelled> r) mutable {
          if (!r.ok()) {
            rp.deliver(result<scan>{r.error, {}});
            return;
          }
          auto& [was, x] = r.value;
          caf::anon_send(cache, cache_bump{{stats_scope}});
          self->send(engine, cancel_atom::value, x.id);
          if (was == "queued") self->send(webhooks, scan_ended(x));
          rp.deliver(result<scan>{{}, x});
        });
        return rp;
      },
      [=](scan_results_get& g) { return p.answer(replica_read(task_for(g), g.who.user_id)); },
      [=](scan_report_get& g) { return p.answer(replica_read(task_for(g), g.who.user_id)); },
      [=](scan_results_after& a) { return p.answer(replica_read(task_for(a), a.who.user_id)); },
      [=](finding_triage& t) {
        auto rp = self->make_response_promise<result<scan_result>>();
        p.run(written_by(task_for(t), t.who.user_id), rp, "", [=](result<scan_result> r) mutable {
          // The statistics and coverage count findings: a false positive no longer counts.
          if (r.ok()) caf::anon_send(cache, cache_bump{{stats_scope}});
          rp.deliver(std::move(r));
        });
        return rp;
      },
      [=](scan_diff_get& g) { return p.answer(replica_read(task_for(g), g.who.user_id)); },
      [=](stats_get& g) {
        std::string owner = owner_scope(g.who);
        db_task<result<stats_overview>> task{
            "stats_overview", storage::access::read, g.deadline, [owner](storage::session& s) {
              return result<stats_overview>{{}, storage::overview(s, owner)};
            }};
        return p.read_through(stats_scope, owner, replica_read(std::move(task), g.who.user_id),
                              [](stats_overview o) {
                                return result<stats_overview>{{}, std::move(o)};
                              });
      },
      [=](coverage_get& g) {
        // The caller's own: coverage answers "what have I tested", so an admin sees theirs too.
        std::string owner = g.who.user_id;
        db_task<result<coverage_report>> task{
            "coverage", storage::access::read, g.deadline, [owner](storage::session& s) {
              return result<coverage_report>{
                  {},
                  coverage_of(runnable_set_tags(storage::probe_set_tags(s, owner)),
                              storage::set_runs(s, owner))};
            }};
        // Under the statistics' scope: the same writes change it, and probe set writes bump it.
        return p.read_through(stats_scope, "coverage:" + owner,
                              replica_read(std::move(task), g.who.user_id), [](coverage_report c) {
                                return result<coverage_report>{{}, std::move(c)};
                              });
      },
      [=](target_test& t) {
        auto rp = self->make_response_promise<result<target_check>>();
        db_task<result<target>> task{"target_get", storage::access::read, t.deadline,
                                     [id = t.id, owner = owner_scope(t.who)](storage::session& s) {
                                       auto found = storage::find_target(s, id, owner);
                                       return found ? result<target>{{}, *found}
                                                    : result<target>::fail(errc::not_found,
                                                                           "Target not found.");
                                     }};
        p.run(std::move(task), rp, "", [=](result<target> found) mutable {
          if (!found.ok()) {
            rp.deliver(result<target_check>{found.error, {}});
            return;
          }
          const target& tg = found.value;
          target_call c{tg.id, tg.kind, tg.max_concurrency, target_request(tg, test_prompt)};
          cap_timeout(c.call, t.deadline);
          auto wait = std::max(time_left(t.deadline), std::chrono::milliseconds(c.call.timeout)) +
                      gateway_answer_grace;
          self->request(gateway, wait, std::move(c))
              .then(
                  [=](outbound_reply& r) mutable {
                    rp.deliver(result<target_check>{{}, check_of(tg, r)});
                  },
                  [=](caf::error& e) mutable {
                    rp.deliver(result<target_check>{e == caf::sec::request_timeout
                                                        ? request_timeout_failure()
                                                        : internal_failure(),
                                                    {}});
                  });
        });
        return rp;
      },
  };
}

}  // namespace

scans_actor spawn_scans(caf::actor_system& sys, scans_config cfg, db_pool_actor pool,
                        cache_actor cache, engine_actor engine, gateway_actor gateway,
                        webhook_actor webhooks) {
  return sys.spawn(scans, cfg, std::move(pool), std::move(cache), std::move(engine),
                   std::move(gateway), std::move(webhooks));
}

}  // namespace vutf
