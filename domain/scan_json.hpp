// The public representation of a scan: the API's responses and the webhooks' bodies are written
// by these functions, so a client sees one shape wherever a scan reaches it.
#pragma once

#include <string>

#include "config/json_writer.hpp"
#include "domain/scan.hpp"

namespace vutf {

// {"low", "medium", "high", "critical"}
void write_severities(json_writer& w, const severity_counts& f);
// A rate as JSON: at most four significant digits ("0.25", "1", "0", "-0.5").
std::string rate_text(double rate);

// A gate rule: {"severity", "max_attack_success_rate"}, or null.
void write_fail_rule(json_writer& w, const std::optional<fail_rule>& f);

void write_scan(json_writer& w, const scan& s);
std::string scan_json(const scan& s);

}  // namespace vutf
