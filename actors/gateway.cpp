#include "actors/gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <set>
#include <unordered_map>

#include "actors/breaker.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

using caller_actor = caf::typed_actor<caf::replies_to<outbound_call>::with<outbound_reply>>;

// A caller thread ends its call by the call's deadline (DNS resolution, bounded by the system
// resolver, comes before it); one that has not answered this much later is given up.
constexpr auto caller_grace = std::chrono::seconds(30);

// One blocking HTTP call at a time, on a thread of its own, keeping its connections alive.
// http_caller::send never throws, so nothing a target does can end this actor.
struct caller_state {
  std::unique_ptr<http_caller> http;
  static inline const char* name = "target-caller";
};
caller_actor::behavior_type caller(caller_actor::stateful_pointer<caller_state> self, egress e) {
  self->state.http = std::make_unique<http_caller>(std::move(e));
  return {[self](outbound_call& c) { return self->state.http->send(c); }};
}

struct pending {
  target_call call;
  caf::typed_response_promise<outbound_reply> rp;
};

struct circuit {
  circuit_breaker breaker;
  const char* kind;  // metrics label: target (targets and judges) or webhook
  int64_t in_flight = 0;
  std::deque<pending> waiting{};  // over the circuit's concurrency limit
  std::string last_failure{};

  // Nothing to remember: a closed circuit without failures, calls or waiting calls.
  bool forgettable() const {
    return in_flight == 0 && waiting.empty() &&
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

int64_t limit_of(const target_call& call) {
  return std::max<int64_t>(1, call.max_concurrency);
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

// The outcome of an admitted call on `key`: the breaker learns it, the requester gets it, and
// what waited behind it may start.
void settle(gateway_pointer self, const std::string& key, const std::string& kind,
            const std::string& role, const outbound_reply& r) {
  auto it = self->state.circuits.find(key);
  if (it != self->state.circuits.end()) {
    circuit& c = it->second;
    --c.in_flight;
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
  std::string kind = p.call.kind;
  std::string role = p.call.role;
  self->request(worker, p.call.call.timeout + caller_grace, p.call.call)
      .then(
          [=](outbound_reply& r) mutable {
            self->state.idle.push_back(worker);
            settle(self, key, kind, role, r);
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
            settle(self, key, kind, role, failed);
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
  run(self, key, std::move(p));
}

// Starts what waits on `key` while its limit allows, forgets the circuit if nothing is left to
// remember (so user-chosen hosts cannot grow the map), then runs calls that waited for a thread.
void pump(gateway_pointer self, const std::string& key) {
  auto& st = self->state;
  auto it = st.circuits.find(key);
  if (it != st.circuits.end()) {
    circuit& c = it->second;
    while (!c.waiting.empty() && c.in_flight < limit_of(c.waiting.front().call)) {
      pending next = std::move(c.waiting.front());
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
        circuit& c = it->second;
        if (c.in_flight >= limit_of(call)) {
          c.waiting.push_back({std::move(call), rp});
        } else {
          start(self, key, c, pending{std::move(call), rp});
        }
        return rp;
      },
      [self](status_atom, const std::string& key) -> std::string {
        auto it = self->state.circuits.find(key);
        return it == self->state.circuits.end() ? "closed"
                                                : to_string(it->second.breaker.current());
      },
  };
}

}  // namespace

gateway_actor spawn_gateway(caf::actor_system& sys, gateway_config cfg,
                            std::shared_ptr<metrics> m) {
  return sys.spawn(gateway, std::move(cfg), std::move(m));
}

}  // namespace vutf
