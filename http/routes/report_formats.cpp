#include "http/routes/report_formats.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "config/strings.hpp"
#include "config/time.hpp"
#include "domain/findings.hpp"
#include "domain/judge.hpp"
#include "domain/probes.hpp"

namespace vutf::http {
namespace {

using nlohmann::json;

std::string seconds_text(int64_t ms) {
  char out[32];
  std::snprintf(out, sizeof out, "%.3f", static_cast<double>(ms) / 1000.0);
  return out;
}

int64_t scan_ms(const scan& s) {
  return s.started_at_ms && s.finished_at_ms ? *s.finished_at_ms - *s.started_at_ms : 0;
}

std::string attribute(const char* name, const std::string& value) {
  return std::string(" ") + name + "=\"" + xml_escape(value) + "\"";
}

// The first line of a prompt, cut to 80 bytes at a UTF-8 boundary: a testcase's readable name.
std::string snippet(const std::string& prompt) {
  std::string line = prompt.substr(0, prompt.find('\n'));
  std::string cut = truncate_utf8(line, 80);
  return cut.size() < prompt.size() ? cut + "…" : cut;
}

// SARIF's levels for the service's severities.
const char* sarif_level(const std::string& severity) {
  if (severity == "critical" || severity == "high") return "error";
  if (severity == "medium") return "warning";
  return "note";
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A bar chart as inline SVG: one labelled horizontal bar per entry, scaled to the largest.
std::string svg_bars(const std::string& title,
                     const std::vector<std::pair<std::string, int64_t>>& bars) {
  constexpr int row = 22, label_width = 200, bar_width = 360;
  int64_t most = 1;
  for (const auto& b : bars) most = std::max(most, b.second);
  int height = row * static_cast<int>(bars.size()) + 8;
  std::string out = "<figure><figcaption>" + xml_escape(title) +
                    "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" +
                    std::to_string(label_width + bar_width + 60) + "\" height=\"" +
                    std::to_string(height) + "\" aria-label=\"" + xml_escape(title) + "\">";
  int y = 4;
  for (const auto& [label, n] : bars) {
    int width = static_cast<int>(bar_width * n / most);
    out += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\">" + xml_escape(label) +
           "</text><rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y + 3) +
           "\" width=\"" + std::to_string(std::max(width, n > 0 ? 2 : 0)) +
           "\" height=\"16\" class=\"bar\"/><text x=\"" +
           std::to_string(label_width + std::max(width, 0) + 6) + "\" y=\"" +
           std::to_string(y + 15) + "\">" + std::to_string(n) + "</text>";
    y += row;
  }
  return out + "</svg></figure>\n";
}

std::string pre(const std::string& text) {
  return "<pre>" + xml_escape(text) + "</pre>";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are not XML characters either.
    if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
        (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE) {
      i += 2;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += static_cast<char>(c);
    }
  }
  return out;
}

std::string junit_head(const scan_report& r) {
  const scan& s = r.summary;
  std::string counts = attribute("tests", std::to_string(s.done)) +
                       attribute("failures", std::to_string(s.findings.total())) +
                       attribute("errors", std::to_string(s.errors)) +
                       attribute("time", seconds_text(scan_ms(s)));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" +
                    attribute("name", "ViolentUTF scan " + s.id) + counts + ">\n<testsuite" +
                    attribute("name", r.of ? r.of->name : s.target_id) + counts +
                    attribute("timestamp", format_timestamp(s.created_at_ms)) + ">\n<properties>\n";
  auto property = [&](const std::string& name, const std::string& value) {
    out += "<property" + attribute("name", name) + attribute("value", value) + "/>\n";
  };
  property("scan_id", s.id);
  property("target_id", s.target_id);
  property("status", s.status);
  for (const auto& p : s.probes) property("probe_set", p);
  for (const auto& c : s.converters) property("converter", c);
  return out + "</properties>\n";
}

std::string junit_cases(const std::vector<scan_result>& page) {
  std::string out;
  for (const auto& x : page) {
    std::string name = "#" + std::to_string(x.seq) +
                       (x.converter ? " [" + *x.converter + "]" : "") + " " + snippet(x.prompt);
    out += "<testcase" + attribute("classname", x.probe) + attribute("name", name) +
           attribute("time", seconds_text(x.latency_ms)) + ">";
    if (x.error) {
      out += "<error" + attribute("message", *x.error) + attribute("type", "call") + "/>";
    } else if (x.vulnerable && x.triage == "false_positive") {
      // Triaged as a false positive (or suppressed on this target): no failure, said why.
      out += "<skipped" + attribute("message", "false positive" + (x.note ? ": " + *x.note : "")) +
             "/>";
    } else if (x.vulnerable) {
      out += "<failure" + attribute("message", x.evidence) + attribute("type", x.severity) + ">" +
             xml_escape("Sent: " + x.sent_prompt + "\n\nReply: " + x.response) + "</failure>";
    }
    out += "</testcase>\n";
  }
  return out;
}

std::string junit_tail() {
  return "</testsuite>\n</testsuites>\n";
}

std::string sarif_head(const scan_report& r) {
  const scan& s = r.summary;
  json rules = json::array();
  for (const auto& id : s.probes) {
    json rule = {{"id", id}};
    if (const probe_set* p = find_probe_set(id)) {
      json tags = p->frameworks.owasp_llm_2025;
      for (const auto& t : p->frameworks.mitre_atlas) tags.push_back(t);
      rule["name"] = p->name;
      rule["shortDescription"] = {{"text", p->name}};
      rule["fullDescription"] = {{"text", p->description.empty() ? p->name : p->description}};
      rule["defaultConfiguration"] = {{"level", sarif_level(p->detector.severity)}};
      rule["properties"] = {{"tags", tags}, {"category", p->category}};
    } else {
      rule["shortDescription"] = {{"text", "The caller's probe set " + id}};
    }
    rules.push_back(rule);
  }
  json run = {
      {"tool",
       {{"driver", {{"name", "ViolentUTF API"}, {"version", VUTF_VERSION}, {"rules", rules}}}}},
      {"automationDetails", {{"id", "violentutf/scan/" + s.id}}},
      {"properties",
       {{"scan_id", s.id},
        {"target_id", s.target_id},
        {"target_name", r.of ? r.of->name : ""},
        {"status", s.status},
        {"prompts", s.done},
        {"errors", s.errors},
        {"converters", s.converters}}}};
  std::string body = dump(run);
  body.pop_back();  // the run stays open: its results follow
  return R"({"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[)" +
         body + R"(,"results":[)";
}

std::string sarif_results(const std::vector<scan_result>& page, bool first) {
  std::string out;
  for (const auto& x : page) {
    json properties = {{"finding_id", finding_id(x.scan_id, x.seq)},
                       {"status", x.triage},
                       {"seq", x.seq},
                       {"severity", x.severity},
                       {"prompt", x.prompt},
                       {"sent_prompt", x.sent_prompt},
                       {"response", x.response},
                       {"detector", x.detector}};
    if (x.note) properties["note"] = *x.note;
    if (x.converter) properties["converter"] = *x.converter;
    if (x.turn) properties["turn"] = *x.turn;
    if (x.judge) properties["judge"] = {{"score", x.judge->score}, {"reason", x.judge->reason}};
    json result = {{"ruleId", x.probe},
                   {"level", sarif_level(x.severity)},
                   {"message", {{"text", x.probe + " (" + x.severity + "): " + x.evidence}}},
                   // The same attack (set, converter, prompt) in two scans is the same finding.
                   {"partialFingerprints", {{"violentutfAttack/v1", finding_fingerprint(x)}}},
                   {"properties", properties}};
    out += (first ? "" : ",") + dump(result);
    first = false;
  }
  return out;
}

std::string sarif_tail() {
  return "]}]}";
}

std::string html_head(const scan_report& r) {
  const scan& s = r.summary;
  std::string target = r.of ? r.of->name + " (" + r.of->kind + ", " + r.of->endpoint_url + ")"
                            : s.target_id + " (deleted)";
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Scan report: " +
      xml_escape(r.of ? r.of->name : s.target_id) +
      "</title><style>"
      "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
      "color:#1b1b1b}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem "
      ".5rem;text-align:left}pre{white-space:pre-wrap;background:#f4f4f4;padding:.5rem;"
      "overflow-wrap:anywhere}.bar{fill:#b3261e}svg text{font-size:13px}article{border-top:1px "
      "solid #ccc;margin-top:1rem}.sev{font-weight:bold;text-transform:uppercase}"
      "</style></head><body>\n<h1>Scan report</h1>\n<table>";
  auto row = [&](const std::string& k, const std::string& v) {
    out += "<tr><th>" + xml_escape(k) + "</th><td>" + xml_escape(v) + "</td></tr>";
  };
  row("Scan", s.id);
  row("Target", target);
  row("Status", s.status + (s.error ? " — " + *s.error : ""));
  row("Prompts", std::to_string(s.done) + " of " + std::to_string(s.total) + " answered, " +
                     std::to_string(s.errors) + " errors");
  row("Findings", std::to_string(s.findings.total()));
  row("Probe sets", join(s.probes, ", "));
  if (!s.converters.empty()) row("Converters", join(s.converters, ", "));
  row("Created", format_timestamp(s.created_at_ms));
  out += "</table>\n<h2>Summary</h2>\n";
  out += svg_bars("Findings by severity", {{"critical", s.findings.critical},
                                           {"high", s.findings.high},
                                           {"medium", s.findings.medium},
                                           {"low", s.findings.low}});
  std::vector<std::pair<std::string, int64_t>> by_probe;
  for (const auto& p : s.probes) {
    auto it = r.findings_by_probe.find(p);
    by_probe.emplace_back(p, it == r.findings_by_probe.end() ? 0 : it->second);
  }
  out += svg_bars("Findings by probe set", by_probe);
  out += "<h2>Coverage</h2>\n";
  for (const auto& [title, groups] :
       {std::pair{"OWASP Top 10 for LLM Applications 2025", &r.frameworks.owasp_llm_2025},
        std::pair{"MITRE ATLAS", &r.frameworks.mitre_atlas}}) {
    out += "<h3>" + xml_escape(title) + "</h3>\n";
    if (groups->empty()) {
      out += "<p>No probe set of this scan is tagged with it.</p>\n";
      continue;
    }
    out += "<table><tr><th>Id</th><th>Name</th><th>Probe sets</th><th>Findings</th></tr>";
    for (const auto& g : *groups) {
      out += "<tr><td>" + xml_escape(g.id) + "</td><td>" + xml_escape(g.name) + "</td><td>" +
             xml_escape(join(g.probe_sets, ", ")) + "</td><td>" + std::to_string(g.findings) +
             "</td></tr>";
    }
    out += "</table>\n";
  }
  return out + "<h2>Findings</h2>\n";
}

std::string html_findings(const std::vector<scan_result>& page) {
  std::string out;
  for (const auto& x : page) {
    out += "<article><h3>#" + std::to_string(x.seq) + " " + xml_escape(x.probe) +
           " — <span class=\"sev\">" + xml_escape(x.severity) + "</span>" +
           (x.converter ? " — via " + xml_escape(*x.converter) : "") + "</h3><p>Finding <code>" +
           xml_escape(finding_id(x.scan_id, x.seq)) + "</code>, " + xml_escape(x.triage) +
           (x.note ? ": " + xml_escape(*x.note) : std::string()) + "</p><p>" +
           xml_escape(x.evidence) + "</p><h4>Prompt</h4>" + pre(x.prompt);
    if (x.sent_prompt != x.prompt) out += "<h4>Sent</h4>" + pre(x.sent_prompt);
    out += "<h4>Response</h4>" + pre(x.response);
    if (x.judge)
      out += "<p><strong>Judge</strong> (score " + score_text(x.judge->score) +
             "): " + xml_escape(x.judge->reason) + "</p>";
    if (x.transcript) {
      out += "<h4>Conversation" +
             (x.turn ? " (the detector fired at turn " + std::to_string(*x.turn) + ")"
                     : std::string()) +
             "</h4>";
      for (const auto& m : *x.transcript)
        out += std::string("<p><em>") + (m.role == "user" ? "Attacker" : "Target") + "</em></p>" +
               pre(m.content);
    }
    out += "</article>\n";
  }
  return out;
}

std::string html_tail(bool any_findings) {
  return std::string(any_findings ? "" : "<p>No findings.</p>\n") + "</body></html>\n";
}

}  // namespace vutf::http
