// Probe sets (domain/probes/*.json, compiled in from those data files) and the order a scan
// sends their prompts in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/detectors.hpp"

namespace vutf {

struct probe_set {
  std::string id;
  std::string name;
  std::string description;
  std::string category;  // OWASP Top 10 for LLM applications, e.g. LLM01
  detector_spec detector;
  std::vector<std::string> prompts;
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

}  // namespace vutf
