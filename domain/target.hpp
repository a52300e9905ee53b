// Targets: the LLM endpoints a user registers, their changes, queries and field rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/error.hpp"
#include "domain/page.hpp"

namespace vutf {

struct target {
  std::string id;
  std::string owner_id;  // the user who created it
  std::string name;
  std::optional<std::string> description;
  std::string kind;  // "openai-chat" | "http-json"
  std::string endpoint_url;
  std::optional<std::string> model;
  std::string headers_json = "{}";  // write-only: stored, never returned
  std::optional<std::string> request_template_json;
  std::optional<std::string> response_path;
  // Sent before each prompt: as a system message (openai-chat), or into the {{system_prompt}}
  // placeholders of the request_template (http-json). Not secret: returned like the rest.
  std::optional<std::string> system_prompt;
  int64_t timeout_seconds = 30;
  int64_t max_concurrency = 4;
  // Calls per minute to this target across all instances (nullopt: unlimited).
  std::optional<int64_t> rate_limit_rpm;
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// A change to a target: only the present fields change. `clear_*` sets a nullable field to null.
struct target_patch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> description;
  std::optional<std::string> kind;
  std::optional<std::string> endpoint_url;
  std::optional<std::optional<std::string>> model;
  std::optional<std::string> headers_json;
  std::optional<std::optional<std::string>> request_template_json;
  std::optional<std::optional<std::string>> response_path;
  std::optional<std::optional<std::string>> system_prompt;
  std::optional<int64_t> timeout_seconds;
  std::optional<int64_t> max_concurrency;
  std::optional<std::optional<int64_t>> rate_limit_rpm;
};

// Applies `p` to `t` (fields only; version and timestamps are the store's business). A patch
// that changes endpoint_url or kind without setting headers drops the stored headers, so the
// secrets they hold never follow the target to another endpoint.
void apply_patch(target& t, const target_patch& p);

struct target_query {
  std::string owner_id;  // the owner whose targets to list; "*" = every owner (admins)
  std::string q;         // case-insensitive substring of name or description
  std::string kind;
  std::string sort = "-created_at";  // a sort key from target_sort_keys, optional '-' prefix
  int64_t page = 1;
  int64_t per_page = 20;
};

// Bounds of an http-json request_template: each prompt sent is the template with the prompt
// (the system prompt, the conversation) written into every placeholder, so together they bound
// the body of every call.
constexpr size_t max_request_template_bytes = size_t{64} * 1024;
constexpr size_t max_prompt_placeholders = 16;
// The placeholders of a request_template, each filled with its text JSON-escaped.
constexpr const char* prompt_placeholder = "{{prompt}}";
constexpr const char* system_prompt_placeholder = "{{system_prompt}}";
// A whole string value that becomes the conversation, a JSON array of {"role", "content"} (the
// system prompt first when there is one): how http-json targets receive multi-turn attacks.
constexpr const char* messages_placeholder = "{{messages}}";
// Bound of system_prompt (bytes; it is sent with every prompt).
constexpr size_t max_system_prompt_bytes = size_t{16} * 1024;
// Bounds of rate_limit_rpm.
constexpr int64_t min_rate_limit_rpm = 1;
constexpr int64_t max_rate_limit_rpm = 100000;

// Every field rule a target breaks (empty when valid). The one place target rules live: create
// and patch both check the complete record.
std::vector<field_error> validate(const target& t);

// Sortable fields of targets.
const std::vector<std::string>& target_sort_keys();

using target_page = page_of<target>;

// An http:// or https:// URL the service may call: http_url_problem (config/url.hpp) finds
// nothing wrong with it.
bool is_http_url(const std::string& u);

// Why a target may not send the header `name: value` ("" when it may): names are HTTP tokens
// (at most 100 characters), values at most 8 KiB without CR, LF or NUL, and the headers that
// frame the request or the connection (Host, Content-Length, Transfer-Encoding, Connection and
// the other hop-by-hop and proxy headers) are the transport's alone.
std::string header_problem(const std::string& name, const std::string& value);

}  // namespace vutf
