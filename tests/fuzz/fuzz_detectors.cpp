// Every detector on arbitrary reply text (any bytes: invalid UTF-8, NUL, digit runs, U+2019
// floods): each shipped probe set's detector and each kind with an empty specification, a
// user's regex detector with a pattern from the input, plus the building blocks. A verdict is all
// they may produce.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/detectors.hpp"
#include "domain/probes.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  const std::string reply(reinterpret_cast<const char*>(data), size);
  for (const auto& set : probe_sets()) (void)detect(set.detector, reply);
  for (const char* type : {"canary", "refusal", "pii", "system_prompt_leak", "length"}) {
    detector_spec bare;
    bare.type = type;
    bare.severity = "high";
    (void)detect(bare, reply);
  }
  // A canary or marker taken from the input itself: the reply contains it by construction.
  detector_spec echo;
  echo.type = "canary";
  echo.severity = "high";
  echo.canary = reply.substr(0, 16);
  echo.markers = {lower(echo.canary)};
  (void)detect(echo, reply);
  echo.type = "system_prompt_leak";
  (void)detect(echo, reply);
  (void)lower(reply);
  (void)looks_like_refusal(reply);
  (void)luhn_valid(reply);
  (void)find_pii(reply);
  // A user's regex detector: the pattern is the input's first line (at most the 1 KiB a probe
  // set may hold), the reply all of it. RE2 refuses or compiles it; matching stays linear.
  detector_spec user;
  user.type = "regex";
  user.severity = "medium";
  std::string pattern = reply.substr(0, std::min(reply.find('\n'), max_pattern_bytes));
  if (set_pattern(user, pattern).empty()) {
    (void)detect(user, reply);
    user.vulnerable_when = "no-match";
    (void)detect(user, reply);
  }
  return 0;
}
