// A minimal streaming JSON writer for the hot response paths: one string, no tree, no
// per-field allocation. Strings are escaped per RFC 8259; invalid UTF-8 becomes U+FFFD.
// It sits in the base library so the API and the webhooks write one representation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vutf {

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
  json_writer& open(char bracket);   // '{' or '['
  json_writer& close(char bracket);  // '}' or ']'
  std::string out_;
  bool first_ = true;  // no value yet at this nesting level
};

}  // namespace vutf
