#include "domain/target.hpp"

#include <algorithm>
#include <cctype>

#include "config/url.hpp"
#include "domain/error.hpp"
#include "domain/json_path.hpp"

namespace vutf {

void apply_patch(target& t, const target_patch& p) {
  bool moved =
      (p.endpoint_url && *p.endpoint_url != t.endpoint_url) || (p.kind && *p.kind != t.kind);
  if (moved && !p.headers_json) t.headers_json = "{}";
  if (p.name) t.name = *p.name;
  if (p.description) t.description = *p.description;
  if (p.kind) t.kind = *p.kind;
  if (p.endpoint_url) t.endpoint_url = *p.endpoint_url;
  if (p.model) t.model = *p.model;
  if (p.headers_json) t.headers_json = *p.headers_json;
  if (p.request_template_json) t.request_template_json = *p.request_template_json;
  if (p.response_path) t.response_path = *p.response_path;
  if (p.system_prompt) t.system_prompt = *p.system_prompt;
  if (p.timeout_seconds) t.timeout_seconds = *p.timeout_seconds;
  if (p.max_concurrency) t.max_concurrency = *p.max_concurrency;
  if (p.rate_limit_rpm) t.rate_limit_rpm = *p.rate_limit_rpm;
}

namespace {

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

size_t occurrences(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

// Whether every {{messages}} in the template (JSON text our parser wrote) is a whole string
// value: an unescaped quote on either side and no ':' after (a key). Replaced by an array, any
// other use would leave the body broken JSON.
bool messages_whole_values(const std::string& tmpl) {
  const std::string part = messages_placeholder;
  for (size_t at = tmpl.find(part); at != std::string::npos; at = tmpl.find(part, at + 1)) {
    size_t end = at + part.size();
    bool opened = at >= 1 && tmpl[at - 1] == '"' && !(at >= 2 && tmpl[at - 2] == '\\');
    bool closed =
        end < tmpl.size() && tmpl[end] == '"' && !(end + 1 < tmpl.size() && tmpl[end + 1] == ':');
    if (!opened || !closed) return false;
  }
  return true;
}

}  // namespace

bool is_http_url(const std::string& u) {
  return http_url_problem(u).empty();
}

std::string header_problem(const std::string& name, const std::string& value) {
  static const char* const reserved[] = {"host",
                                         "content-length",
                                         "transfer-encoding",
                                         "connection",
                                         "keep-alive",
                                         "upgrade",
                                         "te",
                                         "trailer",
                                         "expect",
                                         "proxy-connection",
                                         "proxy-authorization"};
  bool token = !name.empty() && name.size() <= 100;
  std::string lower;
  for (unsigned char c : name) {
    token = token &&
            (std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                    std::string_view::npos);
    lower += static_cast<char>(std::tolower(c));
  }
  if (!token) return "header names are HTTP tokens of at most 100 characters";
  for (const char* r : reserved)
    if (lower == r) return "the header " + name + " is set by the service, not by a target";
  if (value.size() > 8192) return "header values are at most 8 KiB";
  if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
    return "header values may not contain CR, LF or NUL";
  return "";
}

std::vector<field_error> validate(const target& t) {
  std::vector<field_error> e;
  size_t name_len = utf8_length(t.name);
  if (name_len < 1 || name_len > 100 || has_control(t.name))
    e.push_back({"name", "must be 1-100 characters without control characters"});
  if (t.description && utf8_length(*t.description) > 2000)
    e.push_back({"description", "must be at most 2000 characters"});
  if (t.kind != "openai-chat" && t.kind != "http-json")
    e.push_back({"kind", "must be one of openai-chat, http-json"});
  if (std::string why = http_url_problem(t.endpoint_url); !why.empty())
    e.push_back({"endpoint_url", why});
  if (t.model && (t.model->empty() || utf8_length(*t.model) > 200 || has_control(*t.model)))
    e.push_back({"model", "must be 1-200 characters"});
  if (t.timeout_seconds < 1 || t.timeout_seconds > 300)
    e.push_back({"timeout_seconds", "must be an integer in 1..300"});
  if (t.max_concurrency < 1 || t.max_concurrency > 64)
    e.push_back({"max_concurrency", "must be an integer in 1..64"});
  if (t.system_prompt && t.system_prompt->size() > max_system_prompt_bytes)
    e.push_back({"system_prompt",
                 "must be at most " + std::to_string(max_system_prompt_bytes / 1024) + " KiB"});
  if (t.rate_limit_rpm &&
      (*t.rate_limit_rpm < min_rate_limit_rpm || *t.rate_limit_rpm > max_rate_limit_rpm))
    e.push_back({"rate_limit_rpm", "must be null or an integer in " +
                                       std::to_string(min_rate_limit_rpm) + ".." +
                                       std::to_string(max_rate_limit_rpm)});
  if (t.kind == "http-json") {
    if (!t.request_template_json)
      e.push_back({"request_template", "is required for kind http-json"});
    else if (t.request_template_json->find(prompt_placeholder) == std::string::npos)
      e.push_back({"request_template", "must contain the {{prompt}} placeholder"});
    if (!t.response_path || t.response_path->empty())
      e.push_back({"response_path", "is required for kind http-json"});
  }
  if (t.request_template_json) {
    const std::string& tmpl = *t.request_template_json;
    size_t placeholders = occurrences(tmpl, prompt_placeholder) +
                          occurrences(tmpl, system_prompt_placeholder) +
                          occurrences(tmpl, messages_placeholder);
    if (tmpl.size() > max_request_template_bytes || placeholders > max_prompt_placeholders)
      e.push_back({"request_template",
                   "must be at most " + std::to_string(max_request_template_bytes / 1024) +
                       " KiB with at most " + std::to_string(max_prompt_placeholders) +
                       " {{prompt}}, {{system_prompt}} and {{messages}} placeholders"});
    if (!messages_whole_values(tmpl))
      e.push_back({"request_template",
                   "{{messages}} must be a whole string value (\"messages\": \"{{messages}}\"): "
                   "it is replaced by the conversation's JSON array"});
  }
  // (An empty path of an http-json target is reported as missing above.)
  if (t.response_path && !(t.response_path->empty() && t.kind == "http-json")) {
    auto parsed = parse_json_path(*t.response_path);
    if (!parsed.steps)
      e.push_back({"response_path",
                   "must be a JSONPath such as $.choices[0].message.content or a dotted path "
                   "such as choices.0.message.content; this one " +
                       parsed.error});
  }
  return e;
}

const std::vector<std::string>& target_sort_keys() {
  static const std::vector<std::string> keys = {"created_at", "updated_at", "name", "kind"};
  return keys;
}

}  // namespace vutf
