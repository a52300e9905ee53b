#include "domain/probes.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace vutf {

const std::vector<std::string>& probe_files();  // generated from domain/probes/*.json

namespace {

bool one_of(const std::vector<std::string>& allowed, const std::string& v) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

}  // namespace

probe_set parse_probe_set(const std::string& json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) throw std::invalid_argument("a probe set is a JSON object");
  auto text = [&](const nlohmann::json& o, const char* k) {
    if (!o.contains(k) || !o[k].is_string())
      throw std::invalid_argument(std::string(k) + " must be a string");
    return o[k].get<std::string>();
  };
  probe_set p;
  p.id = text(j, "id");
  p.name = text(j, "name");
  p.description = text(j, "description");
  p.category = text(j, "category");
  static const std::vector<std::string> categories = {"LLM01", "LLM02", "LLM03", "LLM04", "LLM05",
                                                      "LLM06", "LLM07", "LLM08", "LLM09", "LLM10"};
  if (!one_of(categories, p.category))
    throw std::invalid_argument(p.id + ": category must be an OWASP LLM Top 10 id (LLM01-LLM10)");
  if (!j.contains("detector") || !j["detector"].is_object())
    throw std::invalid_argument(p.id + ": detector must be an object");
  const auto& d = j["detector"];
  p.detector.type = text(d, "type");
  p.detector.severity = text(d, "severity");
  static const std::vector<std::string> types = {"canary", "refusal", "pii", "system_prompt_leak"};
  static const std::vector<std::string> severities = {"low", "medium", "high", "critical"};
  if (!one_of(types, p.detector.type))
    throw std::invalid_argument(p.id + ": unknown detector type " + p.detector.type);
  if (!one_of(severities, p.detector.severity))
    throw std::invalid_argument(p.id + ": unknown severity " + p.detector.severity);
  if (p.detector.type == "canary") p.detector.canary = text(d, "canary");
  if (d.contains("markers"))
    for (const auto& m : d["markers"]) p.detector.markers.push_back(lower(m.get<std::string>()));
  if (p.detector.type == "system_prompt_leak" && p.detector.markers.empty())
    throw std::invalid_argument(p.id + ": a system_prompt_leak detector needs markers");
  if (!j.contains("prompts") || !j["prompts"].is_array())
    throw std::invalid_argument(p.id + ": prompts must be an array");
  for (const auto& prompt : j["prompts"]) {
    if (!prompt.is_string() || prompt.get<std::string>().empty())
      throw std::invalid_argument(p.id + ": every prompt must be a non-empty string");
    p.prompts.push_back(prompt.get<std::string>());
  }
  if (p.prompts.size() < 10) throw std::invalid_argument(p.id + ": at least 10 prompts");
  return p;
}

const std::vector<probe_set>& probe_sets() {
  static const std::vector<probe_set> sets = [] {
    std::vector<probe_set> out;
    for (const auto& text : probe_files()) out.push_back(parse_probe_set(text));
    std::sort(out.begin(), out.end(),
              [](const probe_set& a, const probe_set& b) { return a.id < b.id; });
    return out;
  }();
  return sets;
}

const probe_set* find_probe_set(const std::string& id) {
  for (const auto& p : probe_sets())
    if (p.id == id) return &p;
  return nullptr;
}

scan_plan::scan_plan(const std::vector<std::string>& set_ids) {
  std::vector<const probe_set*> sets;
  for (const auto& id : set_ids)
    if (const probe_set* p = find_probe_set(id)) sets.push_back(p);
  for (size_t round = 0;; ++round) {
    bool any = false;
    for (const probe_set* p : sets)
      if (round < p->prompts.size()) {
        order_.push_back({p, &p->prompts[round]});
        any = true;
      }
    if (!any) break;
  }
}

}  // namespace vutf
