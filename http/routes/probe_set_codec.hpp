// Probe sets <-> the HTTP API: a new set as JSON, CSV (RFC 4180, a `prompt` column) or NDJSON
// (`{"prompt": ...}` per line) with the metadata of the last two in the query; changes as
// JSON; the representations of sets, pages of them and GET /probes. Type problems, unknown
// fields and the domain rules (domain/probes.hpp validate()) are reported together: one 422
// lists every bad field. Syntax errors (JSON, CSV quoting, an NDJSON line that is not JSON) are
// 400 naming the line.
#pragma once

#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "http/api.hpp"

namespace vutf::http {

// A new set from a body of media type `media` (application/json, text/csv or
// application/x-ndjson) and, for CSV and NDJSON, the query parameters `query`: id, name,
// description, category, detector (its type), severity, canary, markers, pattern,
// vulnerable_when, owasp_llm_2025 and mitre_atlas (the lists comma-separated).
result<probe_set> parse_probe_set_create(const std::string& media, const std::string& body,
                                         const header_list& query);
result<probe_set_patch> parse_probe_set_patch(const std::string& body);

// The prompts of a CSV body (RFC 4180: a header row naming a `prompt` column; quoted fields may
// hold commas, quotes as "" and line breaks; CRLF or LF ends a row; a UTF-8 BOM is skipped), at
// most max_prompts_per_set + 1 of them (one more says there are too many).
result<std::vector<std::string>> csv_prompts(const std::string& body);
// The prompts of an NDJSON body: one {"prompt": "..."} object per non-empty line.
result<std::vector<std::string>> ndjson_prompts(const std::string& body);

// A set with its prompts (GET, POST and PATCH /probe-sets).
std::string probe_set_json_body(const probe_set& p);
// The caller's sets without their prompts (GET /probe-sets).
std::string probe_set_page_json(const probe_set_page& p);
// GET /probes: built-in sets with their prompts, the caller's without.
std::string probe_catalog_json(const probe_set_page& p);
// GET /converters: [{"id", "description"}] in the table's order.
std::string converters_json();

}  // namespace vutf::http
