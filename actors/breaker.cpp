#include "actors/breaker.hpp"

namespace vutf {

bool circuit_breaker::admit(clock::time_point now) {
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
      if (now - opened_at_ < reset_) return false;
      state_ = state::half_open;
      trial_in_flight_ = true;
      trial_started_ = now;
      return true;
    case state::half_open:
      // One trial at a time: the rest are refused until it reports (or is presumed lost).
      if (trial_in_flight_ && now - trial_started_ < reset_) return false;
      trial_in_flight_ = true;
      trial_started_ = now;
      return true;
  }
  return false;
}

std::optional<circuit_breaker::state> circuit_breaker::succeeded() {
  failures_ = 0;
  trial_in_flight_ = false;
  if (state_ == state::closed) return std::nullopt;
  state_ = state::closed;
  return state_;
}

std::optional<circuit_breaker::state> circuit_breaker::failed(clock::time_point now) {
  ++failures_;
  trial_in_flight_ = false;
  bool trip = state_ == state::half_open || (state_ == state::closed && failures_ >= threshold_);
  if (!trip) return std::nullopt;
  state_ = state::open;
  opened_at_ = now;
  return state_;
}

void circuit_breaker::abandoned() {
  trial_in_flight_ = false;
}

const char* to_string(circuit_breaker::state s) {
  switch (s) {
    case circuit_breaker::state::closed:
      return "closed";
    case circuit_breaker::state::open:
      return "open";
    case circuit_breaker::state::half_open:
      return "half_open";
  }
  return "closed";
}

}  // namespace vutf
