// The gateway: every call to a target or webhook goes through it. Per circuit (a target, or a
// webhook host) it enforces the concurrency limit and the circuit breaker
// (CIRCUIT_BREAKER_FAILURES, CIRCUIT_BREAKER_RESET); the blocking HTTP calls themselves run on
// detached caller threads, never on the scheduler.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/caf_types.hpp"

namespace caf {
class actor_system;
}

namespace vutf {

class metrics;

using gateway_actor = caf::typed_actor<
    caf::replies_to<target_call>::with<outbound_reply>,             // one call, limited and guarded
    caf::replies_to<status_atom, std::string>::with<std::string>>;  // a circuit's state

struct gateway_config {
  int64_t breaker_failures = 5;
  std::chrono::milliseconds breaker_reset{30000};
  size_t max_callers = 256;  // caller threads at most; more calls wait their turn
};

gateway_actor spawn_gateway(caf::actor_system& sys, gateway_config cfg, std::shared_ptr<metrics> m);

}  // namespace vutf
