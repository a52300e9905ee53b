// The pause before a retry, shared by the scan runners and the webhook actor.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace vutf {

// The pause before try number `attempt` + 1: base, 2x, 4x... plus up to a quarter of jitter, so
// the retries of many prompts do not arrive together.
inline std::chrono::milliseconds backoff(std::chrono::milliseconds base, int64_t attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto pause = base * (int64_t{1} << std::min<int64_t>(attempt - 1, 20));
  std::uniform_int_distribution<int64_t> extra(0, pause.count() / 4);
  return pause + std::chrono::milliseconds(extra(rng));
}

}  // namespace vutf
