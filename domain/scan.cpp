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
