// A minimal streaming JSON writer for the hot response paths: one string, no tree, no
// per-field allocation. Strings are escaped per RFC 8259; invalid UTF-8 becomes U+FFFD.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vutf::http {

class json_writer {
 public:
  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(const char* name);
  json_writer& value(const std::string& s);
  json_writer& value(const std::optional<std::string>& s);  // null when empty
  json_writer& value(int64_t n);
  json_writer& null();
  json_writer& boolean(bool b);
  // RFC 3339 UTC with milliseconds; null when absent.
  json_writer& timestamp(const std::optional<int64_t>& ms);
  json_writer& raw(const std::string& json);  // already valid JSON text
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  bool first_ = true;  // no value yet at this nesting level
};

// One CSV field (RFC 4180 quoting); a leading = + - @ gets a ' so spreadsheets never run it.
std::string csv_field(const std::string& v);

// The list fields every page carries: "page", "per_page", "total", "pages".
void write_page_fields(json_writer& w, int64_t page, int64_t per_page, int64_t total);

}  // namespace vutf::http
