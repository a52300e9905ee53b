// Shared by the identity codecs: bodies of string fields, their 422, and pages of lists that
// are whole in memory.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "http/codec_common.hpp"

namespace vutf::http {

// The string fields of a body that allows exactly `known`: unknown fields and non-strings are
// reported in `errors`; `required` ones must be present.
std::map<std::string, std::optional<std::string>> string_fields(
    const nlohmann::json& j, const std::set<std::string>& known,
    const std::set<std::string>& required, const std::set<std::string>& nullable,
    std::vector<field_error>& errors);

template <class T>
result<T> invalid(std::vector<field_error> errors) {
  return result<T>::fail(errc::validation_error, "The request is invalid.", std::move(errors));
}

// A page of `items` (already all in memory) in the API's list shape.
template <class T, class Write>
std::string page_json(const std::vector<T>& items, int64_t page, int64_t per_page, Write write) {
  json_writer w;
  w.begin_object().key("items").begin_array();
  size_t from = static_cast<size_t>((page - 1) * per_page);
  for (size_t i = from; i < items.size() && i < from + static_cast<size_t>(per_page); ++i)
    write(w, items[i]);
  w.end_array();
  write_page_fields(w, page, per_page, static_cast<int64_t>(items.size()));
  w.end_object();
  return w.take();
}

}  // namespace vutf::http
