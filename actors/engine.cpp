#include "actors/engine.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "actors/plumbing.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/detectors.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "metrics/metrics.hpp"
#include "storage/scan_store.hpp"
#include "storage/target_store.hpp"

namespace vutf {

std::string webhook_body(const scan& s) {
  auto time = [](const std::optional<int64_t>& ms) {
    return ms ? nlohmann::json(format_timestamp(*ms)) : nlohmann::json(nullptr);
  };
  const auto& f = s.findings;
  return nlohmann::json{
      {"event", "scan." + s.status},
      {"scan",
       {{"id", s.id},
        {"target_id", s.target_id},
        {"probes", s.probes},
        {"status", s.status},
        {"progress", {{"total", s.total}, {"done", s.done}, {"errors", s.errors}}},
        {"summary",
         {{"findings", f.total()},
          {"by_severity",
           {{"low", f.low}, {"medium", f.medium}, {"high", f.high}, {"critical", f.critical}}}}},
        {"error", s.error ? nlohmann::json(*s.error) : nlohmann::json(nullptr)},
        {"created_at", format_timestamp(s.created_at_ms)},
        {"started_at", time(s.started_at_ms)},
        {"finished_at", time(s.finished_at_ms)}}}}
      .dump();
}

target_call webhook_call(const std::string& url, const std::string& body, const std::string& key) {
  target_call c;
  c.circuit = "webhook:" + url_origin(url);
  c.kind = "webhook";
  c.max_concurrency = 4;
  c.call.url = url;
  c.call.body = body;
  c.call.timeout = std::chrono::seconds(10);
  c.call.headers = {{"X-Signature", webhook_signature(key, body)},
                    {"X-Webhook-Event", "scan.finished"}};
  return c;
}

namespace {

// The pause before try number `attempt` + 1: base, 2x, 4x... plus up to a quarter of jitter, so
// the retries of many prompts do not arrive together.
std::chrono::milliseconds backoff(std::chrono::milliseconds base, int64_t attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto pause = base * (int64_t{1} << std::min<int64_t>(attempt - 1, 20));
  std::uniform_int_distribution<int64_t> extra(0, pause.count() / 4);
  return pause + std::chrono::milliseconds(extra(rng));
}

// ---- webhooks ----

webhook_actor::behavior_type webhooks(webhook_actor::pointer self, webhook_config cfg,
                                      gateway_actor gateway, std::shared_ptr<metrics> m) {
  return {
      [=](webhook_delivery& d) {
        self->request(gateway, caf::infinite, webhook_call(d.url, d.body, cfg.signing_key))
            .then([=](outbound_reply& r) {
              if (r.answered_2xx()) {
                m->webhook_deliveries_total.with({"delivered"}).Increment();
                return;
              }
              if (d.attempt >= cfg.max_attempts) {
                m->webhook_deliveries_total.with({"failed"}).Increment();
                log::warning("webhook not delivered; giving up",
                             {{"url", url_origin(d.url)},
                              {"attempts", std::to_string(d.attempt)},
                              {"error", r.error}});
                return;
              }
              m->webhook_deliveries_total.with({"retried"}).Increment();
              webhook_delivery next = d;
              ++next.attempt;
              self->delayed_send(self, backoff(cfg.retry_base, d.attempt), next);
            });
      },
  };
}

// ---- runners ----

// What the engine and its runners share.
struct engine_env {
  engine_config cfg;
  db_pool_actor pool;          // runners' reads and result writes: request-like load
  db_connection_actor keeper;  // the engine's queue housekeeping, on a connection of its own
  cache_actor cache;
  gateway_actor gateway;
  webhook_actor webhooks;
  std::shared_ptr<metrics> m;
};

struct runner_state {
  scan s;
  target t;
  std::unique_ptr<scan_plan> plan;
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
  int64_t ticks = 0;
  int64_t final_attempts = 0;
  static inline const char* name = "scan-runner";
};

using runner_pointer = caf::stateful_actor<runner_state>*;

clock::time_point db_deadline() {
  return clock::now() + std::chrono::seconds(10);
}

void pump(runner_pointer self, const engine_env& env);

// Writes the last batch (and the final status when there is one), announces the end, quits.
// A write that fails is tried again each second for a while; after that the lease lapses and
// another sweep resumes the scan, so nothing answered is lost to a brief database outage.
void finish(runner_pointer self, const engine_env& env) {
  auto& st = self->state;
  if (st.flushing) return;  // the write in flight calls back here when it is done
  st.flushing = true;
  db_call call{"scan_finish", storage::access::write,
               [id = st.s.id, claim = st.s.claim, batch = st.batch,
                ending = st.ending](storage::session& s) -> std::any {
                 if (!storage::record_results(s, id, claim, batch, now_ms()))
                   return std::optional<scan>{};
                 if (ending)
                   storage::finish_scan(s, id, claim, ending->first, ending->second, now_ms());
                 return storage::find_scan(s, id, "*");
               },
               db_deadline()};
  self->request(env.pool, caf::infinite, std::move(call)).then([=](db_result& r) {
    auto& st = self->state;
    st.flushing = false;
    if (r.error) {
      if (++st.final_attempts < 30) {
        self->delayed_send(self, std::chrono::seconds(1), flush_atom::value);
        return;
      }
      log::error("scan results could not be written; the scan will be resumed",
                 {{"scan_id", st.s.id}, {"error", r.error->detail}});
      self->quit();
      return;
    }
    auto ended = std::any_cast<std::optional<scan>>(r.value);
    if (ended && ended->finished()) {
      env.m->scans_total.with({ended->status}).Increment();
      log::info("scan ended", {{"scan_id", ended->id},
                               {"status", ended->status},
                               {"done", std::to_string(ended->done)},
                               {"findings", std::to_string(ended->findings.total())}});
      if (ended->webhook_url)
        self->send(env.webhooks, webhook_delivery{*ended->webhook_url, webhook_body(*ended)});
    }
    caf::anon_send(env.cache, cache_bump{{stats_scope}});
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
  db_call call{"scan_results_write", storage::access::write,
               [id = st.s.id, claim = st.s.claim, batch](storage::session& s) -> std::any {
                 return storage::record_results(s, id, claim, *batch, now_ms());
               },
               db_deadline()};
  self->request(env.pool, caf::infinite, std::move(call)).then([=](db_result& r) {
    auto& st = self->state;
    st.flushing = false;
    if (r.error) {  // kept for the next write
      st.batch.insert(st.batch.begin(), batch->begin(), batch->end());
    } else if (!std::any_cast<bool>(r.value)) {
      st.stopping = true;  // claimed by another instance after our lease lapsed
      self->quit();
      return;
    } else {
      caf::anon_send(env.cache, cache_bump{{stats_scope}});  // findings changed the statistics
    }
    if (st.stopping) finish(self, env);
  });
}

// Judges the final reply to the prompt at `seq`.
scan_result judge(const runner_state& st, int64_t seq, const outbound_reply& r, int64_t attempts) {
  auto e = st.plan->at(seq);
  scan_result x;
  x.seq = seq;
  x.probe = e.set->id;
  x.prompt = *e.prompt;
  x.detector = e.set->detector.type;
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
  return x;
}

void send_prompt(runner_pointer self, const engine_env& env, int64_t seq, int64_t attempt) {
  auto& st = self->state;
  target_call c{st.t.id, st.t.kind, st.t.max_concurrency,
                target_request(st.t, *st.plan->at(seq).prompt)};
  self->request(env.gateway, caf::infinite, std::move(c)).then([=](outbound_reply& r) {
    auto& st = self->state;
    if (st.stopping) return;
    if (r.circuit_open) {
      stop(self, env, "failed", "the target is unavailable: " + r.error);
      return;
    }
    if (r.retryable() && attempt < env.cfg.max_attempts) {
      env.m->target_call_retries_total.Increment();
      auto delay = r.retry_after_s >= 0 ? std::chrono::milliseconds(r.retry_after_s * 1000)
                                        : backoff(env.cfg.retry_base, attempt);
      self->delayed_send(self, std::min(delay, env.cfg.retry_cap), retry_atom::value, seq,
                         attempt + 1);
      return;
    }
    scan_result x = judge(st, seq, r, attempt);
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
  });
}

// Sends prompts while the scan's concurrency allows; ends the scan once all are answered.
void pump(runner_pointer self, const engine_env& env) {
  auto& st = self->state;
  while (!st.stopping && st.in_flight < st.s.concurrency && st.next < st.s.total) {
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

void renew(runner_pointer self, const engine_env& env) {
  auto& st = self->state;
  db_call call{
      "scan_renew", storage::access::write,
      [id = st.s.id, claim = st.s.claim, until = now_ms() + env.cfg.lease.count()](
          storage::session& s) -> std::any { return storage::renew_lease(s, id, claim, until); },
      db_deadline()};
  self->request(env.pool, caf::infinite, std::move(call)).then([=](db_result& r) {
    // Not renewed: cancelled, or claimed elsewhere. A database error changes nothing yet.
    if (!r.error && !std::any_cast<bool>(r.value) && !self->state.stopping) stop(self, env, {});
  });
}

caf::behavior runner(runner_pointer self, engine_env env, scan s) {
  auto& st = self->state;
  st.s = std::move(s);
  st.errors = st.s.errors;
  st.plan = std::make_unique<scan_plan>(st.s.probes);
  st.answered.assign(static_cast<size_t>(st.s.total), false);
  db_call call{"scan_resume", storage::access::read,
               [id = st.s.id, target_id = st.s.target_id](storage::session& s) -> std::any {
                 return std::make_pair(storage::find_target(s, target_id, "*"),
                                       storage::answered_seqs(s, id));
               },
               db_deadline()};
  self->request(env.pool, caf::infinite, std::move(call)).then([=](db_result& r) {
    auto& st = self->state;
    if (r.error) {  // the lease lapses and a later sweep resumes the scan
      self->quit();
      return;
    }
    auto [found, answered] =
        std::any_cast<std::pair<std::optional<target>, std::vector<int64_t>>>(std::move(r.value));
    if (!found) return stop(self, env, "failed", "the target was deleted");
    if (st.plan->distinct() == 0) return stop(self, env, "failed", "the scan has no prompts");
    st.t = std::move(*found);
    for (int64_t seq : answered)
      if (seq >= 0 && seq < st.s.total) st.answered[static_cast<size_t>(seq)] = true;
    pump(self, env);
  });
  self->delayed_send(self, env.cfg.flush_interval, tick_atom::value);
  int64_t renew_every = std::max<int64_t>(
      1, env.cfg.heartbeat.count() / std::max<int64_t>(1, env.cfg.flush_interval.count()));
  return {
      [=](tick_atom) {
        auto& st = self->state;
        if (st.stopping) return;
        flush(self, env);
        if (++st.ticks % renew_every == 0) renew(self, env);
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

// ---- the engine ----

struct engine_state {
  int64_t running = 0;
  bool busy = false;   // a housekeeping round is in flight
  bool again = false;  // ... and another was asked for meanwhile
  bool stopped = false;
  std::unordered_map<std::string, caf::actor> runners;  // by scan id
  std::unordered_map<caf::actor_addr, std::string> scan_of;
  static inline const char* name = "scan-engine";
};

using engine_pointer = engine_actor::stateful_pointer<engine_state>;

// What one housekeeping round found: scans of dead instances put back (or failed), scans claimed.
struct housekeeping {
  std::pair<int64_t, int64_t> recovered;  // requeued, failed
  std::vector<scan> claimed;
};

void start_runner(engine_pointer self, const engine_env& env, scan claimed) {
  auto& st = self->state;
  log::info("scan started", {{"scan_id", claimed.id},
                             {"claim", std::to_string(claimed.claim)},
                             {"total", std::to_string(claimed.total)}});
  std::string id = claimed.id;
  auto a = self->spawn(runner, env, std::move(claimed));
  self->monitor(a);
  st.runners[id] = a;
  st.scan_of[a.address()] = id;
  ++st.running;
  env.m->scans_running.Set(static_cast<double>(st.running));
}

// Puts the scans of dead instances back in the queue (failing those interrupted too often), then
// claims queued scans for the free workers. One round at a time; a request for another round
// while one runs (a kick, a runner ending) is kept and served right after it.
void housekeep(engine_pointer self, const engine_env& env) {
  auto& st = self->state;
  if (st.stopped) return;
  if (st.busy) {
    st.again = true;
    return;
  }
  st.busy = true;
  db_call call{
      "scan_housekeeping", storage::access::write,
      [cfg = env.cfg, free = env.cfg.workers - st.running](storage::session& s) -> std::any {
        int64_t now = now_ms();
        housekeeping h;
        h.recovered = storage::recover_orphans(s, now, cfg.max_claims);
        for (int64_t i = 0; i < free; ++i) {
          auto claimed = storage::claim_scan(s, cfg.instance_id, now, now + cfg.lease.count());
          if (!claimed) break;
          h.claimed.push_back(std::move(*claimed));
        }
        return h;
      },
      db_deadline()};
  self->request(env.keeper, caf::infinite, std::move(call)).then([=](db_result& r) {
    auto& st = self->state;
    st.busy = false;
    if (r.error || st.stopped) return;
    auto h = std::any_cast<housekeeping>(std::move(r.value));
    auto [requeued, failed] = h.recovered;
    if (requeued + failed > 0)
      log::warning("recovered scans of a stopped instance",
                   {{"requeued", std::to_string(requeued)}, {"failed", std::to_string(failed)}});
    for (auto& claimed : h.claimed) start_runner(self, env, std::move(claimed));
    if (requeued + failed > 0 || !h.claimed.empty())
      caf::anon_send(env.cache, cache_bump{{stats_scope}});
    if (st.again) {
      st.again = false;
      housekeep(self, env);
    }
  });
}

engine_actor::behavior_type engine(engine_pointer self, engine_env env) {
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.scan_of.find(dm.source);
    if (it == st.scan_of.end()) return;
    st.runners.erase(it->second);
    st.scan_of.erase(it);
    --st.running;
    env.m->scans_running.Set(static_cast<double>(st.running));
    housekeep(self, env);
  });
  self->link_to(env.keeper);  // the keeper's connection closes with the engine
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        if (self->state.stopped) return;
        // Also claims what other instances queued: their kicks do not reach this one.
        housekeep(self, env);
        self->delayed_send(self, env.cfg.heartbeat, tick_atom::value);
      },
      [=](kick_atom) { housekeep(self, env); },
      [=](cancel_atom, const std::string& id) {
        auto it = self->state.runners.find(id);
        if (it != self->state.runners.end()) caf::anon_send(it->second, cancel_atom::value);
      },
      [=](status_atom) { return self->state.running; },
      [=](flush_atom) -> caf::typed_response_promise<bool> {
        auto& st = self->state;
        st.stopped = true;
        for (auto& [id, a] : st.runners) self->send_exit(a, caf::exit_reason::user_shutdown);
        auto rp = self->make_response_promise<bool>();
        db_call call{"scan_release", storage::access::write,
                     [instance = env.cfg.instance_id](storage::session& s) -> std::any {
                       return storage::release_scans(s, instance);
                     },
                     db_deadline()};
        self->request(env.keeper, caf::infinite, std::move(call)).then([=](db_result& r) mutable {
          rp.deliver(!r.error);
        });
        return rp;
      },
  };
}

}  // namespace

webhook_actor spawn_webhooks(caf::actor_system& sys, webhook_config cfg, gateway_actor gateway,
                             std::shared_ptr<metrics> m) {
  return sys.spawn(webhooks, std::move(cfg), std::move(gateway), std::move(m));
}

engine_actor spawn_engine(caf::actor_system& sys, engine_config cfg, db_pool_actor pool,
                          db_connection_actor keeper, cache_actor cache, gateway_actor gateway,
                          webhook_actor webhooks, std::shared_ptr<metrics> m) {
  return sys.spawn(engine,
                   engine_env{std::move(cfg), std::move(pool), std::move(keeper), std::move(cache),
                              std::move(gateway), std::move(webhooks), std::move(m)});
}

}  // namespace vutf
