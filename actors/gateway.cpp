#include "actors/gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <random>
#include <set>
#include <unordered_map>

#include "actors/background.hpp"
#include "actors/breaker.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

using caller_actor = caf::typed_actor<caf::replies_to<outbound_call>::with<outbound_reply>>;

// A caller thread ends its call by the call's deadline (DNS resolution, bounded by the system
// resolver, comes before it); one that has not answered this much later is given up.
constexpr auto caller_grace = std::chrono::seconds(30);

// One blocking HTTP call at a time, on a thread of its own, keeping its connections alive.
// http_caller::send never throws, so nothing a target does can end this actor. Its thread runs
// below request threads, as the scans and webhooks whose calls it makes do: the parsing,
// serialising and socket work of a scan against a fast target would otherwise take its share of
// the cores at the requests' priority (W10).
struct caller_state {
  std::unique_ptr<http_caller> http;
  static inline const char* name = "target-caller";
};
caller_actor::behavior_type caller(caller_actor::stateful_pointer<caller_state> self, egress e) {
  self->state.http = std::make_unique<http_caller>(std::move(e));
  return {[self](outbound_call& c) {
    run_in_background();  // on the actor's own thread (once: it stays lowered)
    return self->state.http->send(c);
  }};
}

// Pacing after 429s: additive increase, multiplicative decrease (AIMD) of a circuit's pace, its
// effective concurrency limit, in each instance. A 429 halves the pace (at least 1 call at a
// time), once per round: a 429 to a call that started before the last cut does not cut again,
// so one burst of 429s counts once. It also pauses the circuit (no call starts) for the
// Retry-After the target sent, at most max_pause (default_pause without one). Each 2xx then adds
// 1/pace, about one call more per round of successes, until the pace is back at max_concurrency
// and the circuit runs at full speed. The runner retries the 429ed prompt (actors/runner.cpp),
// so a target that 429s now and then slows the scan down instead of failing prompts.
constexpr auto max_pause = std::chrono::seconds(60);
constexpr auto default_pause = std::chrono::seconds(1);
// Calls over rate_limit_rpm wait for the next window, plus up to this much jitter so the waiting
// calls of every instance do not all ask at the same instant.
constexpr int64_t window_jitter_ms = 200;

struct pending {
  target_call call;
  caf::typed_response_promise<outbound_reply> rp;
  clock::time_point since = clock::now();  // queued: a call waits at most gateway_queue_patience
  clock::time_point started{};             // admitted to run
  bool held = false;                       // counted in target_call_throttles_total already
};

struct circuit {
  circuit_breaker breaker;
  const char* kind;  // metrics label: target (targets and judges) or webhook
  int64_t in_flight = 0;
  std::deque<pending> waiting{};  // over the circuit's limits, or waiting for a rate slot
  std::string last_failure{};
  double pace = 0;                   // the concurrency limit after 429s (0: not lowered)
  clock::time_point cut_at{};        // when the pace was last halved
  clock::time_point paused_until{};  // no call starts before (a 429's Retry-After)
  clock::time_point slot_after{};    // over rate_limit_rpm: no slot before the next window
  bool asking = false;               // a rate slot is being counted
  bool woken = false;                // a tick_atom is due for this circuit

  // Nothing to remember: a closed circuit without failures, calls, waiting calls or a pause.
  // (A lowered pace is forgotten with it: a target idle on this instance starts at full speed.)
  bool forgettable() const {
    return in_flight == 0 && waiting.empty() && !asking && clock::now() >= paused_until &&
           breaker.current() == circuit_breaker::state::closed &&
           breaker.consecutive_failures() == 0;
  }
};

struct gateway_state {
  gateway_config cfg;
  std::shared_ptr<metrics> m;
  std::unordered_map<std::string, circuit> circuits;  // only the ones with something to remember
  std::vector<caller_actor> idle;
  std::set<caf::actor_addr> callers;  // caller threads in service (idle or busy)
  std::set<caf::actor_addr> linked;   // caller threads whose exit message may still come
  std::deque<std::pair<std::string, pending>> starved;  // waiting for a caller thread
  static inline const char* name = "gateway";
};

using gateway_pointer = gateway_actor::stateful_pointer<gateway_state>;

int64_t full_limit(const target_call& call) {
  return std::max<int64_t>(1, call.max_concurrency);
}

// The concurrency limit of `c` now: the call's max_concurrency, or less while 429s slowed it.
int64_t limit_of(const circuit& c, const target_call& call) {
  int64_t full = full_limit(call);
  return c.pace > 0 ? std::min(full, std::max<int64_t>(1, static_cast<int64_t>(c.pace))) : full;
}

// Counts circuits by kind and state (closed ones are not counted: they are most and forgotten).
void count(gateway_pointer self, const circuit& c, circuit_breaker::state s, double delta) {
  if (s != circuit_breaker::state::closed)
    self->state.m->circuit_breakers.with({c.kind, to_string(s)}).Increment(delta);
}

// Records a breaker transition from `before` (nothing when the state did not change).
void report(gateway_pointer self, const circuit& c, circuit_breaker::state before) {
  auto now = c.breaker.current();
  if (now == before) return;
  self->state.m->circuit_breaker_transitions_total.with({to_string(now)}).Increment();
  count(self, c, before, -1);
  count(self, c, now, +1);
}

void pump(gateway_pointer self, const std::string& key);

// Counts a call held back by `cause`, once per call.
void hold(gateway_pointer self, pending& p, const char* cause) {
  if (p.held) return;
  p.held = true;
  self->state.m->target_call_throttles_total.with({cause}).Increment();
}

// The pace after a call that started at `started` got `r` (see the AIMD comment above).
void adapt_pace(circuit& c, const target_call& call, clock::time_point started,
                const outbound_reply& r) {
  auto now = clock::now();
  if (r.status == 429) {
    if (started >= c.cut_at) {
      double current = c.pace > 0 ? c.pace : static_cast<double>(full_limit(call));
      c.pace = std::max(1.0, current / 2);
      c.cut_at = now;
    }
    clock::duration pause = r.retry_after_s >= 0 ? std::chrono::seconds(r.retry_after_s)
                                                 : std::chrono::seconds(default_pause);
    c.paused_until = std::max(c.paused_until, now + std::min<clock::duration>(pause, max_pause));
  } else if (r.answered_2xx() && c.pace > 0) {
    c.pace += 1 / c.pace;
    if (c.pace >= static_cast<double>(full_limit(call))) c.pace = 0;
  }
}

// The outcome of an admitted call `p` on `key`: the breaker and the pace learn it, the requester
// gets it, and what waited behind it may start.
void settle(gateway_pointer self, const std::string& key, const pending& p,
            const outbound_reply& r) {
  const std::string& kind = p.call.kind;
  const std::string& role = p.call.role;
  auto it = self->state.circuits.find(key);
  if (it != self->state.circuits.end()) {
    circuit& c = it->second;
    --c.in_flight;
    adapt_pace(c, p.call, p.started, r);
    auto before = c.breaker.current();
    if (r.breaker_failure()) {
      c.last_failure = r.error;
      c.breaker.failed(circuit_breaker::clock::now());
    } else if (!r.refused) {
      c.breaker.succeeded();
    } else {
      c.breaker.abandoned();
    }
    report(self, c, before);
  }
  self->state.m->target_call_duration_seconds.with({kind, role}).Observe(r.seconds);
  pump(self, key);
}

// Sends an admitted call on a free caller thread (or parks it until one is free).
void run(gateway_pointer self, const std::string& key, pending p) {
  auto& st = self->state;
  caller_actor worker;
  if (!st.idle.empty()) {
    worker = st.idle.back();
    st.idle.pop_back();
  } else if (st.callers.size() < st.cfg.max_callers) {
    worker = self->home_system().spawn<caf::detached>(caller, st.cfg.out);
    self->link_to(worker);
    st.callers.insert(worker.address());
    st.linked.insert(worker.address());
  } else {
    st.starved.emplace_back(key, std::move(p));
    return;
  }
  self->request(worker, p.call.call.timeout + caller_grace, p.call.call)
      .then(
          [=](outbound_reply& r) mutable {
            self->state.idle.push_back(worker);
            settle(self, key, p, r);
            p.rp.deliver(std::move(r));
          },
          [=](caf::error& e) mutable {
            // The thread died (its exit message comes through the link) or is stuck past its
            // call's deadline (given up: it exits when its call returns). Either way the call is
            // a failure the breaker learns, so a half-open trial is never held by a lost caller.
            auto& st = self->state;
            if (e == caf::sec::request_timeout) {
              self->unlink_from(worker);
              self->send_exit(worker, caf::exit_reason::user_shutdown);
              st.linked.erase(worker.address());
            }
            st.callers.erase(worker.address());
            outbound_reply failed;
            failed.error = "the caller thread failed (" + caf::to_string(e) + ")";
            settle(self, key, p, failed);
            p.rp.deliver(std::move(failed));
          });
}

// Starts `p` on `key`'s circuit now: refused at once while the circuit is open.
void start(gateway_pointer self, const std::string& key, circuit& c, pending p) {
  auto before = c.breaker.current();
  if (!c.breaker.admit(circuit_breaker::clock::now())) {
    outbound_reply refused;
    refused.circuit_open = true;
    refused.error = "circuit open after " + std::to_string(self->state.cfg.breaker_failures) +
                    " consecutive failures (last: " + c.last_failure + ")";
    p.rp.deliver(std::move(refused));
    return;
  }
  report(self, c, before);
  ++c.in_flight;
  p.started = clock::now();
  run(self, key, std::move(p));
}

// A tick_atom for `key` at `at` (unless one is due already: it schedules the next itself).
void wake(gateway_pointer self, const std::string& key, circuit& c, clock::time_point at) {
  if (c.woken) return;
  c.woken = true;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - clock::now());
  self->delayed_send(self, std::max(wait, std::chrono::milliseconds(1)), tick_atom::value, key);
}

// The answer to a rate slot asked for in the window ending at `window_end_ms`: the first
// waiting call starts (also when the store could not count: fail open, like the API's rate
// limits), or the circuit waits for the next window.
void slot_answered(gateway_pointer self, const std::string& key, int64_t rpm, int64_t window_end_ms,
                   const rate_count& n) {
  auto it = self->state.circuits.find(key);
  if (it == self->state.circuits.end()) return;
  circuit& c = it->second;
  c.asking = false;
  if (!c.waiting.empty()) {
    if (!n.count || *n.count <= rpm) {
      pending next = std::move(c.waiting.front());
      c.waiting.pop_front();
      start(self, key, c, std::move(next));
    } else {
      hold(self, c.waiting.front(), "rate_limit");
      thread_local std::mt19937 rng{std::random_device{}()};
      int64_t jitter = std::uniform_int_distribution<int64_t>(0, window_jitter_ms)(rng);
      c.slot_after = clock::now() + std::chrono::milliseconds(
                                        std::max<int64_t>(0, window_end_ms - now_ms()) + jitter);
    }
  }
  pump(self, key);
}

// Counts one call against the rate_limit_rpm of `key` in the current window (one question at a
// time per circuit: the answer decides about the first waiting call). The count lives in the
// cache (Redis: one atomic script per hit, the key expiring with its window), so every instance
// spends the same budget; the cache actor does the I/O, never this one.
void ask_slot(gateway_pointer self, const std::string& key, circuit& c) {
  if (c.asking) return;
  if (clock::now() < c.slot_after) return wake(self, key, c, c.slot_after);
  c.asking = true;
  auto window = self->state.cfg.rate_window;
  int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
  int64_t now = now_ms();
  int64_t window_start = now - now % window_ms;
  int64_t rpm = c.waiting.front().call.rate_limit_rpm;
  int64_t end = window_start + window_ms;
  self->request(self->state.cfg.cache, caf::infinite,
                rate_hit{"targetrate:" + key + ":" + std::to_string(window_start), window})
      .then([=](rate_count& n) { slot_answered(self, key, rpm, end, n); },
            [=](caf::error&) { slot_answered(self, key, rpm, end, rate_count{}); });
}

// Starts what waits on `key` while its limit allows, forgets the circuit if nothing is left to
// remember (so user-chosen hosts cannot grow the map), then runs calls that waited for a thread.
// A call that waited past gateway_queue_patience is answered without being sent (its requester
// stops waiting about then).
void pump(gateway_pointer self, const std::string& key) {
  auto& st = self->state;
  auto it = st.circuits.find(key);
  if (it != st.circuits.end()) {
    circuit& c = it->second;
    while (!c.waiting.empty() && !c.asking) {
      pending& front = c.waiting.front();
      auto now = clock::now();
      if (now - front.since > gateway_queue_patience) {
        outbound_reply late;
        late.error = "no call slot of the target came free within the queue patience";
        front.rp.deliver(std::move(late));
        c.waiting.pop_front();
        continue;
      }
      if (c.in_flight >= limit_of(c, front.call)) {
        if (c.pace > 0 && c.in_flight < full_limit(front.call)) hold(self, front, "target_429");
        break;
      }
      if (now < c.paused_until) {
        hold(self, front, "target_429");
        wake(self, key, c, c.paused_until);
        break;
      }
      if (front.call.rate_limit_rpm > 0 && st.cfg.cache) {
        ask_slot(self, key, c);
        break;
      }
      pending next = std::move(front);
      c.waiting.pop_front();
      start(self, key, c, std::move(next));
    }
    if (c.forgettable()) st.circuits.erase(it);
  }
  while (!st.starved.empty() && (!st.idle.empty() || st.callers.size() < st.cfg.max_callers)) {
    auto [k, p] = std::move(st.starved.front());
    st.starved.pop_front();
    run(self, k, std::move(p));
  }
}

gateway_actor::behavior_type gateway(gateway_pointer self, gateway_config cfg,
                                     std::shared_ptr<metrics> m) {
  self->state.cfg = std::move(cfg);
  self->state.m = std::move(m);
  // A caller thread that died does not take the gateway with it (its request fails on its own,
  // see run). Any other exit message is the service stopping the gateway.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.linked.erase(msg.source) == 0) {
      self->quit(msg.reason);
      return;
    }
    st.callers.erase(msg.source);
    if (msg.reason != caf::exit_reason::normal)
      log::warning("outbound caller thread died", {{"reason", caf::to_string(msg.reason)}});
  });
  return {
      [self](target_call& call) {
        auto rp = self->make_response_promise<outbound_reply>();
        std::string key = call.circuit;
        auto& st = self->state;
        auto it = st.circuits.find(key);
        if (it == st.circuits.end()) {
          const char* kind = call.kind == "webhook" ? "webhook" : "target";
          it = st.circuits
                   .emplace(key,
                            circuit{circuit_breaker(st.cfg.breaker_failures, st.cfg.breaker_reset),
                                    kind})
                   .first;
        }
        it->second.waiting.push_back({std::move(call), rp});
        pump(self, key);
        return rp;
      },
      [self](status_atom, const std::string& key) -> std::string {
        auto it = self->state.circuits.find(key);
        return it == self->state.circuits.end() ? "closed"
                                                : to_string(it->second.breaker.current());
      },
      [self](tick_atom, const std::string& key) {
        auto it = self->state.circuits.find(key);
        if (it == self->state.circuits.end()) return;
        it->second.woken = false;
        pump(self, key);
      },
  };
}

}  // namespace

gateway_actor spawn_gateway(caf::actor_system& sys, gateway_config cfg,
                            std::shared_ptr<metrics> m) {
  return sys.spawn(gateway, std::move(cfg), std::move(m));
}

}  // namespace vutf
