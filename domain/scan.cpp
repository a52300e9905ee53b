#include "domain/scan.hpp"

#include <set>

#include "domain/converters.hpp"
#include "domain/ids.hpp"
#include "domain/probes.hpp"
#include "domain/target.hpp"

namespace vutf {

void severity_counts::add(const std::string& severity, int64_t n) {
  if (severity == "low") low += n;
  if (severity == "medium") medium += n;
  if (severity == "high") high += n;
  if (severity == "critical") critical += n;
}

namespace {

// The rank of a severity (low 1 .. critical 4); 0 for anything else.
int severity_rank(const std::string& severity) {
  static const char* order[] = {"low", "medium", "high", "critical"};
  for (int i = 0; i < 4; ++i)
    if (severity == order[i]) return i + 1;
  return 0;
}

}  // namespace

double attack_success_rate(const scan& s) {
  int64_t answered = s.done - s.errors;
  return answered > 0 ? static_cast<double>(s.findings.total()) / static_cast<double>(answered) : 0;
}

std::optional<std::string> gate_of(const scan& s) {
  if (!s.fail_on || !s.finished()) return std::nullopt;
  if (s.status != "completed") return "fail";
  const fail_rule& rule = *s.fail_on;
  if (rule.severity) {
    int from = severity_rank(*rule.severity);
    const int64_t counts[] = {s.findings.low, s.findings.medium, s.findings.high,
                              s.findings.critical};
    for (int rank = from; rank >= 1 && rank <= 4; ++rank)
      if (counts[rank - 1] > 0) return "fail";
  }
  if (rule.max_attack_success_rate && attack_success_rate(s) > *rule.max_attack_success_rate)
    return "fail";
  return "pass";
}

std::vector<field_error> validate(const scan_request& r, int64_t max_prompts_cap) {
  std::vector<field_error> e;
  if (!is_uuid(r.target_id)) e.push_back({"target_id", "must be the id of one of your targets"});
  if (r.probes.empty() || r.probes.size() > max_probes_per_scan)
    e.push_back({"probes", "must name 1-" + std::to_string(max_probes_per_scan) + " probe sets"});
  std::set<std::string> seen;
  for (const auto& id : r.probes) {
    // An id that is neither built in nor of a user set's form names nothing; whether a user's
    // set of that id exists is the scans actor's question (it reads the database).
    if (!find_probe_set(id) && !is_probe_set_id(id)) {
      e.push_back({"probes", "unknown probe set '" + id.substr(0, 100) + "' (see GET /probes)"});
      break;
    }
    if (!seen.insert(id).second) {
      e.push_back({"probes", "names probe set '" + id.substr(0, 100) + "' twice"});
      break;
    }
  }
  if (r.converters.size() > max_converters_per_scan) {
    e.push_back({"converters",
                 "must name at most " + std::to_string(max_converters_per_scan) + " converters"});
  } else {
    std::set<std::string> named;
    for (size_t i = 0; i < r.converters.size(); ++i) {
      const std::string& id = r.converters[i];
      std::string field = "converters[" + std::to_string(i) + "]";
      if (!find_converter(id)) {
        e.push_back({field, "unknown converter '" + id.substr(0, 100) + "' (see GET /converters)"});
      } else if (!named.insert(id).second) {
        e.push_back({field, "names converter '" + id + "' twice"});
      }
    }
  }
  if (r.max_prompts && (*r.max_prompts < 1 || *r.max_prompts > max_prompts_cap))
    e.push_back({"max_prompts", "must be an integer in 1.." + std::to_string(max_prompts_cap)});
  if (r.concurrency && (*r.concurrency < 1 || *r.concurrency > 64))
    e.push_back({"concurrency", "must be an integer in 1..64"});
  if (r.judge_target_id && !is_uuid(*r.judge_target_id))
    e.push_back({"judge_target_id", "must be the id of one of your targets"});
  if (r.fail_on) {
    if (!r.fail_on->severity && !r.fail_on->max_attack_success_rate)
      e.push_back({"fail_on", "must name severity, max_attack_success_rate or both"});
    if (r.fail_on->severity && severity_rank(*r.fail_on->severity) == 0)
      e.push_back({"fail_on.severity", "must be low, medium, high or critical"});
    double rate = r.fail_on->max_attack_success_rate.value_or(0);
    if (!(rate >= 0 && rate <= 1))  // NaN too
      e.push_back({"fail_on.max_attack_success_rate", "must be a number from 0 to 1"});
  }
  if (r.webhook_url && !is_http_url(*r.webhook_url))
    e.push_back({"webhook_url",
                 "must be an http:// or https:// URL with a host (at most 2048 characters)"});
  return e;
}

std::string truncate_utf8(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  // Back up over continuation bytes to the start of the cut sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace vutf
