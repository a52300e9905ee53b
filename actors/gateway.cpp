#include "actors/gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <unordered_map>

#include "actors/breaker.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

using caller_actor = caf::typed_actor<caf::replies_to<outbound_call>::with<outbound_reply>>;

// A caller thread enforces its call's timeout on connecting, writing and each read; one that has
// not answered this much later is stuck (a peer trickling bytes) and is given up.
constexpr auto caller_grace = std::chrono::seconds(30);

// One blocking HTTP call at a time, on a thread of its own, keeping its connections alive.
struct caller_state {
  http_caller http;
  static inline const char* name = "target-caller";
};
caller_actor::behavior_type caller(caller_actor::stateful_pointer<caller_state> self) {
  return {[self](outbound_call& c) { return self->state.http.send(c); }};
}

struct pending {
  target_call call;
  caf::typed_response_promise<outbound_reply> rp;
};

struct circuit {
  circuit_breaker breaker;
  int64_t in_flight = 0;
  std::deque<pending> waiting{};  // over the circuit's concurrency limit
  std::string last_failure{};
};

struct gateway_state {
  gateway_config cfg;
  std::shared_ptr<metrics> m;
  std::unordered_map<std::string, circuit> circuits;
  std::vector<caller_actor> idle;
  size_t callers = 0;
  std::deque<std::pair<std::string, pending>> starved;  // waiting for a caller thread
  static inline const char* name = "gateway";
};

using gateway_pointer = gateway_actor::stateful_pointer<gateway_state>;

int state_number(circuit_breaker::state s) {
  return s == circuit_breaker::state::closed ? 0 : s == circuit_breaker::state::open ? 1 : 2;
}

circuit& circuit_of(gateway_pointer self, const std::string& key) {
  auto& st = self->state;
  auto it = st.circuits.find(key);
  if (it == st.circuits.end())
    it = st.circuits
             .emplace(key, circuit{circuit_breaker(st.cfg.breaker_failures, st.cfg.breaker_reset)})
             .first;
  return it->second;
}

void report(gateway_pointer self, const std::string& key,
            std::optional<circuit_breaker::state> changed) {
  if (!changed) return;
  auto& m = *self->state.m;
  m.circuit_breaker_transitions_total.with({to_string(*changed)}).Increment();
  m.circuit_breaker_state.with({key}).Set(state_number(*changed));
}

void pump(gateway_pointer self, const std::string& key);

// Sends an admitted call on a free caller thread (or parks it until one is free).
void run(gateway_pointer self, const std::string& key, pending p) {
  auto& st = self->state;
  caller_actor worker;
  if (!st.idle.empty()) {
    worker = st.idle.back();
    st.idle.pop_back();
  } else if (st.callers < st.cfg.max_callers) {
    worker = self->home_system().spawn<caf::detached>(caller);
    self->link_to(worker);
    ++st.callers;
  } else {
    st.starved.emplace_back(key, std::move(p));
    return;
  }
  std::string kind = p.call.kind;
  self->request(worker, p.call.call.timeout + caller_grace, p.call.call)
      .then(
          [=](outbound_reply& r) mutable {
            self->state.idle.push_back(worker);
            auto& c = circuit_of(self, key);
            --c.in_flight;
            self->state.m->target_call_duration_seconds.with({kind}).Observe(r.seconds);
            if (r.breaker_failure()) {
              c.last_failure = r.error;
              report(self, key, c.breaker.failed(circuit_breaker::clock::now()));
            } else {
              report(self, key, c.breaker.succeeded());
            }
            p.rp.deliver(std::move(r));
            pump(self, key);
          },
          [=](caf::error& e) mutable {
            if (e == caf::sec::request_timeout) {  // it exits when its call returns
              self->unlink_from(worker);
              self->send_exit(worker, caf::exit_reason::user_shutdown);
            }
            --self->state.callers;  // that thread is gone
            --circuit_of(self, key).in_flight;
            outbound_reply failed;
            failed.error = "the caller thread failed";
            p.rp.deliver(std::move(failed));
            pump(self, key);
          });
}

// Starts `p` on `key`'s circuit now: refused at once while the circuit is open.
void start(gateway_pointer self, const std::string& key, pending p) {
  auto& c = circuit_of(self, key);
  auto before = c.breaker.current();
  if (!c.breaker.admit(circuit_breaker::clock::now())) {
    outbound_reply refused;
    refused.circuit_open = true;
    refused.error = "circuit open after " + std::to_string(self->state.cfg.breaker_failures) +
                    " consecutive failures (last: " + c.last_failure + ")";
    p.rp.deliver(std::move(refused));
    return;
  }
  if (c.breaker.current() != before) report(self, key, c.breaker.current());
  ++c.in_flight;
  run(self, key, std::move(p));
}

// Starts what waits on `key` while its limit allows, then calls that waited for a thread.
void pump(gateway_pointer self, const std::string& key) {
  auto& c = circuit_of(self, key);
  while (!c.waiting.empty() && c.in_flight < c.waiting.front().call.max_concurrency) {
    pending next = std::move(c.waiting.front());
    c.waiting.pop_front();
    start(self, key, std::move(next));
  }
  auto& st = self->state;
  while (!st.starved.empty() && (!st.idle.empty() || st.callers < st.cfg.max_callers)) {
    auto [k, p] = std::move(st.starved.front());
    st.starved.pop_front();
    run(self, k, std::move(p));
  }
}

gateway_actor::behavior_type gateway(gateway_pointer self, gateway_config cfg,
                                     std::shared_ptr<metrics> m) {
  self->state.cfg = cfg;
  self->state.m = std::move(m);
  return {
      [=](target_call& call) {
        auto rp = self->make_response_promise<outbound_reply>();
        std::string key = call.circuit;
        auto& c = circuit_of(self, key);
        if (c.in_flight >= call.max_concurrency) {
          c.waiting.push_back({std::move(call), rp});
        } else {
          start(self, key, pending{std::move(call), rp});
        }
        return rp;
      },
      [=](status_atom, const std::string& key) -> std::string {
        auto it = self->state.circuits.find(key);
        return it == self->state.circuits.end() ? "closed"
                                                : to_string(it->second.breaker.current());
      },
  };
}

}  // namespace

gateway_actor spawn_gateway(caf::actor_system& sys, gateway_config cfg,
                            std::shared_ptr<metrics> m) {
  return sys.spawn(gateway, cfg, std::move(m));
}

}  // namespace vutf
