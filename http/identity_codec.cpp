#include "http/identity_codec.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "http/json_body.hpp"
#include "http/json_writer.hpp"

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
  if (u.last_login_at_ms) {
    w.key("last_login_at").value(format_timestamp(*u.last_login_at_ms));
  } else {
    w.key("last_login_at").null();
  }
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
