#include "storage/model.hpp"

#include <nlohmann/json.hpp>
#include <random>

#include "storage/error.hpp"

namespace vutf {

const char* error_code(errc e) {
  switch (e) {
    case errc::ok: return "OK";
    case errc::bad_request: return "BAD_REQUEST";
    case errc::validation_error: return "VALIDATION_ERROR";
    case errc::not_found: return "NOT_FOUND";
    case errc::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case errc::conflict: return "CONFLICT";
    case errc::precondition_failed: return "PRECONDITION_FAILED";
    case errc::length_required: return "LENGTH_REQUIRED";
    case errc::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case errc::unsupported_media_type: return "UNSUPPORTED_MEDIA_TYPE";
    case errc::unauthorized: return "UNAUTHORIZED";
    case errc::forbidden: return "FORBIDDEN";
    case errc::rate_limited: return "RATE_LIMITED";
    case errc::too_many_connections: return "TOO_MANY_CONNECTIONS";
    case errc::db_pool_exhausted: return "DB_POOL_EXHAUSTED";
    case errc::db_unavailable: return "DB_UNAVAILABLE";
    case errc::request_timeout: return "REQUEST_TIMEOUT";
    case errc::internal_error: return "INTERNAL_ERROR";
  }
  return "INTERNAL_ERROR";
}

void apply_patch(target& t, const target_patch& p) {
  if (p.name) t.name = *p.name;
  if (p.description) t.description = *p.description;
  if (p.kind) t.kind = *p.kind;
  if (p.endpoint_url) t.endpoint_url = *p.endpoint_url;
  if (p.model) t.model = *p.model;
  if (p.headers_json) t.headers_json = *p.headers_json;
  if (p.request_template_json) t.request_template_json = *p.request_template_json;
  if (p.response_path) t.response_path = *p.response_path;
  if (p.timeout_seconds) t.timeout_seconds = *p.timeout_seconds;
  if (p.max_concurrency) t.max_concurrency = *p.max_concurrency;
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

bool valid_url(const std::string& u) {
  size_t host_start;
  if (u.rfind("http://", 0) == 0) {
    host_start = 7;
  } else if (u.rfind("https://", 0) == 0) {
    host_start = 8;
  } else {
    return false;
  }
  if (u.size() > 2048 || has_control(u) || u.find(' ') != std::string::npos) return false;
  size_t host_end = u.find_first_of("/?#", host_start);
  std::string authority = u.substr(host_start, host_end - host_start);
  return !authority.empty() && authority.front() != ':' && authority.find('@') == std::string::npos;
}

}  // namespace

std::vector<field_error> validate(const target& t) {
  std::vector<field_error> e;
  size_t name_len = utf8_length(t.name);
  if (name_len < 1 || name_len > 100 || has_control(t.name))
    e.push_back({"name", "must be 1-100 characters without control characters"});
  if (t.description && utf8_length(*t.description) > 2000)
    e.push_back({"description", "must be at most 2000 characters"});
  if (t.kind != "openai-chat" && t.kind != "http-json")
    e.push_back({"kind", "must be one of openai-chat, http-json"});
  if (!valid_url(t.endpoint_url))
    e.push_back({"endpoint_url", "must be an http:// or https:// URL with a host (at most 2048 characters)"});
  if (t.model && (t.model->empty() || utf8_length(*t.model) > 200 || has_control(*t.model)))
    e.push_back({"model", "must be 1-200 characters"});
  if (t.timeout_seconds < 1 || t.timeout_seconds > 300)
    e.push_back({"timeout_seconds", "must be an integer in 1..300"});
  if (t.max_concurrency < 1 || t.max_concurrency > 64)
    e.push_back({"max_concurrency", "must be an integer in 1..64"});
  if (t.kind == "http-json") {
    if (!t.request_template_json)
      e.push_back({"request_template", "is required for kind http-json"});
    else if (t.request_template_json->find("{{prompt}}") == std::string::npos)
      e.push_back({"request_template", "must contain the {{prompt}} placeholder"});
    if (!t.response_path || t.response_path->empty())
      e.push_back({"response_path", "is required for kind http-json"});
  }
  if (t.response_path) {
    const std::string& p = *t.response_path;
    if (p.empty() || p.size() > 200 || p.front() == '.' || p.back() == '.' ||
        p.find("..") != std::string::npos || has_control(p))
      e.push_back({"response_path", "must be a dotted path such as choices.0.message.content"});
  }
  return e;
}

const std::vector<std::string>& target_sort_keys() {
  static const std::vector<std::string> keys = {"created_at", "updated_at", "name", "kind"};
  return keys;
}

namespace {

using nlohmann::json;

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
std::optional<std::string> opt(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::string>();
}

json to_json(const target& t) {
  return json::array({t.id, t.owner_id, t.name, opt(t.description), t.kind, t.endpoint_url,
                      opt(t.model), t.headers_json, opt(t.request_template_json),
                      opt(t.response_path), t.timeout_seconds, t.max_concurrency, t.version,
                      t.created_at_ms, t.updated_at_ms});
}

target from_json(const json& a) {
  target t;
  t.id = a.at(0).get<std::string>();
  t.owner_id = a.at(1).get<std::string>();
  t.name = a.at(2).get<std::string>();
  t.description = opt(a.at(3));
  t.kind = a.at(4).get<std::string>();
  t.endpoint_url = a.at(5).get<std::string>();
  t.model = opt(a.at(6));
  t.headers_json = a.at(7).get<std::string>();
  t.request_template_json = opt(a.at(8));
  t.response_path = opt(a.at(9));
  t.timeout_seconds = a.at(10).get<int64_t>();
  t.max_concurrency = a.at(11).get<int64_t>();
  t.version = a.at(12).get<int64_t>();
  t.created_at_ms = a.at(13).get<int64_t>();
  t.updated_at_ms = a.at(14).get<int64_t>();
  return t;
}

}  // namespace

std::string encode(const target& t) { return to_json(t).dump(); }

bool decode(const std::string& text, target& out) {
  try {
    out = from_json(json::parse(text));
    return true;
  } catch (const std::exception&) {
    return false;  // a corrupt or foreign cache entry is a miss
  }
}

std::string encode(const target_page& p) {
  json items = json::array();
  for (const auto& t : p.items) items.push_back(to_json(t));
  return json::array({p.page, p.per_page, p.total, items}).dump();
}

bool decode(const std::string& text, target_page& out) {
  try {
    json a = json::parse(text);
    out.page = a.at(0).get<int64_t>();
    out.per_page = a.at(1).get<int64_t>();
    out.total = a.at(2).get<int64_t>();
    out.items.clear();
    for (const auto& t : a.at(3)) out.items.push_back(from_json(t));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string make_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
           static_cast<unsigned>(lo >> 48),
           static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace vutf
