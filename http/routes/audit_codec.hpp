// Audit records as JSON, NDJSON and CSV.
#pragma once

#include <string>

#include "actors/messages.hpp"
#include "domain/audit.hpp"

namespace vutf::http {

std::string audit_json(const audit_record& a);  // one line of NDJSON, too
std::string audit_page_json(const audit_page& p);
std::string audit_stats_json(const audit_stats& s);
std::string audit_csv_header();
std::string audit_csv_line(const audit_record& a);

}  // namespace vutf::http
