#include "http/identity_codec.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "http/json_body.hpp"
#include "http/json_writer.hpp"
#include "config/time.hpp"

namespace vutf::http {
namespace {

using nlohmann::json;

// The string fields of a body that allows exactly `known`: unknown fields and non-strings are
// reported in `errors`; `required` ones must be present.
std::map<std::string, std::optional<std::string>> string_fields(
    const json& j, const std::set<std::string>& known, const std::set<std::string>& required,
    const std::set<std::string>& nullable, std::vector<field_error>& errors) {
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      errors.push_back({key, "unknown field"});
    } else if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_null() && nullable.count(key)) {
      out[key] = std::nullopt;
    } else {
      errors.push_back(
          {key, nullable.count(key) ? "must be a string or null" : "must be a string"});
    }
  }
  for (const auto& r : required)
    if (!j.contains(r)) errors.push_back({r, "is required"});
  return out;
}

template <class T>
result<T> invalid(std::vector<field_error> errors) {
  return result<T>::fail(errc::validation_error, "The request is invalid.", std::move(errors));
}

}  // namespace

result<user_register> parse_register(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<user_register>{bad, {}};
  std::vector<field_error> errors;
  auto f = string_fields(j, {"username", "email", "password", "full_name"},
                         {"username", "email", "password"}, {"full_name"}, errors);
  user_register r;
  r.username = f["username"].value_or("");
  r.email = f["email"].value_or("");
  r.password = f["password"].value_or("");
  if (f.count("full_name")) r.full_name = f["full_name"];
  if (r.full_name && r.full_name->size() > 200)
    errors.push_back({"full_name", "must be at most 200 characters"});
  for (auto& e : validate_registration(r.username, r.email, r.password)) {
    bool reported = false;
    for (const auto& x : errors) reported = reported || x.field == e.field;
    if (!reported) errors.push_back(std::move(e));
  }
  if (!errors.empty()) return invalid<user_register>(std::move(errors));
  return result<user_register>{{}, std::move(r)};
}

result<user_login> parse_login(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<user_login>{bad, {}};
  std::vector<field_error> errors;
  auto f = string_fields(j, {"username", "email", "password"}, {"password"}, {}, errors);
  user_login l;
  l.login = f.count("username") ? f["username"].value_or("") : f["email"].value_or("");
  l.password = f["password"].value_or("");
  if (!j.contains("username") && !j.contains("email"))
    errors.push_back({"username", "is required (or email)"});
  if (l.login.size() > 254) errors.push_back({"username", "must be at most 254 characters"});
  if (l.password.size() > 128) errors.push_back({"password", "must be at most 128 characters"});
  if (!errors.empty()) return invalid<user_login>(std::move(errors));
  return result<user_login>{{}, std::move(l)};
}

result<token_refresh> parse_refresh(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<token_refresh>{bad, {}};
  std::vector<field_error> errors;
  auto f = string_fields(j, {"refresh_token"}, {"refresh_token"}, {}, errors);
  if (!errors.empty()) return invalid<token_refresh>(std::move(errors));
  token_refresh t;
  t.refresh_token = f["refresh_token"].value_or("");
  return result<token_refresh>{{}, std::move(t)};
}

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

std::string api_key_json(const api_key& k, const std::string& key) {
  json_writer w;
  write_key(w, k, key);
  return w.take();
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

std::string api_key_page_json(const std::vector<api_key>& keys, int64_t page, int64_t per_page) {
  return page_json(keys, page, per_page,
                   [](json_writer& w, const api_key& k) { write_key(w, k, ""); });
}

std::string session_page_json(const std::vector<session_record>& sessions,
                              const std::string& current, int64_t page, int64_t per_page) {
  return page_json(sessions, page, per_page, [&](json_writer& w, const session_record& r) {
    w.begin_object();
    w.key("id").value(r.id);
    w.key("created_at").value(format_timestamp(r.created_at_ms));
    w.key("last_seen_at").value(format_timestamp(r.last_seen_at_ms));
    w.key("ip").value(r.ip);
    w.key("user_agent").value(r.user_agent);
    w.key("expires_at").value(format_timestamp(r.expires_at_ms));
    w.key("current").raw(r.id == current ? "true" : "false");
    w.end_object();
  });
}

result<user_update_me> parse_user_patch(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<user_update_me>{bad, {}};
  std::vector<field_error> errors;
  auto f = string_fields(j, {"email", "full_name"}, {}, {"full_name"}, errors);
  user_update_me u;
  if (f.count("email")) {
    u.email = f["email"].value_or("");
    if (auto e = check_email(*u.email)) errors.push_back(*e);
  }
  if (f.count("full_name")) {
    u.full_name = f["full_name"];
    if (f["full_name"] && f["full_name"]->size() > 200)
      errors.push_back({"full_name", "must be at most 200 characters"});
  }
  if (!errors.empty()) return invalid<user_update_me>(std::move(errors));
  return result<user_update_me>{{}, std::move(u)};
}

result<user_patch> parse_user_admin_patch(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<user_patch>{bad, {}};
  std::vector<field_error> errors;
  user_patch u;
  json strings = json::object();
  for (const auto& [key, value] : j.items()) {
    if (key == "is_active") {
      if (value.is_boolean())
        u.is_active = value.get<bool>();
      else
        errors.push_back({key, "must be true or false"});
    } else if (key == "roles") {
      bool ok = value.is_array() && !value.empty();
      std::vector<std::string> roles;
      for (const auto& r : value) {
        ok = ok && r.is_string() && (r == "user" || r == "admin");
        if (ok && std::find(roles.begin(), roles.end(), r.get<std::string>()) == roles.end())
          roles.push_back(r.get<std::string>());
      }
      if (ok)
        u.roles = roles;
      else
        errors.push_back({key, "must be a non-empty array of \"user\" and \"admin\""});
    } else {
      strings[key] = value;  // email, full_name or unknown: checked as for PATCH /users/me
    }
  }
  auto profile = parse_user_patch(strings.dump());
  if (!profile.ok())
    errors.insert(errors.end(), profile.error->errors.begin(), profile.error->errors.end());
  if (!errors.empty()) return invalid<user_patch>(std::move(errors));
  u.email = profile.value.email;
  u.full_name = profile.value.full_name;
  return result<user_patch>{{}, std::move(u)};
}

std::string user_page_json(const user_page& p) {
  json_writer w;
  w.begin_object().key("items").begin_array();
  for (const auto& u : p.items) w.raw(user_json(u));
  w.end_array();
  write_page_fields(w, p.page, p.per_page, p.total);
  w.end_object();
  return w.take();
}

result<password_change> parse_password_change(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<password_change>{bad, {}};
  std::vector<field_error> errors;
  auto f = string_fields(j, {"current_password", "new_password"},
                         {"current_password", "new_password"}, {}, errors);
  if (!errors.empty()) return invalid<password_change>(std::move(errors));
  password_change c;
  c.current_password = f["current_password"].value_or("");
  c.new_password = f["new_password"].value_or("");
  return result<password_change>{{}, std::move(c)};
}

std::string user_json(const user& u) {
  json_writer w;
  w.begin_object();
  w.key("id").value(u.id);
  w.key("username").value(u.username);
  w.key("email").value(u.email);
  w.key("full_name").value(u.full_name);
  w.key("is_active").raw(u.is_active ? "true" : "false");
  w.key("roles").begin_array();
  for (const auto& r : u.roles) w.value(r);
  w.end_array();
  w.key("created_at").value(format_timestamp(u.created_at_ms));
  w.key("updated_at").value(format_timestamp(u.updated_at_ms));
  w.key("last_login_at").timestamp(u.last_login_at_ms);
  w.key("version").value(u.version);
  w.end_object();
  return w.take();
}

std::string token_pair_json(const token_pair& t) {
  json_writer w;
  w.begin_object();
  w.key("access_token").value(t.access_token);
  w.key("refresh_token").value(t.refresh_token);
  w.key("token_type").value(std::string("bearer"));
  w.key("expires_in").value(t.expires_in);
  w.end_object();
  return w.take();
}

}  // namespace vutf::http
