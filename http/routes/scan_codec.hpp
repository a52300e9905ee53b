// JSON, Markdown and CSV (and, through report_formats.hpp, HTML, JUnit and SARIF) for scans, their
// results, reports, statistics and target tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/scan.hpp"

namespace vutf::http {

// Reads POST /scans: unknown fields, type problems and the domain rules (SCAN_MAX_PROMPTS =
// `max_prompts_cap`) are one 422 naming every bad field. The scans actor checks the rules again.
result<scan_request> parse_scan_create(const std::string& body, int64_t max_prompts_cap);
// Reads one field of a POST /scans body (`key` = `value`) into `r`, a type problem into
// `errors`; false when `key` is not a field of a scan request. POST /schedules reads its scan
// part with it.
bool read_scan_field(const std::string& key, const nlohmann::json& value, scan_request& r,
                     std::vector<field_error>& errors);

// Reads PATCH /scans/{id}/findings/{finding_id}: {"status", "note"}, at least one; unknown
// fields, type problems and the domain rules are one 422 naming every bad field.
result<triage_change> parse_triage(const std::string& body);

std::string scan_page_json(const scan_page& p);
std::string finding_json(const scan_result& r);
// {"baseline", "scan", "new", "fixed", "persisting", "attack_success_rate": {"baseline",
// "current", "delta"}}
std::string scan_diff_json(const scan_diff& d);
std::string result_page_json(const result_page& p);
std::string target_check_json(const target_check& c);
std::string stats_json(const stats_overview& s);
std::string coverage_json(const coverage_report& r);

// A report is streamed: the heading, then findings in pages, then the ending. The formats are
// json (one document), markdown, csv (one row per finding), html (one self-contained page),
// junit (one testcase per result: every result, not only the findings, see
// report_has_every_result) and sarif (one result per finding): http/routes/report_formats.hpp.
enum class report_format { json, markdown, csv, html, junit, sarif };
// Whether the report lists every result (junit: passed testcases too) rather than the findings.
inline bool report_has_every_result(report_format f) {
  return f == report_format::junit;
}
std::string report_head(report_format f, const scan_report& r);
// `first` is true for the page holding the report's first finding.
std::string report_findings(report_format f, const std::vector<scan_result>& page, bool first);
std::string report_tail(report_format f, bool any_findings);
const char* report_content_type(report_format f);

}  // namespace vutf::http
