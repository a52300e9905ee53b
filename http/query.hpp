// The query parameters of a list route, declared once. parse_query() reads the request's
// parameters in the order given and answers 422 listing every bad value and every parameter the
// route does not declare (each as a field error named after the parameter).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/handler.hpp"

namespace vutf::http {

struct query_param {
  std::string name;
  // Stores `value`, or says what is wrong with it (the field error's message).
  std::function<std::optional<std::string>(const std::string& value)> read;
};
using query_spec = std::vector<query_param>;

query_param page_param(int64_t& page);          // "page": an integer >= 1
query_param per_page_param(int64_t& per_page);  // "per_page": an integer in 1..100
// "sort": one of `keys`, optionally prefixed by - (descending).
query_param sort_param(std::string& sort, const std::vector<std::string>& keys);
query_param search_param(std::string& q);  // "q": at most 200 characters
// One of `values`, told as "must be one of a, b, c".
query_param one_of(const char* name, std::string& out, std::vector<std::string> values);
// One of `values`, told as "must be a, b or c".
query_param either(const char* name, std::string& out, std::vector<std::string> values);
query_param flag(const char* name, std::optional<bool>& out);  // true or false
// The id of a `thing` (a UUID).
query_param id_param(const char* name, std::string& out, const char* thing);
// An RFC 3339 UTC timestamp, stored as ms since the epoch.
query_param timestamp_param(const char* name, int64_t& ms);

// nullopt when every parameter of the request is declared in `spec` and valid; else the 422.
std::optional<api_response> parse_query(const request_context& c, const query_spec& spec);

// For a list that takes nothing but `page` and `per_page`.
std::optional<api_response> paging_only(const request_context& c, int64_t& page, int64_t& per_page);

// A count of 1-9 decimal digits (no sign), as paging and Content-Length take.
bool parse_positive(const std::string& s, int64_t& out);

// 422 "The query is invalid." with `errors`.
api_response invalid_query(const request_context& c, const std::vector<field_error>& errors);

}  // namespace vutf::http
