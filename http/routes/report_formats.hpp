// The report formats for tools rather than people reading JSON: JUnit XML (CI test reports: one
// testcase per attempt, a failure per finding), SARIF 2.1.0 (code-scanning dashboards: one rule
// per probe set, one result per finding) and one self-contained HTML page (summary, charts as
// inline SVG, findings with their evidence, coverage by framework). Each is streamed like the
// others (http/routes/scan_codec.hpp): a head from the scan's report, its results a page at a
// time, a tail. Every text a target or user wrote is escaped; characters XML cannot carry are
// dropped.
#pragma once

#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/scan.hpp"

namespace vutf::http {

// `text` escaped for XML and HTML text and attribute values (& < > " '), without the control
// characters XML 1.0 forbids even escaped (all below U+0020 but tab, line feed and carriage
// return; U+FFFE and U+FFFF).
std::string xml_escape(const std::string& text);

std::string junit_head(const scan_report& r);
// Every result, not only findings; a finding marked false_positive is skipped, not failed.
std::string junit_cases(const std::vector<scan_result>& page);
std::string junit_tail();

std::string sarif_head(const scan_report& r);
std::string sarif_results(const std::vector<scan_result>& page, bool first);
std::string sarif_tail();

std::string html_head(const scan_report& r);
std::string html_findings(const std::vector<scan_result>& page);
std::string html_tail(bool any_findings);

}  // namespace vutf::http
