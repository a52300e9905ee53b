// How actors wait for replies. A callee that enforces the message's deadline itself (the pool
// answers REQUEST_TIMEOUT on its 50 ms tick and replaces a connection stuck past it; the cache
// bounds every command by REDIS_TIMEOUT) is asked with `caf::infinite`: CAF 0.17 keeps every
// finite request timeout in its clock until it fires and then sends a message, whether or not
// the reply came, which on the hot path cost 40 % of W3 and grew memory with the timeout's length
// (measured: docs/performance.md). Every other request (hasher, gateway, outbound callers,
// status probes) waits until the message's deadline or a named bound, and a reply that does not
// come in time fails like any other error reply: as an internal error. Whatever happens inside,
// the HTTP worker's own wait ends at the deadline plus service::reply_grace (actors/ask.hpp).
#pragma once

#include <algorithm>
#include <chrono>

#include "actors/messages.hpp"

namespace vutf {

// What a gateway call waits on top of its own bounds, so that the gateway's answer, not our
// timeout, is the reply.
constexpr auto enforced_margin = std::chrono::seconds(1);

// The time left until `deadline` (never negative, rounded up to whole milliseconds) plus `margin`.
inline std::chrono::milliseconds time_left(clock::time_point deadline,
                                           std::chrono::milliseconds margin = {}) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
  return std::max(left, std::chrono::milliseconds(0)) + margin;
}

// The reply to a request whose callee failed or did not answer in time.
inline failure internal_failure() {
  return failure{errc::internal_error, "An internal error occurred.", {}};
}

}  // namespace vutf
