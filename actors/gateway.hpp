// The gateway: every call to a target or webhook goes through it. Per circuit (a target, or a
// webhook host) it enforces the concurrency limit, the target's rate_limit_rpm, the pace 429s
// from the target lowered and the circuit breaker (CIRCUIT_BREAKER_FAILURES,
// CIRCUIT_BREAKER_RESET); the blocking HTTP calls themselves run on
// detached caller threads (outbound/http_caller.hpp: the outbound policy, one deadline per call),
// never on the scheduler. Nothing a call does can stop the gateway: a caller thread that dies
// or hangs fails only its own call, and the breaker always learns how an admitted call ended.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/waiting.hpp"

namespace caf {
class actor_system;
}

namespace vutf {

class metrics;

using gateway_actor = caf::typed_actor<
    caf::replies_to<target_call>::with<outbound_reply>,            // one call, limited and guarded
    caf::replies_to<status_atom, std::string>::with<std::string>,  // a circuit's state
    caf::reacts_to<tick_atom, std::string>>;  // a circuit's pause or rate window is over

struct gateway_config {
  int64_t breaker_failures = 5;                    // CIRCUIT_BREAKER_FAILURES
  std::chrono::milliseconds breaker_reset{30000};  // CIRCUIT_BREAKER_RESET
  size_t max_callers = 256;  // caller threads at most; more calls wait their turn
  egress out;                // the outbound policy and proxies every call follows
  // Counts each target's calls against its rate_limit_rpm, in windows every instance shares
  // (Redis with REDIS_URL, else this process). Without one (tests), nothing is rate limited.
  cache_actor cache;
  // The window rate_limit_rpm is counted in: a minute. Tests shrink it (the budget of a window
  // stays rate_limit_rpm calls).
  std::chrono::seconds rate_window{60};
};

gateway_actor spawn_gateway(caf::actor_system& sys, gateway_config cfg, std::shared_ptr<metrics> m);

// How long a call may wait behind its circuit's concurrency limit before its caller stops
// waiting for the gateway (scans and webhooks have no request deadline to bound them).
constexpr auto gateway_queue_patience = std::chrono::minutes(5);

// How long to wait for the gateway's answer to `c` without a request deadline: queued, then at
// most the call's own timeout (the caller thread enforces it).
inline std::chrono::milliseconds gateway_reply_bound(const target_call& c) {
  return gateway_queue_patience + c.call.timeout + enforced_margin;
}

// What a caller makes of a gateway that did not answer: a call that got no reply.
inline outbound_reply gateway_silence() {
  outbound_reply r;
  r.error = "no answer from the gateway";
  return r;
}

}  // namespace vutf
