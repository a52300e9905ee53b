#include "actors/runner.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "actors/background.hpp"
#include "actors/backoff.hpp"
#include "actors/plumbing.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/converters.hpp"
#include "domain/crescendo.hpp"
#include "domain/detectors.hpp"
#include "domain/judge.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "metrics/metrics.hpp"
#include "storage/probe_set_store.hpp"
#include "storage/scan_store.hpp"
#include "storage/target_store.hpp"

namespace vutf {
namespace {

// A multi-turn attack in flight (a crescendo set's plan position): the conversation so far and
// which call it waits for.
struct talk {
  conversation messages;
  int64_t turn = 0;               // turns begun (each starts with the attacker's message)
  bool awaiting_attacker = true;  // the next call (or its retry) asks the attacker, else the target
};

struct runner_state {
  scan s;
  target t;
  // By id: the owner's targets that judge (the scan's and its sets' judge detectors') and attack
  // (its crescendo sets').
  std::map<std::string, target> helpers;
  std::unordered_map<int64_t, talk> talks;  // by plan position
  std::unique_ptr<scan_plan> plan;
  std::unordered_map<int64_t, std::string> sent;  // by plan position: what a prompt in flight sends
  std::vector<bool> answered;  // by plan position: already stored by an earlier claim
  int64_t next = 0;            // the next plan position to consider
  int64_t in_flight = 0;       // prompts sent (or waiting for a retry) without a result yet
  int64_t errors = 0;          // calls that failed, this claim and earlier ones
  std::string last_error;
  std::vector<scan_result> batch;  // results not written yet
  bool flushing = false;           // a write is in flight
  bool stopping = false;           // no more prompts go out
  // The status to end the scan with; unset when it was cancelled or lost its claim.
  std::optional<std::pair<std::string, std::optional<std::string>>> ending;
  int64_t final_attempts = 0;
  std::unordered_map<int64_t, clock::time_point> throttled_since;  // seq: its first 429
  static inline const char* name = "scan-runner";
};

using runner_pointer = runner_actor::stateful_pointer<runner_state>;

void pump(runner_pointer self, const engine_env& env);

// Writes the last batch (and the final status when there is one), announces the end, quits.
// A write that fails is tried again each second for a while; after that the lease lapses and
// another sweep resumes the scan, so nothing answered is lost to a brief database outage.
// A scheduled scan that completed: against its baseline (the schedule's previous completed scan,
// else the target's), any new finding is a regression its owner hears of (scan.regressed).
// Then the runner is done; a check that fails only costs the event, logged.
void check_regression(runner_pointer self, const engine_env& env, const scan& ended) {
  db_task<bool> task{"scan_regression", storage::access::read, db_deadline(),
                     [ended](storage::session& s) {
                       auto base = storage::previous_completed_scan(s, ended);
                       return base && !storage::findings_diff(s, *base, ended).added.empty();
                     }};
  request_db(
      self, env.pool, std::move(task),
      [=](bool regressed) {
        if (regressed) {
          log::info("scan regressed", {{"scan_id", ended.id}});
          self->send(env.webhooks, scan_regressed(ended));
        }
        self->quit();
      },
      [=](const failure& f) {
        log::warning("could not compare the scan with its baseline: no scan.regressed event",
                     {{"scan_id", ended.id}, {"error", f.detail}});
        self->quit();
      });
}

void finish(runner_pointer self, const engine_env& env) {
  auto& st = self->state;
  if (st.flushing) return;  // the write in flight calls back here when it is done
  st.flushing = true;
  // The scan as it ended; nullopt when the claim was lost.
  db_task<std::optional<scan>> task{
      "scan_finish", storage::access::write, db_deadline(),
      [id = st.s.id, claim = st.s.claim, batch = st.batch,
       ending = st.ending](storage::session& s) -> std::optional<scan> {
        if (!storage::record_results(s, id, claim, batch, now_ms())) return std::nullopt;
        if (ending) storage::finish_scan(s, id, claim, ending->first, ending->second, now_ms());
        return storage::find_scan(s, id, "*");
      }};
  // Written for its owner: a report read right after the scan is seen to end (from the
  // primary) must not come from a replica that has not replayed these last results.
  request_db(
      self, env.pool, written_by(std::move(task), st.s.owner_id),
      [=](std::optional<scan> ended) {
        self->state.flushing = false;
        if (ended && ended->finished()) {
          env.m->scans_total.with({ended->status}).Increment();
          log::info("scan ended", {{"scan_id", ended->id},
                                   {"status", ended->status},
                                   {"done", ended->done},
                                   {"findings", ended->findings.total()}});
          self->send(env.webhooks, scan_ended(*ended));
        }
        caf::anon_send(env.cache, cache_bump{{stats_scope}});
        if (ended && ended->schedule_id && ended->status == "completed")
          check_regression(self, env, *ended);
        else
          self->quit();
      },
      [=](failure f) {
        auto& st = self->state;
        st.flushing = false;
        if (++st.final_attempts < 30) {
          self->delayed_send(self, std::chrono::seconds(1), flush_atom::value);
          return;
        }
        log::error("scan results could not be written; the scan will be resumed",
                   {{"scan_id", st.s.id}, {"error", f.detail}});
        self->quit();
      });
}

// Stops sending; `status` ends the scan (nullopt: it was cancelled or claimed elsewhere).
void stop(runner_pointer self, const engine_env& env, std::optional<std::string> status,
          std::optional<std::string> error = std::nullopt) {
  auto& st = self->state;
  st.stopping = true;
  if (status && !st.ending) st.ending = std::make_pair(*status, std::move(error));
  finish(self, env);
}

// Writes the waiting results under the runner's claim; a lost claim stops the runner.
void flush(runner_pointer self, const engine_env& env) {
  auto& st = self->state;
  if (st.flushing || st.batch.empty() || st.stopping) return;
  st.flushing = true;
  auto batch = std::make_shared<std::vector<scan_result>>(std::move(st.batch));
  st.batch.clear();
  // False: the claim is lost.
  db_task<bool> task{"scan_results_write", storage::access::write, db_deadline(),
                     [id = st.s.id, claim = st.s.claim, batch](storage::session& s) {
                       return storage::record_results(s, id, claim, *batch, now_ms());
                     }};
  request_db(
      self, env.pool, std::move(task),
      [=](bool stored) {
        auto& st = self->state;
        st.flushing = false;
        if (!stored) {
          st.stopping = true;  // claimed by another instance after our lease lapsed
          self->quit();
          return;
        }
        caf::anon_send(env.cache, cache_bump{{stats_scope}});  // findings changed the statistics
        if (st.stopping) return finish(self, env);
        if (st.batch.size() >= env.cfg.flush_batch) flush(self, env);
        pump(self, env);  // prompts held back while results waited go out now
      },
      [=](failure) {
        auto& st = self->state;
        st.flushing = false;
        st.batch.insert(st.batch.begin(), batch->begin(), batch->end());  // for the next write
        if (st.stopping) finish(self, env);
      });
}

// The result of the prompt at `seq` (sent as `sent`) from the target's final reply, judged by
// its set's deterministic detector; `reply` receives the reply text for a judge.
// The result of plan position `seq` before its reply is judged: what was planned and sent.
scan_result planned(const runner_state& st, int64_t seq, std::string sent) {
  auto e = st.plan->at(seq);
  scan_result x;
  x.seq = seq;
  x.probe = e.set->id;
  x.prompt = *e.prompt;
  if (e.through) x.converter = e.through->id;
  x.sent_prompt = std::move(sent);
  x.detector = e.set->detector.type;
  return x;
}

scan_result assess(const runner_state& st, int64_t seq, const outbound_reply& r, int64_t attempts,
                   std::string sent, std::string& reply) {
  auto e = st.plan->at(seq);
  scan_result x = planned(st, seq, std::move(sent));
  x.latency_ms = static_cast<int64_t>(r.seconds * 1000);
  x.attempts = attempts;
  if (!r.answered_2xx()) {
    x.error = r.error;
    return x;
  }
  reply_text text = read_reply(st.t, r.body);
  if (!text.text) {
    x.error = text.error;
    return x;
  }
  detection d = detect(e.set->detector, *text.text);
  x.vulnerable = d.vulnerable;
  if (d.vulnerable) x.severity = d.severity;
  x.evidence = d.evidence;
  x.response = truncate_utf8(*text.text, max_response_bytes);
  reply = std::move(*text.text);
  return x;
}

// The judge call a result needs: its set's judge detector decides every reply; the scan's judge
// re-checks each deterministic finding. Nothing to ask for a call that failed.
struct judge_task {
  std::string judge_target_id;
  std::string rubric;
  bool recheck = false;
};
std::optional<judge_task> judge_task_for(const runner_state& st, const scan_result& x) {
  if (x.error) return std::nullopt;
  const probe_set& set = *st.plan->at(x.seq).set;
  if (set.detector.type == "judge")
    return judge_task{set.detector.judge_target_id, set.detector.rubric, false};
  if (st.s.judge_target_id && x.vulnerable)
    return judge_task{*st.s.judge_target_id,
                      recheck_rubric(set.name, set.description, set.detector.type, x.evidence),
                      true};
  return std::nullopt;
}

// What the judge target `j` answered: its verdict, or why there is none.
verdict_read verdict_from(const target& j, const outbound_reply& r) {
  if (!r.answered_2xx())
    return {std::nullopt, r.error.empty() ? "HTTP status " + std::to_string(r.status) : r.error};
  reply_text text = read_reply(j, r.body);
  if (!text.text) return {std::nullopt, text.error};
  return read_verdict(*text.text);
}

// Batches a finished result and sends the next prompts.
void record(runner_pointer self, const engine_env& env, scan_result x) {
  auto& st = self->state;
  if (x.error) {
    ++st.errors;
    st.last_error = *x.error;
  }
  --st.in_flight;
  env.m->scan_prompts_sent_total.Increment();
  if (x.vulnerable) env.m->findings_total.with({x.severity}).Increment();
  st.batch.push_back(std::move(x));
  if (st.batch.size() >= env.cfg.flush_batch) flush(self, env);
  pump(self, env);
}

// What becomes of a judged result: batched, or (a conversation's turn) the next turn.
using judged_fn = std::function<void(scan_result)>;

// Sends `c`, a call to a helper target (a judge or an attacker) or the target under test,
// through the gateway with that target's concurrency limit, rate limit, timeout and breaker; a
// gateway that does not answer in time is a failed call.
template <class OnReply>
void call_target(runner_pointer self, const engine_env& env, target_call c, OnReply on_reply) {
  auto bound = gateway_reply_bound(c);
  self->request(env.gateway, bound, std::move(c))
      .then(
          [=](outbound_reply& r) mutable {
            run_in_background();  // detection and judging of the reply: scan work
            on_reply(r);
          },
          [=](caf::error&) mutable { on_reply(gateway_silence()); });
}

target_call helper_call(const target& h, const std::string& prompt, const char* role) {
  target_call c{h.id, h.kind, h.max_concurrency, target_request(h, prompt)};
  c.role = role;
  c.rate_limit_rpm = h.rate_limit_rpm.value_or(0);
  return c;
}

// Asks the judge target of `task` for its verdict on `x` (the prompt stays in flight meanwhile,
// so judge calls count against the scan's concurrency). A judge that fails, is gone or answers
// no verdict makes the result an error; the scan goes on. `then` takes the judged result.
void ask_judge(runner_pointer self, const engine_env& env, scan_result x, const judge_task& task,
               const std::string& reply, judged_fn then) {
  auto& st = self->state;
  const std::string severity = st.plan->at(x.seq).set->detector.severity;
  auto found = st.helpers.find(task.judge_target_id);
  if (found == st.helpers.end()) {
    apply_verdict(x, {std::nullopt, "the judge target was deleted"}, task.recheck, severity);
    return then(std::move(x));
  }
  const target& j = found->second;
  call_target(self, env, helper_call(j, judge_prompt(task.rubric, x.prompt, reply), "judge"),
              [=, recheck = task.recheck](const outbound_reply& r) mutable {
                if (self->state.stopping) return;
                apply_verdict(x, verdict_from(j, r), recheck, severity);
                then(std::move(x));
              });
}

void settle(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
            const outbound_reply& r);

void talk_step(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt);

void send_prompt(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt) {
  auto& st = self->state;
  if (st.plan->at(seq).set->mode == "crescendo") return talk_step(self, env, seq, attempt);
  // Converted once per prompt: retries send the same text, and the result records it.
  auto sent = st.sent.find(seq);
  if (sent == st.sent.end()) sent = st.sent.emplace(seq, st.plan->at(seq).sent()).first;
  target_call c{st.t.id, st.t.kind, st.t.max_concurrency, target_request(st.t, sent->second)};
  c.rate_limit_rpm = st.t.rate_limit_rpm.value_or(0);
  call_target(self, env, std::move(c),
              [=](const outbound_reply& r) { settle(self, env, seq, attempt, r); });
}

// A 429 is the target asking to slow down, not a failure: the prompt goes again (the gateway
// has lowered the target's pace and pauses it for the Retry-After, actors/gateway.cpp) without
// spending one of its max_attempts, for up to the queue patience after its first 429. False
// once that is over: the 429 then counts as an attempt like a 5xx.
bool throttled(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
               const outbound_reply& r) {
  auto& st = self->state;
  auto first = st.throttled_since.emplace(seq, clock::now()).first->second;
  if (clock::now() - first > gateway_queue_patience) return false;
  env.m->target_call_retries_total.Increment();
  auto delay = r.retry_after_s >= 0 ? std::chrono::milliseconds(r.retry_after_s * 1000)
                                    : backoff(env.cfg.retry_base, 1);
  self->delayed_send(self, std::min(delay, env.cfg.retry_cap), retry_atom::value, seq, attempt);
  return true;
}

// Sends the call of `seq` again later when `r` asks for it: a 429 (throttled) or a retryable
// failure with attempts left. False: `r` is the call's final outcome.
bool retry_later(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
                 const outbound_reply& r) {
  if (r.status == 429 && throttled(self, env, seq, attempt, r)) return true;
  if (!r.retryable() || attempt >= env.cfg.max_attempts) {
    self->state.throttled_since.erase(seq);
    return false;
  }
  env.m->target_call_retries_total.Increment();
  auto delay = r.retry_after_s >= 0 ? std::chrono::milliseconds(r.retry_after_s * 1000)
                                    : backoff(env.cfg.retry_base, attempt);
  self->delayed_send(self, std::min(delay, env.cfg.retry_cap), retry_atom::value, seq, attempt + 1);
  return true;
}

// Ends the conversation at `seq` with `x` (its transcript attached): a deterministic finding is
// re-checked by the scan's judge when it has one, then the result is batched.
void end_talk(runner_pointer self, const engine_env& env, int64_t seq, scan_result x) {
  auto& st = self->state;
  auto it = st.talks.find(seq);
  x.transcript = std::move(it->second.messages);
  st.talks.erase(it);
  const probe_set& set = *st.plan->at(seq).set;
  if (x.vulnerable && st.s.judge_target_id && set.detector.type != "judge") {
    judge_task task{*st.s.judge_target_id,
                    recheck_rubric(set.name, set.description, set.detector.type, x.evidence), true};
    std::string reply = x.response;
    return ask_judge(self, env, std::move(x), task, reply,
                     [=](scan_result judged) { record(self, env, std::move(judged)); });
  }
  record(self, env, std::move(x));
}

// A conversation that ends without a reply to judge: an error result naming why.
void fail_talk(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
               const std::string& why) {
  auto& st = self->state;
  const conversation& messages = st.talks[seq].messages;
  bool sent = !messages.empty() && messages.back().role == "user";
  scan_result x = planned(st, seq, sent ? messages.back().content : "");
  x.attempts = attempt;
  x.error = why;
  end_talk(self, env, seq, std::move(x));
}

// The attacker's answer: the next message goes to the target with the whole conversation, or
// the conversation ends as an error (the attacker failed, is gone or wrote nothing).
void attacker_replied(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
                      const target& attacker, const outbound_reply& r) {
  auto& st = self->state;
  if (st.stopping) return;
  if (!r.circuit_open && retry_later(self, env, seq, attempt, r)) return;
  if (!r.answered_2xx())
    return fail_talk(
        self, env, seq, attempt,
        "attacker: " + (r.error.empty() ? "HTTP status " + std::to_string(r.status) : r.error));
  reply_text text = read_reply(attacker, r.body);
  next_message next =
      text.text ? read_next_message(*text.text, max_prompt_bytes) : next_message{"", text.error};
  if (!next.error.empty()) return fail_talk(self, env, seq, attempt, "attacker: " + next.error);
  auto e = st.plan->at(seq);
  talk& t = st.talks[seq];
  t.messages.push_back({"user", e.through ? e.through->apply(next.text) : next.text});
  ++t.turn;
  t.awaiting_attacker = false;
  talk_step(self, env, seq, 1);
}

// The next call of the conversation at `seq` (started here at its first step): the attacker
// writes the next message, or the target answers the conversation so far.
void talk_step(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt) {
  auto& st = self->state;
  auto e = st.plan->at(seq);
  talk& t = st.talks[seq];
  if (!t.awaiting_attacker) {
    target_call c{st.t.id, st.t.kind, st.t.max_concurrency, target_request(st.t, t.messages)};
    c.rate_limit_rpm = st.t.rate_limit_rpm.value_or(0);
    return call_target(self, env, std::move(c),
                       [=](const outbound_reply& r) { settle(self, env, seq, attempt, r); });
  }
  auto found = st.helpers.find(e.set->attacker_target_id);
  if (found == st.helpers.end())
    return fail_talk(self, env, seq, attempt, "attacker: the attacker target was deleted");
  const target& attacker = found->second;
  std::string prompt = attacker_prompt(*e.prompt, t.messages, t.turn + 1, e.set->max_turns);
  call_target(self, env, helper_call(attacker, prompt, "attacker"), [=](const outbound_reply& r) {
    attacker_replied(self, env, seq, attempt, attacker, r);
  });
}

// The target's final reply in a conversation: judged by the set's detector (a judge detector
// asks its judge every turn); a finding ends the conversation at this turn, else the attacker
// writes the next message until max_turns.
void talk_reply(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
                const outbound_reply& r) {
  auto& st = self->state;
  talk& t = st.talks[seq];
  std::string reply;
  scan_result x = assess(st, seq, r, attempt, t.messages.back().content, reply);
  if (x.error) return end_talk(self, env, seq, std::move(x));
  t.messages.push_back({"assistant", truncate_utf8(reply, max_transcript_reply_bytes)});
  auto decided = [=](scan_result judged) {
    auto& st = self->state;
    talk& t = st.talks[seq];
    if (judged.vulnerable) judged.turn = t.turn;
    if (judged.error || judged.vulnerable || t.turn >= st.plan->at(seq).set->max_turns)
      return end_talk(self, env, seq, std::move(judged));
    t.awaiting_attacker = true;
    talk_step(self, env, seq, 1);
  };
  const probe_set& set = *st.plan->at(seq).set;
  if (set.detector.type == "judge")
    return ask_judge(self, env, std::move(x),
                     judge_task{set.detector.judge_target_id, set.detector.rubric, false}, reply,
                     decided);
  decided(std::move(x));
}

// One call's outcome: the scan stops on an open circuit, the prompt is retried, or its result is
// batched (a conversation's turn goes on) and the next prompts go out.
void settle(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt,
            const outbound_reply& r) {
  auto& st = self->state;
  if (st.stopping) return;
  if (r.circuit_open) {
    stop(self, env, "failed", "the target is unavailable: " + r.error);
    return;
  }
  if (retry_later(self, env, seq, attempt, r)) return;
  if (st.talks.count(seq)) return talk_reply(self, env, seq, attempt, r);
  std::string sent;
  if (auto it = st.sent.find(seq); it != st.sent.end()) {
    sent = std::move(it->second);
    st.sent.erase(it);
  }
  std::string reply;
  scan_result x = assess(st, seq, r, attempt, std::move(sent), reply);
  if (auto task = judge_task_for(st, x))
    return ask_judge(self, env, std::move(x), *task, reply,
                     [=](scan_result judged) { record(self, env, std::move(judged)); });
  record(self, env, std::move(x));
}

// Sends prompts while the scan's concurrency allows; ends the scan once all are answered.
void pump(runner_pointer self, const engine_env& env) {
  auto& st = self->state;
  // Results the database has not taken yet bound what goes out: memory stays bounded however
  // fast the target answers (the flush that lands calls pump again).
  bool backlogged = st.batch.size() >= env.cfg.flush_batch * env.cfg.max_waiting_batches;
  while (!st.stopping && !backlogged && st.in_flight < st.s.concurrency && st.next < st.s.total) {
    int64_t seq = st.next++;
    if (st.answered[static_cast<size_t>(seq)]) continue;
    ++st.in_flight;
    send_prompt(self, env, seq, 1);
  }
  if (st.stopping || st.next < st.s.total || st.in_flight > 0) return;
  if (st.s.total > 0 && st.errors == st.s.total)
    return stop(self, env, "failed", "every call to the target failed; last: " + st.last_error);
  if (st.errors > 0)
    return stop(self, env, "completed",
                std::to_string(st.errors) + " of " + std::to_string(st.s.total) +
                    " prompts got no usable reply; last: " + st.last_error);
  stop(self, env, "completed");
}

// The converters of `s` in its order; nullopt when one is no longer in this binary (the plan
// positions of the scan would mean other variants).
std::optional<std::vector<const converter*>> converters_of(const scan& s) {
  std::vector<const converter*> out;
  for (const auto& id : s.converters) {
    const converter* c = find_converter(id);
    if (!c) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

// The sets of `s` in its order: built-ins from the binary, the user's from the copies `kept` with
// the scan. A set that is neither is left out (its prompts are not in the plan).
std::vector<probe_set> sets_of(const scan& s, std::vector<probe_set> kept) {
  std::vector<probe_set> sets;
  for (const auto& ref : s.probe_sets) {
    if (ref.source == "builtin") {
      if (const probe_set* shipped = find_probe_set(ref.id)) sets.push_back(*shipped);
      continue;
    }
    for (auto& k : kept)
      if (k.id == ref.id) sets.push_back(std::move(k));
  }
  return sets;
}

runner_actor::behavior_type runner(runner_pointer self, engine_env env, scan s) {
  auto& st = self->state;
  st.s = std::move(s);
  st.errors = st.s.errors;
  st.answered.assign(static_cast<size_t>(st.s.total), false);
  // The scan's target, the prompts an earlier claim already answered, the user sets kept with
  // the scan and the owner's judge and attacker targets they and the scan name (one deleted since
  // is missing: the results it would judge and the conversations it would write become errors).
  struct progress {
    std::optional<target> t;
    std::vector<int64_t> answered;
    std::vector<probe_set> kept;
    std::map<std::string, target> helpers;
  };
  db_task<progress> task{"scan_resume", storage::access::read, db_deadline(),
                         [x = st.s](storage::session& s) {
                           progress p{storage::find_target(s, x.target_id, "*"),
                                      storage::answered_seqs(s, x.id),
                                      storage::scan_probe_sets(s, x.id),
                                      {}};
                           std::set<std::string> ids;
                           if (x.judge_target_id) ids.insert(*x.judge_target_id);
                           for (const auto& set : p.kept) {
                             if (set.detector.type == "judge")
                               ids.insert(set.detector.judge_target_id);
                             if (set.mode == "crescendo") ids.insert(set.attacker_target_id);
                           }
                           for (const auto& id : ids)
                             if (auto h = storage::find_target(s, id, x.owner_id))
                               p.helpers.emplace(id, std::move(*h));
                           return p;
                         }};
  request_db(
      self, env.pool, std::move(task),
      [=](progress found) {
        auto& st = self->state;
        auto& [t, answered, kept, helpers] = found;
        auto converters = converters_of(st.s);
        if (!converters) return stop(self, env, "failed", "a converter of the scan is unknown");
        st.plan = std::make_unique<scan_plan>(sets_of(st.s, std::move(kept)), *converters);
        if (!t) return stop(self, env, "failed", "the target was deleted");
        if (st.plan->distinct() == 0) return stop(self, env, "failed", "the scan has no prompts");
        st.t = std::move(*t);
        st.helpers = std::move(helpers);
        for (int64_t seq : answered)
          if (seq >= 0 && seq < st.s.total) st.answered[static_cast<size_t>(seq)] = true;
        pump(self, env);
      },
      [=](failure) { self->quit(); });  // the lease lapses and a later sweep resumes the scan
  self->delayed_send(self, env.cfg.flush_interval, tick_atom::value);
  return {
      [=](tick_atom) {
        run_in_background();
        auto& st = self->state;
        if (st.stopping) return;
        flush(self, env);
        self->delayed_send(self, env.cfg.flush_interval, tick_atom::value);
      },
      [=](retry_atom, int64_t seq, int64_t attempt) {
        if (!self->state.stopping) send_prompt(self, env, seq, attempt);
      },
      [=](cancel_atom) {
        if (!self->state.stopping) stop(self, env, {});
      },
      [=](flush_atom) { finish(self, env); },
  };
}

}  // namespace

runner_actor spawn_runner(caf::local_actor* engine, engine_env env, scan claimed) {
  // Detached: a runner's work (judging replies, batching results) runs on a thread of its own at
  // background priority, never on the scheduler threads that serve requests.
  return engine->spawn<caf::detached>(runner, std::move(env), std::move(claimed));
}

}  // namespace vutf
