#include "storage/model.hpp"

#include <algorithm>
#include <atomic>
#include <random>

#include "storage/error.hpp"

namespace vutf {

const char* error_code(errc e) {
  switch (e) {
    case errc::ok:
      return "OK";
    case errc::bad_request:
      return "BAD_REQUEST";
    case errc::validation_error:
      return "VALIDATION_ERROR";
    case errc::idempotency_key_reused:
      return "IDEMPOTENCY_KEY_REUSED";
    case errc::not_found:
      return "NOT_FOUND";
    case errc::method_not_allowed:
      return "METHOD_NOT_ALLOWED";
    case errc::conflict:
      return "CONFLICT";
    case errc::precondition_failed:
      return "PRECONDITION_FAILED";
    case errc::length_required:
      return "LENGTH_REQUIRED";
    case errc::payload_too_large:
      return "PAYLOAD_TOO_LARGE";
    case errc::unsupported_media_type:
      return "UNSUPPORTED_MEDIA_TYPE";
    case errc::unauthorized:
      return "UNAUTHORIZED";
    case errc::forbidden:
      return "FORBIDDEN";
    case errc::rate_limited:
      return "RATE_LIMITED";
    case errc::too_many_connections:
      return "TOO_MANY_CONNECTIONS";
    case errc::db_pool_exhausted:
      return "DB_POOL_EXHAUSTED";
    case errc::db_unavailable:
      return "DB_UNAVAILABLE";
    case errc::request_timeout:
      return "REQUEST_TIMEOUT";
    case errc::internal_error:
      return "INTERNAL_ERROR";
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

}  // namespace

bool is_http_url(const std::string& u) {
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

std::vector<field_error> validate(const target& t) {
  std::vector<field_error> e;
  size_t name_len = utf8_length(t.name);
  if (name_len < 1 || name_len > 100 || has_control(t.name))
    e.push_back({"name", "must be 1-100 characters without control characters"});
  if (t.description && utf8_length(*t.description) > 2000)
    e.push_back({"description", "must be at most 2000 characters"});
  if (t.kind != "openai-chat" && t.kind != "http-json")
    e.push_back({"kind", "must be one of openai-chat, http-json"});
  if (!is_http_url(t.endpoint_url))
    e.push_back({"endpoint_url",
                 "must be an http:// or https:// URL with a host (at most 2048 characters)"});
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

// The cache encoding: a format byte, then fields in order; strings are a 32-bit length and the
// bytes, optional strings a presence byte first, integers 8 bytes little-endian. Decoding is
// bounds-checked: a corrupt or foreign entry is a miss, never a crash.
constexpr char target_format = 'T';
constexpr char page_format = 'P';

class writer {
 public:
  void byte(char c) { out.push_back(c); }
  void integer(int64_t v) {
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
  void text(const std::string& s) {
    integer(static_cast<int64_t>(s.size()));
    out += s;
  }
  void optional_text(const std::optional<std::string>& s) {
    byte(s ? 1 : 0);
    if (s) text(*s);
  }
  std::string out;
};

class reader {
 public:
  explicit reader(const std::string& s) : s_(s) {}
  bool byte(char& c) {
    if (pos_ >= s_.size()) return false;
    c = s_[pos_++];
    return true;
  }
  bool integer(int64_t& v) {
    if (s_.size() - pos_ < 8) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
      u |= static_cast<uint64_t>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i);
    pos_ += 8;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool text(std::string& out) {
    int64_t n = 0;
    if (!integer(n) || n < 0 || static_cast<uint64_t>(n) > s_.size() - pos_) return false;
    out.assign(s_, pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool optional_text(std::optional<std::string>& out) {
    char present = 0;
    if (!byte(present)) return false;
    if (!present) {
      out.reset();
      return true;
    }
    out.emplace();
    return text(*out);
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

void write_target(writer& w, const target& t) {
  w.text(t.id);
  w.text(t.owner_id);
  w.text(t.name);
  w.optional_text(t.description);
  w.text(t.kind);
  w.text(t.endpoint_url);
  w.optional_text(t.model);
  w.text(t.headers_json);
  w.optional_text(t.request_template_json);
  w.optional_text(t.response_path);
  w.integer(t.timeout_seconds);
  w.integer(t.max_concurrency);
  w.integer(t.version);
  w.integer(t.created_at_ms);
  w.integer(t.updated_at_ms);
}

bool read_target(reader& r, target& t) {
  return r.text(t.id) && r.text(t.owner_id) && r.text(t.name) && r.optional_text(t.description) &&
         r.text(t.kind) && r.text(t.endpoint_url) && r.optional_text(t.model) &&
         r.text(t.headers_json) && r.optional_text(t.request_template_json) &&
         r.optional_text(t.response_path) && r.integer(t.timeout_seconds) &&
         r.integer(t.max_concurrency) && r.integer(t.version) && r.integer(t.created_at_ms) &&
         r.integer(t.updated_at_ms);
}

}  // namespace

std::string encode(const target& t) {
  writer w;
  w.byte(target_format);
  write_target(w, t);
  return std::move(w.out);
}

bool decode(const std::string& text, target& out) {
  reader r(text);
  char format = 0;
  return r.byte(format) && format == target_format && read_target(r, out) && r.done();
}

std::string encode(const target_page& p) {
  writer w;
  w.byte(page_format);
  w.integer(p.page);
  w.integer(p.per_page);
  w.integer(p.total);
  w.integer(static_cast<int64_t>(p.items.size()));
  for (const auto& t : p.items) write_target(w, t);
  return std::move(w.out);
}

bool decode(const std::string& text, target_page& out) {
  reader r(text);
  char format = 0;
  int64_t count = 0;
  if (!r.byte(format) || format != page_format || !r.integer(out.page) ||
      !r.integer(out.per_page) || !r.integer(out.total) || !r.integer(count) || count < 0 ||
      count > 1000)
    return false;
  out.items.assign(static_cast<size_t>(count), target{});
  for (auto& t : out.items)
    if (!read_target(r, t)) return false;
  return r.done();
}

namespace {
std::string format_uuid(uint64_t hi, uint64_t lo) {
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
           static_cast<unsigned>(lo >> 48),
           static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}
}  // namespace

std::string make_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return format_uuid(hi, lo);
}

std::string make_time_ordered_uuid(int64_t ms) {
  // 48 bits of milliseconds and 12 bits of sequence, as one counter that only moves forward.
  static std::atomic<uint64_t> last{0};
  uint64_t wanted = static_cast<uint64_t>(ms) << 12, prev = last.load(), next;
  do {
    next = std::max(prev + 1, wanted);
  } while (!last.compare_exchange_weak(prev, next));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = ((next >> 12) << 16) | 0x7000 | (next & 0x0fff);  // version 7
  uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return format_uuid(hi, lo);
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
