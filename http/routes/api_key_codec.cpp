#include "http/routes/api_key_codec.hpp"

#include <algorithm>

#include "config/time.hpp"
#include "http/json_body.hpp"
#include "http/routes/identity_fields.hpp"

namespace vutf::http {

using nlohmann::json;

namespace {

void write_key(json_writer& w, const api_key& k, const std::string& key) {
  w.begin_object();
  w.key("id").value(k.id);
  w.key("name").value(k.name);
  w.key("prefix").value(k.prefix);
  if (!key.empty()) w.key("key").value(key);
  w.key("scopes").begin_array();
  for (const auto& s : k.scopes) w.value(s);
  w.end_array();
  w.key("created_at").value(format_timestamp(k.created_at_ms));
  w.key("expires_at").timestamp(k.expires_at_ms);
  w.key("last_used_at").timestamp(k.last_used_at_ms);
  w.end_object();
}

}  // namespace

result<api_key_create> parse_api_key_create(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<api_key_create>{bad, {}};
  std::vector<field_error> errors;
  api_key_create k;
  for (const auto& [key, value] : j.items()) {
    if (key == "name") {
      if (value.is_string()) k.name = value.get<std::string>();
      size_t length = k.name.size();
      bool control = std::any_of(k.name.begin(), k.name.end(),
                                 [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; });
      if (!value.is_string() || length < 1 || length > 100 || control)
        errors.push_back({"name", "must be 1-100 characters without control characters"});
    } else if (key == "scopes") {
      bool ok = value.is_array() && !value.empty() && value.size() <= 2;
      for (const auto& s : value) {
        ok = ok && s.is_string() && (s == "read" || s == "write");
        if (ok &&
            std::find(k.scopes.begin(), k.scopes.end(), s.get<std::string>()) == k.scopes.end())
          k.scopes.push_back(s.get<std::string>());
      }
      if (!ok) errors.push_back({"scopes", "must be a non-empty array of \"read\" and \"write\""});
    } else if (key == "expires_in_days") {
      if (value.is_number_integer() && value.get<int64_t>() >= 1 && value.get<int64_t>() <= 365) {
        k.expires_in_days = value.get<int64_t>();
      } else if (!value.is_null()) {
        errors.push_back({"expires_in_days", "must be an integer in 1..365"});
      }
    } else {
      errors.push_back({key, "unknown field"});
    }
  }
  for (const char* required : {"name", "scopes"})
    if (!j.contains(required)) errors.push_back({required, "is required"});
  if (!errors.empty()) return invalid<api_key_create>(std::move(errors));
  return result<api_key_create>{{}, std::move(k)};
}

std::string api_key_json(const api_key& k, const std::string& key) {
  json_writer w;
  write_key(w, k, key);
  return w.take();
}

std::string api_key_page_json(const std::vector<api_key>& keys, int64_t page, int64_t per_page) {
  return page_json(keys, page, per_page,
                   [](json_writer& w, const api_key& k) { write_key(w, k, ""); });
}

}  // namespace vutf::http
