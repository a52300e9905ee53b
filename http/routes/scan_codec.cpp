#include "http/routes/scan_codec.hpp"

#include <array>
#include <set>
#include <utility>

#include "config/strings.hpp"
#include "config/time.hpp"
#include "domain/findings.hpp"
#include "domain/judge.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "domain/scan_json.hpp"
#include "http/codec_common.hpp"
#include "http/json_body.hpp"
#include "http/routes/report_formats.hpp"

namespace vutf::http {

using nlohmann::json;

namespace {

// POST /scans "fail_on": {"severity", "max_attack_success_rate"} (null: no gate). Type
// problems and unknown fields go to `errors`; the domain checks the values.
std::optional<fail_rule> read_fail_rule(const json& v, std::vector<field_error>& errors) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_object()) {
    errors.push_back({"fail_on", "must be an object with severity and/or max_attack_success_rate"});
    return std::nullopt;
  }
  fail_rule f;
  size_t reported = errors.size();
  for (const auto& [key, value] : v.items()) {
    if (key == "severity" && value.is_string()) {
      f.severity = value.get<std::string>();
    } else if (key == "severity") {
      errors.push_back({"fail_on.severity", "must be low, medium, high or critical"});
    } else if (key == "max_attack_success_rate" && value.is_number()) {
      f.max_attack_success_rate = value.get<double>();
    } else if (key == "max_attack_success_rate") {
      errors.push_back({"fail_on.max_attack_success_rate", "must be a number from 0 to 1"});
    } else {
      errors.push_back({"fail_on." + key, "unknown field"});
    }
  }
  // With a bad field named, what is left of the rule is not checked again.
  if (errors.size() > reported) return std::nullopt;
  return f;
}

}  // namespace

bool read_scan_field(const std::string& key, const json& value, scan_request& r,
                     std::vector<field_error>& errors) {
  if (key == "target_id") {
    if (value.is_string()) {
      r.target_id = value.get<std::string>();
    } else {
      errors.push_back({key, "must be a string"});
    }
  } else if (key == "probes") {
    bool ok = value.is_array() && value.size() <= 100;
    for (const auto& p : value) ok = ok && p.is_string();
    if (ok) {
      r.probes = value.get<std::vector<std::string>>();
    } else {
      errors.push_back({key, "must be an array of probe set ids"});
    }
  } else if (key == "converters") {
    bool ok = value.is_array();
    for (const auto& c : value) ok = ok && c.is_string();
    if (ok) {
      r.converters = value.get<std::vector<std::string>>();
    } else {
      errors.push_back({key, "must be an array of converter ids (see GET /converters)"});
    }
  } else if (key == "fail_on") {
    r.fail_on = read_fail_rule(value, errors);
  } else if (key == "webhook_url" || key == "judge_target_id") {
    auto& out = key == "webhook_url" ? r.webhook_url : r.judge_target_id;
    if (value.is_string()) {
      out = value.get<std::string>();
    } else if (!value.is_null()) {
      errors.push_back({key, "must be a string or null"});
    }
  } else if (key == "max_prompts" || key == "concurrency") {
    auto& out = key == "max_prompts" ? r.max_prompts : r.concurrency;
    if (value.is_number_integer()) {
      out = value.get<int64_t>();
    } else {
      errors.push_back({key, "must be an integer"});
    }
  } else {
    return false;
  }
  return true;
}

result<scan_request> parse_scan_create(const std::string& body, int64_t max_prompts_cap) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<scan_request>{bad, {}};
  std::vector<field_error> errors;
  scan_request r;
  for (const auto& [key, value] : j.items())
    if (!read_scan_field(key, value, r, errors)) errors.push_back({key, "unknown field"});
  for (const char* required : {"target_id", "probes"})
    if (!j.contains(required)) errors.push_back({required, "is required"});
  add_unreported(validate(r, max_prompts_cap), errors);
  if (!errors.empty())
    return result<scan_request>::fail(errc::validation_error, "The scan is invalid.", errors);
  return result<scan_request>{{}, std::move(r)};
}

result<triage_change> parse_triage(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<triage_change>{bad, {}};
  std::vector<field_error> errors;
  triage_change c;
  for (const auto& [key, value] : j.items()) {
    if (key == "status" && value.is_string()) {
      c.status = value.get<std::string>();
    } else if (key == "status") {
      errors.push_back({key, "must be open, accepted, false_positive or fixed"});
    } else if (key == "note" && (value.is_string() || value.is_null())) {
      c.note_given = true;
      if (value.is_string()) c.note = value.get<std::string>();
    } else if (key == "note") {
      errors.push_back({key, "must be a string or null"});
    } else {
      errors.push_back({key, "unknown field"});
    }
  }
  add_unreported(validate(c), errors);
  if (!errors.empty())
    return result<triage_change>::fail(errc::validation_error, "The triage is invalid.", errors);
  return result<triage_change>{{}, std::move(c)};
}

namespace {

void write_result(json_writer& w, const scan_result& r) {
  w.begin_object();
  w.key("id").value(finding_id(r.scan_id, r.seq));
  w.key("seq").value(r.seq);
  w.key("probe").value(r.probe);
  w.key("prompt").value(r.prompt);
  w.key("converter").value(r.converter);
  w.key("sent_prompt").value(r.sent_prompt);
  w.key("response").value(r.error ? std::nullopt : std::optional(r.response));
  w.key("detector").value(r.detector);
  w.key("vulnerable").boolean(r.vulnerable);
  w.key("severity").value(r.vulnerable ? std::optional(r.severity) : std::nullopt);
  w.key("evidence").value(r.evidence.empty() ? std::nullopt : std::optional(r.evidence));
  w.key("latency_ms").value(r.latency_ms);
  w.key("attempts").value(r.attempts);
  w.key("error").value(r.error);
  w.key("judge");
  if (r.judge) {
    w.begin_object();
    w.key("score").raw(score_text(r.judge->score));
    w.key("reason").value(r.judge->reason);
    w.end_object();
  } else {
    w.null();
  }
  w.key("transcript");
  if (r.transcript) {
    w.begin_array();
    for (const auto& m : *r.transcript) {
      w.begin_object();
      w.key("role").value(m.role);
      w.key("content").value(m.content);
      w.end_object();
    }
    w.end_array();
  } else {
    w.null();
  }
  w.key("turn");
  if (r.turn) {
    w.value(*r.turn);
  } else {
    w.null();
  }
  w.key("status").value(r.triage);
  w.key("note").value(r.note);
  w.end_object();
}

void write_results(json_writer& w, const std::vector<scan_result>& list) {
  w.begin_array();
  for (const auto& r : list) write_result(w, r);
  w.end_array();
}

std::string category_of(const std::string& probe) {
  const probe_set* p = find_probe_set(probe);
  return p ? p->category : "";
}

// A Markdown code fence longer than any run of backticks in `text`, so replies cannot end it.
std::string fenced(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<size_t>(3, longest + 1), '`');
  return fence + "text\n" + text + "\n" + fence + "\n";
}

// Table cells: no line breaks, pipes escaped.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string scan_page_json(const scan_page& p) {
  return page_json(p, write_scan);
}

std::string result_page_json(const result_page& p) {
  return page_json(p, write_result);
}

std::string finding_json(const scan_result& r) {
  json_writer w;
  write_result(w, r);
  return w.take();
}

std::string scan_diff_json(const scan_diff& d) {
  json_writer w;
  w.begin_object();
  w.key("baseline").value(d.baseline_id);
  w.key("scan").value(d.scan_id);
  w.key("new");
  write_results(w, d.added);
  w.key("fixed");
  write_results(w, d.fixed);
  w.key("persisting");
  write_results(w, d.persisting);
  w.key("attack_success_rate").begin_object();
  w.key("baseline").raw(rate_text(d.baseline_rate));
  w.key("current").raw(rate_text(d.current_rate));
  w.key("delta").raw(rate_text(d.current_rate - d.baseline_rate));
  w.end_object();
  w.end_object();
  return w.take();
}

std::string target_check_json(const target_check& c) {
  json_writer w;
  w.begin_object();
  w.key("ok").boolean(c.ok);
  w.key("latency_ms").value(c.latency_ms);
  w.key("status_code");
  if (c.status_code > 0) {
    w.value(int64_t{c.status_code});
  } else {
    w.null();
  }
  w.key("sample").value(c.sample);
  w.key("error").value(c.error.empty() ? std::nullopt : std::optional(c.error));
  w.end_object();
  return w.take();
}

std::string stats_json(const stats_overview& s) {
  json_writer w;
  w.begin_object();
  w.key("targets").value(s.targets);
  w.key("scans_by_status").begin_object();
  for (const auto& [status, n] : s.scans_by_status) w.key(status.c_str()).value(n);
  w.end_object();
  w.key("findings_by_severity");
  write_severities(w, s.findings_by_severity);
  w.key("findings_by_probe").begin_object();
  for (const auto& [probe, n] : s.findings_by_probe) w.key(probe.c_str()).value(n);
  w.end_object();
  w.end_object();
  return w.take();
}

namespace {

// A framework id's name; null for an id this release cannot name.
std::optional<std::string> name_or_null(const std::string& name) {
  return name.empty() ? std::nullopt : std::optional(name);
}

}  // namespace

std::string coverage_json(const coverage_report& r) {
  json_writer w;
  w.begin_object();
  for (const auto& [key, list] :
       {std::pair{"owasp_llm_2025", &r.owasp_llm_2025}, std::pair{"mitre_atlas", &r.mitre_atlas}}) {
    w.key(key).begin_array();
    for (const auto& e : *list) {
      w.begin_object();
      w.key("id").value(e.id);
      w.key("name").value(name_or_null(e.name));
      w.key("probe_sets").value(e.probe_sets);
      w.key("scans").value(e.scans);
      w.key("findings").value(e.findings);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return w.take();
}

const char* report_content_type(report_format f) {
  switch (f) {
    case report_format::json:
      return "application/json; charset=utf-8";
    case report_format::markdown:
      return "text/markdown; charset=utf-8";
    case report_format::csv:
      return "text/csv; charset=utf-8";
    case report_format::html:
      return "text/html; charset=utf-8";
    case report_format::junit:
      return "application/xml; charset=utf-8";
    case report_format::sarif:
      return "application/sarif+json; charset=utf-8";
  }
  return "application/json; charset=utf-8";
}

namespace {

// One framework's part of a report: its JSON key, its Markdown title and its groups.
struct framework_list {
  const char* key;
  const char* title;
  const std::vector<framework_findings>* groups;
};

// The two framework lists of a report, OWASP first.
std::array<framework_list, 2> framework_lists(const findings_by_framework& f) {
  return {{{"owasp_llm_2025", "OWASP Top 10 for LLM Applications 2025", &f.owasp_llm_2025},
           {"mitre_atlas", "MITRE ATLAS", &f.mitre_atlas}}};
}

// The report's findings under each framework id its sets are tagged with, as Markdown tables.
std::string markdown_frameworks(const findings_by_framework& f) {
  std::string out = "## Findings by framework\n\n";
  for (const auto& list : framework_lists(f)) {
    out += std::string("### ") + list.title + "\n\n";
    if (list.groups->empty()) {
      out += "No probe set of this scan is tagged with it.\n\n";
      continue;
    }
    out += "| Id | Name | Probe sets | Findings |\n|---|---|---|---|\n";
    for (const auto& g : *list.groups)
      out += "| " + g.id + " | " + cell(g.name) + " | " + cell(join(g.probe_sets, ", ")) + " | " +
             std::to_string(g.findings) + " |\n";
    out += "\n";
  }
  return out;
}

// The report as one JSON document, open after the heading fields.
std::string json_report_head(const scan_report& r) {
  const scan& s = r.summary;
  json_writer w;
  w.begin_object();
  w.key("generated_at").value(format_timestamp(now_ms()));
  w.key("scan");
  write_scan(w, s);
  w.key("target");
  if (r.of) {
    w.begin_object();
    w.key("id").value(r.of->id);
    w.key("name").value(r.of->name);
    w.key("kind").value(r.of->kind);
    w.key("endpoint_url").value(r.of->endpoint_url);
    w.key("model").value(r.of->model);
    w.end_object();
  } else {
    w.null();
  }
  w.key("findings_by_probe").begin_object();
  for (const auto& [probe, n] : r.findings_by_probe) w.key(probe.c_str()).value(n);
  w.end_object();
  w.key("findings_by_framework").begin_object();
  for (const auto& list : framework_lists(r.frameworks)) {
    w.key(list.key).begin_array();
    for (const auto& g : *list.groups) {
      w.begin_object();
      w.key("id").value(g.id);
      w.key("name").value(name_or_null(g.name));
      w.key("probe_sets").begin_array();
      for (const auto& id : g.probe_sets) w.value(id);
      w.end_array();
      w.key("findings").value(g.findings);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  // The document stays open: the findings array follows, then report_tail closes it.
  return w.take() + ",\"findings\":[";
}

std::string markdown_report_head(const scan_report& r) {
  const scan& s = r.summary;
  std::string out = "# Scan report: " + cell(r.of ? r.of->name : s.target_id) + "\n\n";
  out += "| | |\n|---|---|\n";
  out += "| Scan | `" + s.id + "` |\n";
  if (r.of) {
    out += "| Target | " + cell(r.of->name) + " (" + r.of->kind + ", " + cell(r.of->endpoint_url) +
           ") |\n";
  } else {
    out += "| Target | `" + s.target_id + "` (deleted) |\n";
  }
  out += "| Status | " + s.status + (s.error ? " — " + cell(*s.error) : "") + " |\n";
  out += "| Prompts | " + std::to_string(s.done) + " of " + std::to_string(s.total) +
         " answered, " + std::to_string(s.errors) + " errors |\n";
  out += "| Converters | " + (s.converters.empty() ? "none" : join(s.converters, ", ")) + " |\n";
  out += "| Findings | " + std::to_string(s.findings.total()) + " (critical " +
         std::to_string(s.findings.critical) + ", high " + std::to_string(s.findings.high) +
         ", medium " + std::to_string(s.findings.medium) + ", low " +
         std::to_string(s.findings.low) + ") |\n";
  out += "| Started | " + (s.started_at_ms ? format_timestamp(*s.started_at_ms) : "-") +
         " |\n| Finished | " + (s.finished_at_ms ? format_timestamp(*s.finished_at_ms) : "-") +
         " |\n\n";
  out +=
      "## Findings by probe set\n\n| Probe set | Version | OWASP LLM | Findings |\n"
      "|---|---|---|---|\n";
  for (size_t i = 0; i < s.probes.size(); ++i) {
    probe_ref p = i < s.probe_sets.size() ? s.probe_sets[i] : probe_ref{s.probes[i]};
    auto it = r.findings_by_probe.find(p.id);
    out += "| " + p.id + " | " + p.source + " v" + std::to_string(p.version) + " | " +
           (p.source == "builtin" ? category_of(p.id) : "") + " | " +
           std::to_string(it == r.findings_by_probe.end() ? 0 : it->second) + " |\n";
  }
  return out + "\n" + markdown_frameworks(r.frameworks) + "## Findings\n\n";
}

// A conversation in a Markdown report: each message fenced, after who sent it.
std::string markdown_transcript(const scan_result& r) {
  if (!r.transcript) return "";
  std::string out =
      "\n**Conversation**" +
      (r.turn ? " (the detector fired at turn " + std::to_string(*r.turn) + ")" : std::string()) +
      "\n\n";
  for (const auto& m : *r.transcript)
    out += (m.role == "user" ? "*Attacker*\n\n" : "*Target*\n\n") + fenced(m.content);
  return out;
}

}  // namespace

std::string report_head(report_format f, const scan_report& r) {
  switch (f) {
    case report_format::json:
      return json_report_head(r);
    case report_format::markdown:
      return markdown_report_head(r);
    case report_format::csv:
      // The variant's columns come last, so readers of the earlier columns by position still work.
      return "seq,probe,category,severity,detector,evidence,latency_ms,prompt,response,converter,"
             "sent_prompt,judge_score,judge_reason,turn,id,status,note\r\n";
    case report_format::html:
      return html_head(r);
    case report_format::junit:
      return junit_head(r);
    case report_format::sarif:
      return sarif_head(r);
  }
  return "";
}

std::string report_findings(report_format f, const std::vector<scan_result>& page, bool first) {
  switch (f) {
    case report_format::html:
      return html_findings(page);
    case report_format::junit:
      return junit_cases(page);
    case report_format::sarif:
      return sarif_results(page, first);
    default:
      break;
  }
  std::string out;
  for (const auto& r : page) {
    switch (f) {
      case report_format::json: {
        json_writer w;
        write_result(w, r);
        out += (first ? "" : ",") + w.take();
        first = false;
        break;
      }
      case report_format::markdown:
        out +=
            "### #" + std::to_string(r.seq) + " " + r.probe + " (" + category_of(r.probe) + ") — " +
            r.severity + (r.converter ? " — via " + *r.converter : "") + "\n\nFinding `" +
            finding_id(r.scan_id, r.seq) + "`, " + r.triage +
            (r.note ? ": " + cell(*r.note) : std::string()) + "\n\n" + cell(r.evidence) +
            "\n\n**Prompt**\n\n" + fenced(r.prompt) +
            (r.converter ? "\n**Sent (" + *r.converter + ")**\n\n" + fenced(r.sent_prompt) : "") +
            "\n**Response**\n\n" + fenced(r.response) +
            (r.judge ? "\n**Judge** (score " + score_text(r.judge->score) +
                           "): " + cell(r.judge->reason) + "\n"
                     : "") +
            markdown_transcript(r) + "\n";
        break;
      case report_format::csv:
        out += std::to_string(r.seq) + "," + csv_field(r.probe) + "," +
               csv_field(category_of(r.probe)) + "," + csv_field(r.severity) + "," +
               csv_field(r.detector) + "," + csv_field(r.evidence) + "," +
               std::to_string(r.latency_ms) + "," + csv_field(r.prompt) + "," +
               csv_field(r.response) + "," + csv_field(r.converter.value_or("")) + "," +
               csv_field(r.sent_prompt) + "," + (r.judge ? score_text(r.judge->score) : "") + "," +
               csv_field(r.judge ? r.judge->reason : "") + "," +
               (r.turn ? std::to_string(*r.turn) : "") + "," +
               csv_field(finding_id(r.scan_id, r.seq)) + "," + csv_field(r.triage) + "," +
               csv_field(r.note.value_or("")) + "\r\n";
        break;
      default:  // the formats of report_formats.hpp, answered above
        break;
    }
  }
  return out;
}

std::string report_tail(report_format f, bool any_findings) {
  switch (f) {
    case report_format::json:
      return "]}";
    case report_format::markdown:
      return any_findings ? "" : "No findings.\n";
    case report_format::csv:
      return "";
    case report_format::html:
      return html_tail(any_findings);
    case report_format::junit:
      return junit_tail();
    case report_format::sarif:
      return sarif_tail();
  }
  return "";
}

}  // namespace vutf::http
