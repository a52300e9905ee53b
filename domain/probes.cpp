#include "domain/probes.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "config/utf8.hpp"
#include "domain/ids.hpp"
#include "domain/judge.hpp"

namespace vutf {

const std::vector<std::string>& probe_files();  // generated from domain/probes/*.json

namespace {

using nlohmann::json;

bool one_of(const std::vector<std::string>& allowed, const std::string& v) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

const std::vector<std::string>& detector_types() {
  static const std::vector<std::string> types = {"canary", "refusal", "pii",   "system_prompt_leak",
                                                 "regex",  "judge",   "length"};
  return types;
}
const std::vector<std::string>& severities() {
  static const std::vector<std::string> all = {"low", "medium", "high", "critical"};
  return all;
}

std::string text(const json& o, const char* k) {
  if (!o.contains(k) || !o[k].is_string())
    throw std::invalid_argument(std::string(k) + " must be a string");
  return o[k].get<std::string>();
}

std::vector<std::string> strings(const json& o, const char* k) {
  std::vector<std::string> out;
  if (!o.contains(k)) return out;
  if (!o[k].is_array()) throw std::invalid_argument(std::string(k) + " must be an array");
  for (const auto& v : o[k]) {
    if (!v.is_string()) throw std::invalid_argument(std::string(k) + " must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

detector_spec read_detector(const json& d) {
  if (!d.is_object()) throw std::invalid_argument("detector must be an object");
  detector_spec spec;
  spec.type = text(d, "type");
  spec.severity = text(d, "severity");
  if (!one_of(detector_types(), spec.type))
    throw std::invalid_argument("unknown detector type " + spec.type);
  if (!one_of(severities(), spec.severity))
    throw std::invalid_argument("unknown severity " + spec.severity);
  if (spec.type == "canary") spec.canary = text(d, "canary");
  for (const auto& m : strings(d, "markers")) spec.markers.push_back(lower(m));
  if (spec.type == "system_prompt_leak" && spec.markers.empty())
    throw std::invalid_argument("a system_prompt_leak detector needs markers");
  if (spec.type == "regex") {
    if (std::string why = set_pattern(spec, text(d, "pattern")); !why.empty())
      throw std::invalid_argument("pattern: " + why);
    spec.vulnerable_when = text(d, "vulnerable_when");
  }
  if (spec.type == "judge") {
    spec.judge_target_id = text(d, "judge_target_id");
    spec.rubric = text(d, "rubric");
  }
  if (spec.type == "length") {
    if (!d.contains("max_chars") || !d["max_chars"].is_number_integer())
      throw std::invalid_argument("a length detector needs an integer max_chars");
    spec.max_chars = d["max_chars"].get<int64_t>();
  }
  return spec;
}

json detector_object(const detector_spec& d) {
  json o = {{"type", d.type}, {"severity", d.severity}};
  if (d.type == "canary") o["canary"] = d.canary;
  if (!d.markers.empty()) o["markers"] = d.markers;
  if (d.type == "regex") {
    o["pattern"] = d.pattern;
    o["vulnerable_when"] = d.vulnerable_when;
  }
  if (d.type == "judge") {
    o["judge_target_id"] = d.judge_target_id;
    o["rubric"] = d.rubric;
  }
  if (d.type == "length") o["max_chars"] = d.max_chars;
  return o;
}

framework_tags read_frameworks(const json& f) {
  if (!f.is_object()) throw std::invalid_argument("frameworks must be an object");
  return {strings(f, "owasp_llm_2025"), strings(f, "mitre_atlas")};
}

json frameworks_object(const framework_tags& f) {
  return {{"owasp_llm_2025", f.owasp_llm_2025}, {"mitre_atlas", f.mitre_atlas}};
}

// Valid UTF-8 without NUL: what PostgreSQL `text` stores, and what a client can read back.
bool clean_text(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence(s, i);
    if (n == 0 || s[i] == '\0') return false;
    i += n;
  }
  return true;
}

size_t characters(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// AML.T0000 or AML.T0000.000
bool is_atlas_id(const std::string& s) {
  auto digits = [&](size_t from, size_t n) {
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from),
                       s.begin() + static_cast<std::ptrdiff_t>(from + n),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  if (s.size() != 9 && s.size() != 13) return false;
  if (s.compare(0, 5, "AML.T") != 0 || !digits(5, 4)) return false;
  return s.size() == 9 || (s[9] == '.' && digits(10, 3));
}

void check_frameworks(const framework_tags& f, std::vector<field_error>& e) {
  auto check = [&](const std::vector<std::string>& ids, const char* field, size_t max,
                   bool (*valid)(const std::string&), const char* form) {
    std::set<std::string> seen;
    bool bad = ids.size() > max;
    for (const auto& id : ids) bad = bad || !valid(id) || !seen.insert(id).second;
    if (bad)
      e.push_back({std::string("frameworks.") + field,
                   "must be at most " + std::to_string(max) + " distinct ids of the form " + form});
  };
  check(f.owasp_llm_2025, "owasp_llm_2025", 10, is_owasp_llm_id, "LLM01..LLM10");
  check(f.mitre_atlas, "mitre_atlas", 50, is_atlas_id, "AML.T0051 or AML.T0051.001");
}

void check_detector(const detector_spec& d, std::vector<field_error>& e) {
  if (!one_of(detector_types(), d.type)) {
    e.push_back({"detector.type",
                 "must be one of canary, refusal, pii, prompt-leak, regex, judge, length"});
    return;
  }
  if (!one_of(severities(), d.severity))
    e.push_back({"detector.severity", "must be one of low, medium, high, critical"});
  if (d.type == "canary") check_text("detector.canary", d.canary, 1, 256, e);
  if (d.type == "system_prompt_leak") {
    if (d.markers.empty() || d.markers.size() > 100)
      e.push_back({"detector.markers", "must be 1-100 strings"});
    for (const auto& m : d.markers)
      if (!clean_text(m) || m.empty() || characters(m) > 256) {
        e.push_back({"detector.markers", "each marker must be 1-256 characters of UTF-8"});
        break;
      }
  }
  if (d.type == "regex") {
    if (d.pattern.empty() || d.pattern.size() > max_pattern_bytes)
      e.push_back({"detector.pattern",
                   "must be 1-" + std::to_string(max_pattern_bytes) + " bytes of RE2 syntax"});
    else if (!d.compiled)
      e.push_back({"detector.pattern", "must be an RE2 pattern"});
    if (d.vulnerable_when != "match" && d.vulnerable_when != "no-match")
      e.push_back({"detector.vulnerable_when", "must be match or no-match"});
  }
  if (d.type == "judge") {
    // Whether the id names one of the owner's targets is the probe sets actor's question.
    if (!is_uuid(d.judge_target_id))
      e.push_back({"detector.judge_target_id", "must be the id of one of your targets"});
    if (d.rubric.empty() || d.rubric.size() > max_rubric_bytes || !clean_text(d.rubric))
      e.push_back({"detector.rubric", "must be 1-" + std::to_string(max_rubric_bytes) +
                                          " bytes of UTF-8 without NUL characters"});
  }
  if (d.type == "length" && (d.max_chars < min_length_limit || d.max_chars > max_length_limit))
    e.push_back({"detector.max_chars", "must be an integer from " +
                                           std::to_string(min_length_limit) + " to " +
                                           std::to_string(max_length_limit)});
}

void check_prompts(const std::vector<std::string>& prompts, std::vector<field_error>& e) {
  if (prompts.empty() || prompts.size() > max_prompts_per_set) {
    e.push_back({"prompts", "must be 1-" + std::to_string(max_prompts_per_set) + " prompts"});
    return;
  }
  constexpr size_t named = 100;  // a 422 naming 5000 prompts helps nobody
  size_t bad = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string& p = prompts[i];
    std::string why;
    if (p.empty()) {
      why = "must not be empty";
    } else if (p.size() > max_prompt_bytes) {
      why = "must be at most " + std::to_string(max_prompt_bytes) + " bytes";
    } else if (!clean_text(p)) {
      why = "must be valid UTF-8 without NUL characters";
    }
    if (why.empty()) continue;
    if (++bad <= named) e.push_back({"prompts[" + std::to_string(i) + "]", why});
  }
  if (bad > named)
    e.push_back({"prompts", std::to_string(bad - named) + " more prompts are invalid"});
}

// A conversation's aim, length and attacker; its messages come from the attacker, so the set
// holds no prompts.
void check_crescendo(const probe_set& p, std::vector<field_error>& e) {
  check_text("goal", p.goal, 1, max_goal_chars, e);
  if (p.max_turns < min_crescendo_turns || p.max_turns > max_crescendo_turns)
    e.push_back({"max_turns", "must be an integer from " + std::to_string(min_crescendo_turns) +
                                  " to " + std::to_string(max_crescendo_turns)});
  if (!is_uuid(p.attacker_target_id))
    e.push_back({"attacker_target_id", "must be the id of one of your targets"});
  if (!p.prompts.empty())
    e.push_back({"prompts", "a crescendo set takes no prompts: its attacker writes them"});
}

}  // namespace

void check_text(const std::string& field, const std::string& value, size_t min, size_t max,
                std::vector<field_error>& e) {
  if (!clean_text(value)) {
    e.push_back({field, "must be valid UTF-8 without NUL characters"});
  } else if (characters(value) < min || characters(value) > max) {
    e.push_back(
        {field, "must be " + std::to_string(min) + "-" + std::to_string(max) + " characters"});
  }
}

bool is_probe_set_id(const std::string& s) {
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.size() < 2 || s.size() > 63 || !ok(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return ok(c) || c == '-'; });
}

bool is_owasp_llm_id(const std::string& id) {
  static const std::vector<std::string> ids = {"LLM01", "LLM02", "LLM03", "LLM04", "LLM05",
                                               "LLM06", "LLM07", "LLM08", "LLM09", "LLM10"};
  return one_of(ids, id);
}

void apply_patch(probe_set& p, const probe_set_patch& patch) {
  if (patch.name) p.name = *patch.name;
  if (patch.description) p.description = *patch.description;
  if (patch.category) p.category = *patch.category;
  if (patch.frameworks) p.frameworks = *patch.frameworks;
  if (patch.detector) p.detector = *patch.detector;
  if (patch.prompts) {
    p.prompts = *patch.prompts;
    p.prompt_count = static_cast<int64_t>(p.prompts.size());
  }
  if (patch.mode) {
    p.mode = *patch.mode;
    if (p.mode == "single") {
      p.goal.clear();
      p.max_turns = 0;
      p.attacker_target_id.clear();
    } else if (p.mode == "crescendo") {
      if (p.max_turns == 0) p.max_turns = default_crescendo_turns;
      if (!patch.prompts) p.prompts.clear();  // the attacker writes its messages now
    }
  }
  if (patch.goal) p.goal = *patch.goal;
  if (patch.max_turns) p.max_turns = *patch.max_turns;
  if (patch.attacker_target_id) p.attacker_target_id = *patch.attacker_target_id;
  if (p.mode == "crescendo") p.prompt_count = 1;  // one conversation per run of the set
}

std::vector<field_error> validate(const probe_set& p) {
  std::vector<field_error> e;
  if (!is_probe_set_id(p.id)) {
    e.push_back({"id", "must match ^[a-z0-9][a-z0-9-]{1,62}$"});
  } else if (find_probe_set(p.id)) {
    e.push_back({"id", "is the id of a built-in probe set (see GET /probes)"});
  }
  check_text("name", p.name, 1, max_set_name_chars, e);
  check_text("description", p.description, 0, max_set_description_chars, e);
  if (!is_owasp_llm_id(p.category)) e.push_back({"category", "must be one of LLM01..LLM10"});
  check_frameworks(p.frameworks, e);
  check_detector(p.detector, e);
  if (p.mode == "crescendo") {
    check_crescendo(p, e);
  } else if (p.mode != "single") {
    e.push_back({"mode", "must be single or crescendo"});  // the rest depends on it
  } else {
    check_prompts(p.prompts, e);
    const char* only_crescendo = "only a crescendo set (\"mode\": \"crescendo\") takes it";
    if (!p.goal.empty()) e.push_back({"goal", only_crescendo});
    if (p.max_turns != 0) e.push_back({"max_turns", only_crescendo});
    if (!p.attacker_target_id.empty()) e.push_back({"attacker_target_id", only_crescendo});
  }
  return e;
}

probe_set parse_probe_set(const std::string& json_text) {
  auto j = json::parse(json_text, nullptr, false);
  if (!j.is_object()) throw std::invalid_argument("a probe set is a JSON object");
  probe_set p;
  p.id = text(j, "id");
  try {
    p.name = text(j, "name");
    p.description = text(j, "description");
    p.category = text(j, "category");
    if (!is_owasp_llm_id(p.category))
      throw std::invalid_argument("category must be an OWASP LLM Top 10 id (LLM01-LLM10)");
    p.frameworks = j.contains("frameworks") ? read_frameworks(j["frameworks"])
                                            : framework_tags{{p.category}, {}};
    if (!j.contains("detector")) throw std::invalid_argument("detector must be an object");
    p.detector = read_detector(j["detector"]);
    if (j.contains("mode")) p.mode = text(j, "mode");
    if (p.mode == "crescendo") {
      p.goal = text(j, "goal");
      p.attacker_target_id = text(j, "attacker_target_id");
      if (!j.contains("max_turns") || !j["max_turns"].is_number_integer())
        throw std::invalid_argument("a crescendo set needs an integer max_turns");
      p.max_turns = j["max_turns"].get<int64_t>();
    } else if (p.mode != "single") {
      throw std::invalid_argument("mode must be single or crescendo");
    } else if (!j.contains("prompts") || !j["prompts"].is_array()) {
      throw std::invalid_argument("prompts must be an array");
    }
    p.prompts = strings(j, "prompts");
    if (std::any_of(p.prompts.begin(), p.prompts.end(),
                    [](const std::string& s) { return s.empty(); }))
      throw std::invalid_argument("every prompt must be a non-empty string");
    p.prompt_count = p.mode == "crescendo" ? 1 : static_cast<int64_t>(p.prompts.size());
    if (j.contains("source")) p.source = text(j, "source");
    if (j.contains("version") && j["version"].is_number_integer())
      p.version = j["version"].get<int64_t>();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(p.id + ": " + e.what());
  }
  return p;
}

std::string probe_set_json(const probe_set& p) {
  json j = {{"id", p.id},
            {"name", p.name},
            {"description", p.description},
            {"category", p.category},
            {"frameworks", frameworks_object(p.frameworks)},
            {"detector", detector_object(p.detector)},
            {"prompts", p.prompts},
            {"source", p.source},
            {"version", p.version}};
  if (p.mode == "crescendo") {
    j["mode"] = p.mode;
    j["goal"] = p.goal;
    j["max_turns"] = p.max_turns;
    j["attacker_target_id"] = p.attacker_target_id;
  }
  return j.dump();
}

std::string detector_json(const detector_spec& d) {
  return detector_object(d).dump();
}

detector_spec parse_detector(const std::string& json_text) {
  return read_detector(json::parse(json_text, nullptr, false));
}

std::string frameworks_json(const framework_tags& f) {
  return frameworks_object(f).dump();
}

framework_tags parse_frameworks(const std::string& json_text) {
  return read_frameworks(json::parse(json_text, nullptr, false));
}

const std::vector<probe_set>& probe_sets() {
  static const std::vector<probe_set> sets = [] {
    std::vector<probe_set> out;
    for (const auto& text : probe_files()) {
      out.push_back(parse_probe_set(text));
      if (out.back().prompts.size() < 10)
        throw std::invalid_argument(out.back().id + ": at least 10 prompts");
    }
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

scan_plan::scan_plan(std::vector<probe_set> sets, std::vector<const converter*> converters)
    : sets_(std::move(sets)), converters_(std::move(converters)) {
  for (size_t round = 0;; ++round) {
    bool any = false;
    for (const probe_set& p : sets_) {
      if (p.mode == "crescendo" && round == 0) {
        order_.push_back({&p, &p.goal, nullptr});
        any = true;
      } else if (p.mode != "crescendo" && round < p.prompts.size()) {
        order_.push_back({&p, &p.prompts[round], nullptr});
        any = true;
      }
    }
    if (!any) break;
  }
}

scan_plan::entry scan_plan::at(int64_t seq) const {
  auto variants = converters_.size() + 1;
  auto n = static_cast<size_t>(seq);
  entry e = order_[n / variants % order_.size()];
  size_t variant = n % variants;
  if (variant > 0) e.through = converters_[variant - 1];
  return e;
}

}  // namespace vutf
