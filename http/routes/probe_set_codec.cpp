#include "http/routes/probe_set_codec.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "config/strings.hpp"
#include "config/time.hpp"
#include "domain/converters.hpp"
#include "http/codec_common.hpp"
#include "http/json_body.hpp"

namespace vutf::http {
namespace {

using nlohmann::json;

// More prompts than a set may hold are not kept: one more than the limit is enough to say so.
constexpr size_t kept_prompts = max_prompts_per_set + 1;
// Line errors of an NDJSON body named before the rest are only counted.
constexpr size_t named_lines = 100;

failure malformed(const std::string& detail) {
  return failure{errc::bad_request, detail, {}};
}

// The parser callback that keeps at most kept_prompts elements of the top-level "prompts"
// array, so a body of millions of tiny prompts never becomes a tree of millions of nodes.
json::parser_callback_t bounded_prompts() {
  auto state = std::make_shared<std::pair<bool, size_t>>(false, 0);  // in "prompts", kept
  return [state](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1) {
      state->first = parsed == "prompts";
      state->second = 0;
    }
    if (event == json::parse_event_t::value && depth == 2 && state->first)
      return ++state->second <= kept_prompts;
    return true;
  };
}

std::vector<std::string> string_list(const json& v, const std::string& field,
                                     std::vector<field_error>& errors) {
  std::vector<std::string> out;
  if (!v.is_array()) {
    errors.push_back({field, "must be an array of strings"});
    return out;
  }
  for (const auto& x : v) {
    if (!x.is_string()) {
      errors.push_back({field, "must be an array of strings"});
      return {};
    }
    out.push_back(x.get<std::string>());
  }
  return out;
}

bool read_string(const json& v, const std::string& field, std::string& out,
                 std::vector<field_error>& errors) {
  if (!v.is_string()) {
    errors.push_back({field, "must be a string"});
    return false;
  }
  out = v.get<std::string>();
  return true;
}

framework_tags read_frameworks(const json& v, std::vector<field_error>& errors) {
  framework_tags f;
  if (!v.is_object()) {
    errors.push_back({"frameworks", "must be an object with owasp_llm_2025 and mitre_atlas"});
    return f;
  }
  for (const auto& [key, value] : v.items()) {
    if (key == "owasp_llm_2025") {
      f.owasp_llm_2025 = string_list(value, "frameworks." + key, errors);
    } else if (key == "mitre_atlas") {
      f.mitre_atlas = string_list(value, "frameworks." + key, errors);
    } else {
      errors.push_back({"frameworks." + key, "unknown field"});
    }
  }
  return f;
}

// A user's detector: the built-in four ("prompt-leak" is the API's name of
// system_prompt_leak), regex compiled here so RE2's reason for refusing it is the error, or a
// judge (whether its target is the caller's is the probe sets actor's question).
detector_spec read_detector(const json& v, std::vector<field_error>& errors) {
  detector_spec d;
  d.severity = "medium";
  if (!v.is_object()) {
    errors.push_back({"detector", "must be an object with a type"});
    return d;
  }
  std::string pattern;
  bool has_pattern = false;
  for (const auto& [key, value] : v.items()) {
    std::string field = "detector." + key;
    if (key == "type") {
      read_string(value, field, d.type, errors);
    } else if (key == "severity") {
      read_string(value, field, d.severity, errors);
    } else if (key == "canary") {
      read_string(value, field, d.canary, errors);
    } else if (key == "markers") {
      for (const auto& m : string_list(value, field, errors)) d.markers.push_back(lower(m));
    } else if (key == "pattern") {
      has_pattern = read_string(value, field, pattern, errors);
    } else if (key == "vulnerable_when") {
      read_string(value, field, d.vulnerable_when, errors);
    } else if (key == "judge_target_id") {
      read_string(value, field, d.judge_target_id, errors);
    } else if (key == "rubric") {
      read_string(value, field, d.rubric, errors);
    } else if (key == "max_chars") {
      if (value.is_number_integer()) {
        d.max_chars = value.get<int64_t>();
      } else {
        errors.push_back({field, "must be an integer"});
      }
    } else {
      errors.push_back({field, "unknown field"});
    }
  }
  if (!v.contains("type")) errors.push_back({"detector.type", "is required"});
  if (d.type == "prompt-leak") d.type = "system_prompt_leak";
  if (d.type != "regex" && (v.contains("pattern") || v.contains("vulnerable_when")))
    errors.push_back({"detector.pattern", "only a regex detector takes a pattern"});
  if (d.type != "judge")
    for (const char* judge_field : {"judge_target_id", "rubric"})
      if (v.contains(judge_field))
        errors.push_back(
            {std::string("detector.") + judge_field, "only a judge detector takes it"});
  if (d.type != "length" && v.contains("max_chars"))
    errors.push_back({"detector.max_chars", "only a length detector takes max_chars"});
  if (d.type == "length" && !v.contains("max_chars"))
    errors.push_back({"detector.max_chars", "is required"});
  if (d.type == "regex" && has_pattern && !pattern.empty() && pattern.size() <= max_pattern_bytes)
    if (std::string why = set_pattern(d, pattern); !why.empty())
      errors.push_back({"detector.pattern", "RE2 refused it: " + why});
  if (d.type == "regex" && !has_pattern && !v.contains("pattern"))
    errors.push_back({"detector.pattern", "is required"});
  if (d.type == "judge")
    for (const char* judge_field : {"judge_target_id", "rubric"})
      if (!v.contains(judge_field))
        errors.push_back({std::string("detector.") + judge_field, "is required"});
  d.pattern = pattern;  // kept for the length rule even when it did not compile
  return d;
}

// Reads the fields present in `j` into `p`; type problems and unknown fields go to `errors`.
probe_set_patch read_fields(const json& j, std::vector<field_error>& errors) {
  probe_set_patch p;
  for (const auto& [key, value] : j.items()) {
    std::string text;
    if (key == "name" && read_string(value, key, text, errors)) {
      p.name = text;
    } else if (key == "description" && read_string(value, key, text, errors)) {
      p.description = text;
    } else if (key == "category" && read_string(value, key, text, errors)) {
      p.category = text;
    } else if (key == "mode" && read_string(value, key, text, errors)) {
      p.mode = text;
    } else if (key == "goal" && read_string(value, key, text, errors)) {
      p.goal = text;
    } else if (key == "attacker_target_id" && read_string(value, key, text, errors)) {
      p.attacker_target_id = text;
    } else if (key == "name" || key == "description" || key == "category" || key == "mode" ||
               key == "goal" || key == "attacker_target_id") {
      continue;  // not a string: reported
    } else if (key == "max_turns") {
      if (value.is_number_integer()) {
        p.max_turns = value.get<int64_t>();
      } else {
        errors.push_back({key, "must be an integer"});
      }
    } else if (key == "frameworks") {
      p.frameworks = read_frameworks(value, errors);
    } else if (key == "detector") {
      p.detector = read_detector(value, errors);
    } else if (key == "prompts") {
      if (value.is_array()) {
        p.prompts.emplace();
        for (size_t i = 0; i < value.size(); ++i) {
          if (value[i].is_string()) {
            p.prompts->push_back(value[i].get<std::string>());
          } else {
            errors.push_back({"prompts[" + std::to_string(i) + "]", "must be a string"});
            p.prompts->emplace_back();
          }
        }
      } else {
        errors.push_back({"prompts", "must be an array of strings"});
      }
    } else if (key != "id") {
      errors.push_back({key, "unknown field"});
    }
  }
  return p;
}

// "detector" of "detector.pattern", "prompts" of "prompts[3]".
std::string root_of(const std::string& field) {
  return field.substr(0, field.find_first_of(".["));
}

// The rules a change breaks whatever set it is applied to: applied to a valid set, the errors
// on the fields it sets.
std::vector<field_error> patch_errors(const probe_set_patch& patch, const json& j) {
  probe_set p;
  p.id = "valid";
  p.name = "valid";
  p.category = "LLM01";
  p.detector.type = "refusal";
  p.detector.severity = "medium";
  p.prompts = {"valid"};
  // A change of a conversation's settings alone is judged on a valid crescendo set (whether the
  // set it is applied to is one is the actor's question).
  if (!patch.mode && (patch.goal || patch.max_turns || patch.attacker_target_id)) {
    probe_set_patch crescendo;
    crescendo.mode = "crescendo";
    crescendo.goal = "valid";
    crescendo.attacker_target_id = "00000000-0000-4000-8000-000000000000";
    apply_patch(p, crescendo);
  }
  apply_patch(p, patch);
  std::vector<field_error> own;
  for (auto& e : validate(p))
    if (j.contains(root_of(e.field))) own.push_back(std::move(e));
  return own;
}

result<probe_set> create_from(const json& j) {
  std::vector<field_error> errors;
  probe_set_patch patch = read_fields(j, errors);
  std::vector<const char*> required = {"id", "name", "category", "detector"};
  // A crescendo set's attacker writes its messages: it needs a goal and an attacker instead
  // (an unknown mode is the one error of the mode's fields).
  std::string mode = patch.mode.value_or("single");
  if (mode == "crescendo") required.insert(required.end(), {"goal", "attacker_target_id"});
  if (mode == "single") required.push_back("prompts");
  for (const char* field : required)
    if (!j.contains(field)) errors.push_back({field, "is required"});
  probe_set p;
  if (j.contains("id")) read_string(j["id"], "id", p.id, errors);
  apply_patch(p, patch);
  // Without frameworks a set is tagged with its category alone, as the built-in files are.
  if (!patch.frameworks && patch.category) p.frameworks.owasp_llm_2025 = {*patch.category};
  // One error per field: a missing field is "is required", not also what its absence breaks.
  std::vector<field_error> rules = validate(p);
  rules.erase(std::remove_if(rules.begin(), rules.end(),
                             [&](const field_error& e) { return !j.contains(root_of(e.field)); }),
              rules.end());
  add_unreported(std::move(rules), errors);
  if (!errors.empty())
    return result<probe_set>::fail(errc::validation_error, "The probe set is invalid.", errors);
  return result<probe_set>{{}, p};
}

// The set a CSV or NDJSON import describes: its metadata from the query, its prompts from the
// body, read by the same rules as a JSON body.
result<probe_set> create_from_query(const header_list& query, std::vector<std::string> prompts) {
  json j = json::object();
  json detector = json::object();
  std::vector<field_error> errors;
  for (const auto& [key, value] : query) {
    if (key == "id" || key == "name" || key == "description" || key == "category") {
      j[key] = value;
    } else if (key == "detector") {
      detector["type"] = value;
    } else if (key == "severity" || key == "canary" || key == "pattern" ||
               key == "vulnerable_when" || key == "judge_target_id" || key == "rubric") {
      detector[key] = value;
    } else if (key == "markers") {
      detector[key] = split(value);
    } else if (key == "max_chars") {
      // A number when it reads as one; otherwise the text, which the rules report.
      auto n = json::parse(value, nullptr, false);
      detector[key] = n.is_number_integer() ? n : json(value);
    } else if (key == "owasp_llm_2025" || key == "mitre_atlas") {
      j["frameworks"][key] = split(value);
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (j.contains("frameworks")) {
    for (const char* list : {"owasp_llm_2025", "mitre_atlas"})
      if (!j["frameworks"].contains(list)) j["frameworks"][list] = json::array();
  }
  if (!detector.empty()) j["detector"] = detector;
  j["prompts"] = std::move(prompts);
  auto made = create_from(j);
  if (errors.empty()) return made;
  if (made.error) add_unreported(made.error->errors, errors);
  return result<probe_set>::fail(errc::validation_error, "The probe set is invalid.", errors);
}

void write_detector(json_writer& w, const detector_spec& d) {
  w.begin_object();
  w.key("type").value(d.type);
  w.key("severity").value(d.severity);
  if (d.type == "canary") w.key("canary").value(d.canary);
  if (d.type == "system_prompt_leak") {
    w.key("markers").begin_array();
    for (const auto& m : d.markers) w.value(m);
    w.end_array();
  }
  if (d.type == "regex") {
    w.key("pattern").value(d.pattern);
    w.key("vulnerable_when").value(d.vulnerable_when);
  }
  if (d.type == "judge") {
    w.key("judge_target_id").value(d.judge_target_id);
    w.key("rubric").value(d.rubric);
  }
  if (d.type == "length") w.key("max_chars").value(d.max_chars);
  w.end_object();
}

void write_strings(json_writer& w, const std::vector<std::string>& list) {
  w.begin_array();
  for (const auto& s : list) w.value(s);
  w.end_array();
}

void write(json_writer& w, const probe_set& p, bool with_prompts) {
  w.begin_object();
  w.key("id").value(p.id);
  w.key("name").value(p.name);
  w.key("description").value(p.description);
  w.key("category").value(p.category);
  w.key("frameworks").begin_object();
  w.key("owasp_llm_2025");
  write_strings(w, p.frameworks.owasp_llm_2025);
  w.key("mitre_atlas");
  write_strings(w, p.frameworks.mitre_atlas);
  w.end_object();
  w.key("detector");
  write_detector(w, p.detector);
  w.key("mode").value(p.mode);
  if (p.mode == "crescendo") {
    w.key("goal").value(p.goal);
    w.key("max_turns").value(p.max_turns);
    w.key("attacker_target_id").value(p.attacker_target_id);
  }
  if (with_prompts) {
    w.key("prompts");
    write_strings(w, p.prompts);
  }
  w.key("prompt_count").value(p.prompt_count);
  w.key("source").value(p.source);
  w.key("version").value(p.version);
  if (p.source == "user") {
    w.key("created_at").value(format_timestamp(p.created_at_ms));
    w.key("updated_at").value(format_timestamp(p.updated_at_ms));
  }
  w.end_object();
}

}  // namespace

result<std::vector<std::string>> csv_prompts(const std::string& body) {
  using out_t = result<std::vector<std::string>>;
  std::vector<std::string> prompts;
  std::vector<std::string> row;
  std::string field;
  size_t i = body.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  size_t line = 1;
  size_t column = std::string::npos;  // the prompt column, once the header is read
  size_t header_size = 0;
  bool header_read = false;
  auto end_row = [&](size_t row_line) -> std::optional<failure> {
    row.push_back(std::move(field));
    field.clear();
    bool blank = row.size() == 1 && row[0].empty();
    if (!header_read) {
      header_read = true;
      header_size = row.size();
      std::vector<field_error> bad;
      for (size_t c = 0; c < row.size() && !blank; ++c) {
        if (row[c] == "prompt" && column == std::string::npos) {
          column = c;
        } else {
          bad.push_back({"csv column " + std::to_string(c + 1),
                         "unknown column (the only column is prompt)"});
        }
      }
      if (column == std::string::npos) bad.push_back({"csv header", "must name a prompt column"});
      row.clear();
      if (!bad.empty()) return failure{errc::validation_error, "The CSV header is invalid.", bad};
      return std::nullopt;
    }
    if (!blank && row.size() != header_size)
      return malformed("The CSV body is malformed: line " + std::to_string(row_line) + " has " +
                       std::to_string(row.size()) + " fields, the header has " +
                       std::to_string(header_size) + ".");
    if (!blank && prompts.size() < kept_prompts) prompts.push_back(std::move(row[column]));
    row.clear();
    return std::nullopt;
  };
  size_t row_line = line;
  while (i < body.size()) {
    if (field.empty() && body[i] == '"') {
      // A quoted field: up to the quote that is not doubled.
      size_t open_line = line;
      bool closed = false;
      for (++i; i < body.size(); ++i) {
        if (body[i] == '"') {
          if (i + 1 < body.size() && body[i + 1] == '"') {
            field += '"';
            ++i;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        if (body[i] == '\n') ++line;
        field += body[i];
      }
      if (!closed)
        return out_t{malformed("The CSV body is malformed: the quoted field opened on line " +
                               std::to_string(open_line) + " is not closed."),
                     {}};
      bool at_end = i >= body.size() || body[i] == ',' || body[i] == '\n' ||
                    (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n');
      if (!at_end)
        return out_t{malformed("The CSV body is malformed: line " + std::to_string(line) +
                               " has text after a closing quote."),
                     {}};
      if (i >= body.size()) break;
    }
    char ch = body[i];
    if (ch == ',') {
      row.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (ch == '\n' || (ch == '\r' && i + 1 < body.size() && body[i + 1] == '\n')) {
      i += ch == '\r' ? 2 : 1;
      if (auto bad = end_row(row_line)) return out_t{bad, {}};
      row_line = ++line;
    } else if (ch == '"') {
      return out_t{malformed("The CSV body is malformed: line " + std::to_string(line) +
                             " has a quote inside an unquoted field."),
                   {}};
    } else {
      field += ch;
      ++i;
    }
  }
  if (!field.empty() || !row.empty() || !header_read)
    if (auto bad = end_row(row_line)) return out_t{bad, {}};
  return out_t{{}, std::move(prompts)};
}

result<std::vector<std::string>> ndjson_prompts(const std::string& body) {
  using out_t = result<std::vector<std::string>>;
  std::vector<std::string> prompts;
  std::vector<field_error> errors;
  size_t bad_lines = 0;
  size_t line = 0;
  for (size_t at = 0; at < body.size() && prompts.size() < kept_prompts;) {
    size_t end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    std::string text = body.substr(at, end - at);
    at = end + 1;
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    json j;
    if (auto bad = parse_json_object(text, j)) {
      if (bad->code == errc::bad_request)
        return out_t{malformed("The NDJSON body is malformed: line " + std::to_string(line) +
                               " is not JSON."),
                     {}};
    }
    if (j.is_object() && j.size() == 1 && j.contains("prompt") && j["prompt"].is_string()) {
      prompts.push_back(j["prompt"].get<std::string>());
    } else if (++bad_lines <= named_lines) {
      errors.push_back({"line " + std::to_string(line), "must be an object {\"prompt\": string}"});
    }
  }
  if (bad_lines > named_lines)
    errors.push_back(
        {"lines", std::to_string(bad_lines - named_lines) + " more lines are invalid"});
  if (!errors.empty())
    return out_t::fail(errc::validation_error, "The NDJSON body is invalid.", errors);
  return out_t{{}, std::move(prompts)};
}

result<probe_set> parse_probe_set_create(const std::string& media, const std::string& body,
                                         const header_list& query) {
  if (media == "text/csv" || media == "application/x-ndjson") {
    auto prompts = media == "text/csv" ? csv_prompts(body) : ndjson_prompts(body);
    if (!prompts.ok()) return result<probe_set>{prompts.error, {}};
    return create_from_query(query, std::move(prompts.value));
  }
  if (!query.empty()) {
    std::vector<field_error> errors;
    for (const auto& kv : query)
      errors.push_back({kv.first, "unknown query parameter (a JSON body carries every field)"});
    return result<probe_set>::fail(errc::validation_error, "The query is invalid.", errors);
  }
  json j;
  if (auto bad = parse_json_object(body, j, bounded_prompts())) return result<probe_set>{bad, {}};
  return create_from(j);
}

result<probe_set_patch> parse_probe_set_patch(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j, bounded_prompts()))
    return result<probe_set_patch>{bad, {}};
  std::vector<field_error> errors;
  if (j.contains("id")) errors.push_back({"id", "cannot be changed"});
  probe_set_patch p = read_fields(j, errors);
  add_unreported(patch_errors(p, j), errors);
  if (!errors.empty())
    return result<probe_set_patch>::fail(errc::validation_error, "The change is invalid.", errors);
  return result<probe_set_patch>{{}, p};
}

std::string probe_set_json_body(const probe_set& p) {
  json_writer w;
  write(w, p, true);
  return w.take();
}

std::string probe_set_page_json(const probe_set_page& p) {
  return page_json(p, [](json_writer& w, const probe_set& s) { write(w, s, false); });
}

std::string probe_catalog_json(const probe_set_page& p) {
  return page_json(p, [](json_writer& w, const probe_set& s) { write(w, s, s.source != "user"); });
}

std::string converters_json() {
  json_writer w;
  w.begin_array();
  for (const auto& c : converters()) {
    w.begin_object();
    w.key("id").value(std::string(c.id));
    w.key("description").value(std::string(c.description));
    w.end_object();
  }
  w.end_array();
  return w.take();
}

}  // namespace vutf::http
