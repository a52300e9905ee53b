#include "actors/gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <unordered_map>

#include "actors/breaker.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

using caller_actor = caf::typed_actor<caf::replies_to<outbound_call>::with<outbound_reply>>;

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
  std::deque<pending> waiting;  // over the circuit's concurrency limit
  std::string last_failure;
};

struct gateway_state {
  std::unordered_map<std::string, circuit> circuits;
  std::vector<caller_actor> idle;
  size_t callers = 0;
  std::deque<std::pair<std::string, pending>> starved;  // waiting for a caller thread
  static inline const char* name = "gateway";
};

int state_number(circuit_breaker::state s) {
  return s == circuit_breaker::state::closed ? 0 : s == circuit_breaker::state::open ? 1 : 2;
}

gateway_actor::behavior_type gateway(gateway_actor::stateful_pointer<gateway_state> self,
                                     gateway_config cfg, std::shared_ptr<metrics> m) {
  auto circuit_of = [self, cfg](const std::string& key) -> circuit& {
    auto it = self->state.circuits.find(key);
    if (it == self->state.circuits.end())
      it = self->state.circuits
               .emplace(key, circuit{circuit_breaker(cfg.breaker_failures, cfg.breaker_reset)})
               .first;
    return it->second;
  };
  auto report = [m](const std::string& key, std::optional<circuit_breaker::state> changed) {
    if (changed) m->circuit_changed(key, to_string(*changed), state_number(*changed));
  };
  // Sends an admitted call on a free caller thread (or parks it until one is free).
  auto run = std::make_shared<std::function<void(const std::string&, pending)>>();
  // Starts `p` on `key`'s circuit now: refused at once while the circuit is open.
  auto start = [self, cfg, circuit_of, report, run](const std::string& key, pending p) {
    auto& c = circuit_of(key);
    auto before = c.breaker.current();
    if (!c.breaker.admit(circuit_breaker::clock::now())) {
      outbound_reply refused;
      refused.circuit_open = true;
      refused.error = "circuit open after " + std::to_string(cfg.breaker_failures) +
                      " consecutive failures (last: " + c.last_failure + ")";
      p.rp.deliver(std::move(refused));
      return;
    }
    if (c.breaker.current() != before) report(key, c.breaker.current());
    ++c.in_flight;
    (*run)(key, std::move(p));
  };
  // Starts what waits on `key` while its limit allows, then calls that waited for a thread.
  auto pump = [self, cfg, circuit_of, start, run](const std::string& key) {
    auto& c = circuit_of(key);
    while (!c.waiting.empty() && c.in_flight < c.waiting.front().call.max_concurrency) {
      pending next = std::move(c.waiting.front());
      c.waiting.pop_front();
      start(key, std::move(next));
    }
    auto& st = self->state;
    while (!st.starved.empty() && (!st.idle.empty() || st.callers < cfg.max_callers)) {
      auto [k, p] = std::move(st.starved.front());
      st.starved.pop_front();
      (*run)(k, std::move(p));
    }
  };
  *run = [self, cfg, m, circuit_of, report, pump](const std::string& key, pending p) {
    auto& st = self->state;
    caller_actor worker;
    if (!st.idle.empty()) {
      worker = st.idle.back();
      st.idle.pop_back();
    } else if (st.callers < cfg.max_callers) {
      worker = self->home_system().spawn<caf::detached>(caller);
      self->link_to(worker);
      ++st.callers;
    } else {
      st.starved.emplace_back(key, std::move(p));
      return;
    }
    std::string kind = p.call.kind;
    self->request(worker, caf::infinite, p.call.call)
        .then(
            [=](outbound_reply& r) mutable {
              self->state.idle.push_back(worker);
              auto& c = circuit_of(key);
              --c.in_flight;
              m->observe_target_call(kind, r.seconds);
              if (r.breaker_failure()) {
                c.last_failure = r.error;
                report(key, c.breaker.failed(circuit_breaker::clock::now()));
              } else {
                report(key, c.breaker.succeeded());
              }
              p.rp.deliver(std::move(r));
              pump(key);
            },
            [=](caf::error&) mutable {
              --self->state.callers;  // that thread is gone
              --circuit_of(key).in_flight;
              outbound_reply failed;
              failed.error = "the caller thread failed";
              p.rp.deliver(std::move(failed));
              pump(key);
            });
  };
  return {
      [=](target_call& call) {
        auto rp = self->make_response_promise<outbound_reply>();
        std::string key = call.circuit;
        auto& c = circuit_of(key);
        if (c.in_flight >= call.max_concurrency) {
          c.waiting.push_back({std::move(call), rp});
        } else {
          start(key, pending{std::move(call), rp});
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
