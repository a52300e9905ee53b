// The deterministic detectors that judge a target's reply to a probe set's prompt, and the
// specification of the one that is not deterministic: a judge (a target asked for a verdict, see
// domain/judge.hpp; the scan runner calls it, detect() never does).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}

namespace vutf {

struct detector_spec {
  // "canary" | "refusal" | "pii" | "system_prompt_leak" | "regex" | "judge" | "length"
  std::string type;
  std::string severity;              // "low" | "medium" | "high" | "critical"
  std::string canary;                // canary: the token the prompt asks the model to emit
  std::vector<std::string> markers;  // system_prompt_leak: lowercase fragments of a leak
  // regex: the pattern (RE2 syntax, matched on the reply as sent) and when the reply is a
  // finding: "match" or "no-match". Set both through set_pattern(), which compiles it.
  std::string pattern;
  std::string vulnerable_when = "match";
  std::shared_ptr<const re2::RE2> compiled;
  // judge: the owner's target that gives the verdict, and what it judges the reply by.
  std::string judge_target_id;
  std::string rubric;
  // length: the reply is a finding when it has more characters (UTF-8 code points) than this.
  int64_t max_chars = 0;
};

// The longest regex pattern a detector takes, in bytes.
constexpr size_t max_pattern_bytes = 1024;

// The bounds of a length detector's max_chars: a reply is at most 1 MiB, so a larger limit could
// never fire.
constexpr int64_t min_length_limit = 1;
constexpr int64_t max_length_limit = int64_t{1} << 20;

// Compiles `pattern` into `d` (type regex); "" when RE2 took it, else RE2's reason. RE2 runs in
// time linear in the reply, whatever the pattern: a user's pattern cannot stall a scan.
std::string set_pattern(detector_spec& d, const std::string& pattern);

struct detection {
  bool vulnerable = false;
  std::string severity;  // the finding's severity when vulnerable
  std::string evidence;  // why (never the personal data itself)
};

// Judges one reply of a target to a prompt of a set with this detector (a judge detector finds
// nothing here: its verdict comes from the judge target).
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
