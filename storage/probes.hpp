// Probe sets (storage/probes/*.json, compiled in from those data files) and the deterministic
// detectors that judge a target's reply to one of their prompts.
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

struct probe_set {
  std::string id;
  std::string name;
  std::string description;
  std::string category;  // OWASP Top 10 for LLM applications, e.g. LLM01
  detector_spec detector;
  std::vector<std::string> prompts;
};

struct detection {
  bool vulnerable = false;
  std::string severity;  // the finding's severity when vulnerable
  std::string evidence;  // why (never the personal data itself)
};

// Every shipped probe set, in id order.
const std::vector<probe_set>& probe_sets();

// Reads one probe set file; throws std::invalid_argument saying what is wrong.
probe_set parse_probe_set(const std::string& json_text);

// The shipped set with this id, or nullptr.
const probe_set* find_probe_set(const std::string& id);

// The prompts of a scan in sending order: every prompt of the chosen sets once, interleaved
// across the sets (so a short scan still covers each), repeated in rounds when a scan asks for
// more prompts than there are (replies vary, so repeats measure how often an attack works).
class scan_plan {
 public:
  struct entry {
    const probe_set* set;
    const std::string* prompt;
  };
  // Unknown ids are skipped (requests are validated before they are planned).
  explicit scan_plan(const std::vector<std::string>& set_ids);
  int64_t distinct() const { return static_cast<int64_t>(order_.size()); }
  entry at(int64_t seq) const { return order_[static_cast<size_t>(seq) % order_.size()]; }

 private:
  std::vector<entry> order_;
};

// Judges one reply of a target to a prompt of a set with this detector.
detection detect(const detector_spec& d, const std::string& reply);

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
