// What the resource codecs share: the API's list shape and CSV quoting.
#pragma once

#include <cstdint>
#include <string>

#include "config/json_writer.hpp"
#include "domain/error.hpp"
#include "domain/page.hpp"

namespace vutf::http {

// Adds each of `more` whose field has no error in `errors` yet: a body's type problems come
// first, then the domain rules, one error per field, and every bad field is named.
void add_unreported(std::vector<field_error> more, std::vector<field_error>& errors);

// One CSV field (RFC 4180 quoting); a leading = + - @ gets a ' so spreadsheets never run it.
std::string csv_field(const std::string& v);

// The list fields every page carries: "page", "per_page", "total", "pages".
void write_page_fields(json_writer& w, int64_t page, int64_t per_page, int64_t total);

// A page read from storage in the API's list shape: "items", then the page fields.
template <class T, class Write>
std::string page_json(const page_of<T>& p, Write write) {
  json_writer w;
  w.begin_object().key("items").begin_array();
  for (const auto& item : p.items) write(w, item);
  w.end_array();
  write_page_fields(w, p.page, p.per_page, p.total);
  w.end_object();
  return w.take();
}

}  // namespace vutf::http
