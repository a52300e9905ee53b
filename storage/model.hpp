// Domain records as the storage layer reads and writes them. No HTTP, no SQL here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/time.hpp"
#include "storage/error.hpp"

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
  int64_t timeout_seconds = 30;
  int64_t max_concurrency = 4;
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
  std::optional<int64_t> timeout_seconds;
  std::optional<int64_t> max_concurrency;
};

// Applies `p` to `t` (fields only; version and timestamps are the store's business).
void apply_patch(target& t, const target_patch& p);

struct target_query {
  std::string owner_id;  // the owner whose targets to list; "*" = every owner (admins)
  std::string q;         // case-insensitive substring of name or description
  std::string kind;
  std::string sort = "-created_at";  // a sort key from target_sort_keys, optional '-' prefix
  int64_t page = 1;
  int64_t per_page = 20;
};

// Every field rule a target breaks (empty when valid). The one place target rules live: create
// and patch both check the complete record.
std::vector<field_error> validate(const target& t);

// Sortable fields of targets.
const std::vector<std::string>& target_sort_keys();

template <class T>
struct page_of {
  std::vector<T> items;
  int64_t page = 1;
  int64_t per_page = 20;
  int64_t total = 0;
};

// One page of a listing: the total from `count`, and the items from `list` unless the page lies
// past the end (so such a page costs no second query).
template <class T, class Count, class List>
page_of<T> read_page(int64_t page, int64_t per_page, Count count, List list) {
  page_of<T> out;
  out.page = page;
  out.per_page = per_page;
  out.total = count();
  if ((page - 1) * per_page < out.total) out.items = list();
  return out;
}

using target_page = page_of<target>;

// Compact encodings for the cache (not the public representation).
std::string encode(const target& t);
bool decode(const std::string& text, target& out);
std::string encode(const target_page& p);
bool decode(const std::string& text, target_page& out);

// An http:// or https:// URL with a host and no credentials, at most 2048 characters.
bool is_http_url(const std::string& u);

// A random (version 4) UUID, lowercase and hyphenated.
std::string make_uuid();
bool is_uuid(const std::string& s);
// A time-ordered (version 7) UUID for a record made at `ms`: within this process, a later call
// gets a greater id even in the same millisecond, so (time, id) lists records in creation order.
std::string make_time_ordered_uuid(int64_t ms);

}  // namespace vutf
