// A circuit breaker per target (and per webhook host): after `failures` consecutive failed
// calls the circuit opens and calls are refused at once; after `reset` one trial call goes
// through (half-open); its success closes the circuit, its failure opens it again. A trial that
// never reports (its caller lost) holds the half-open slot for one `reset` at most, then another
// trial goes. Pure logic with the time passed in, so every transition is tested without waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace vutf {

class circuit_breaker {
 public:
  enum class state { closed, open, half_open };
  using clock = std::chrono::steady_clock;

  circuit_breaker(int64_t failures, std::chrono::milliseconds reset)
      : threshold_(failures), reset_(reset) {}

  // Whether a call may go now. An open circuit past its reset time admits exactly one trial
  // (and is half-open until that trial reports, or until `reset` passed without a report).
  bool admit(clock::time_point now);
  // Reports the outcome of an admitted call; returns the new state when it changed.
  std::optional<state> succeeded();
  std::optional<state> failed(clock::time_point now);
  // Reports an admitted call that was never sent (its URL or address refused): it says nothing
  // about the endpoint, so only the trial slot it held is released.
  void abandoned();

  state current() const { return state_; }
  int64_t consecutive_failures() const { return failures_; }

 private:
  int64_t threshold_;
  std::chrono::milliseconds reset_;
  state state_ = state::closed;
  int64_t failures_ = 0;
  clock::time_point opened_at_{};
  clock::time_point trial_started_{};
  bool trial_in_flight_ = false;
};

const char* to_string(circuit_breaker::state s);

}  // namespace vutf
