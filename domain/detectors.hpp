// The deterministic detectors that judge a target's reply to a probe set's prompt.
#pragma once

#include <string>
#include <vector>

namespace vutf {

struct detector_spec {
  std::string type;                  // "canary" | "refusal" | "pii" | "system_prompt_leak"
  std::string severity;              // "low" | "medium" | "high" | "critical"
  std::string canary;                // canary: the token the prompt asks the model to emit
  std::vector<std::string> markers;  // system_prompt_leak: lowercase fragments of a leak
};

struct detection {
  bool vulnerable = false;
  std::string severity;  // the finding's severity when vulnerable
  std::string evidence;  // why (never the personal data itself)
};

// Judges one reply of a target to a prompt of a set with this detector.
detection detect(const detector_spec& d, const std::string& reply);

// The text as detectors compare it: ASCII lowercase, typographic apostrophes (U+2019) as plain
// ones. Markers in probe set files are folded the same way.
std::string lower(std::string s);

// The building blocks, exposed for tests.
bool looks_like_refusal(const std::string& reply);
bool luhn_valid(const std::string& digits);
struct pii_found {
  int emails = 0;
  int phones = 0;
  int cards = 0;  // Luhn-valid 13-19 digit numbers
};
pii_found find_pii(const std::string& text);

}  // namespace vutf
