// How actors wait for replies: never forever. A request made while serving a message waits until
// that message's deadline (longer by a margin when the callee enforces the deadline itself);
// housekeeping without a request deadline waits a named bound. A reply that does not come in
// time fails like any other error reply: as an internal error.
#pragma once

#include <algorithm>
#include <chrono>

#include "actors/messages.hpp"

namespace vutf {

// What a callee that enforces the deadline itself gets on top of it (the pool answers
// REQUEST_TIMEOUT on its 50 ms tick), so that its own answer, not our timeout, is the reply.
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
