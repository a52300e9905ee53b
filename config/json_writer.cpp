#include "config/json_writer.hpp"

#include "config/json_escape.hpp"
#include "config/time.hpp"

namespace vutf {

void json_writer::separate() {
  if (!first_) out_ += ',';
  first_ = false;
}

json_writer& json_writer::open(char bracket) {
  separate();
  out_ += bracket;
  first_ = true;
  return *this;
}
json_writer& json_writer::close(char bracket) {
  out_ += bracket;
  first_ = false;
  return *this;
}

json_writer& json_writer::begin_object() {
  return open('{');
}
json_writer& json_writer::end_object() {
  return close('}');
}
json_writer& json_writer::begin_array() {
  return open('[');
}
json_writer& json_writer::end_array() {
  return close(']');
}

json_writer& json_writer::key(const char* name) {
  separate();
  out_ += '"';
  out_ += name;  // keys are our own identifiers: nothing to escape
  out_ += "\":";
  first_ = true;  // the value that follows needs no comma
  return *this;
}

json_writer& json_writer::value(const std::string& s) {
  separate();
  append_json_string(out_, s);
  return *this;
}

json_writer& json_writer::value(const std::optional<std::string>& s) {
  return s ? value(*s) : null();
}

json_writer& json_writer::value(int64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_ += "null";
  return *this;
}

json_writer& json_writer::timestamp(const std::optional<int64_t>& ms) {
  return ms ? value(format_timestamp(*ms)) : null();
}

json_writer& json_writer::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

json_writer& json_writer::raw(const std::string& json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace vutf
