#include "http/routes/user_codec.hpp"

#include <algorithm>

#include "config/time.hpp"
#include "http/handler.hpp"
#include "http/json_body.hpp"
#include "http/routes/account_codec.hpp"
#include "http/routes/identity_fields.hpp"

namespace vutf::http {

using nlohmann::json;

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

std::string user_page_json(const user_page& p) {
  json_writer w;
  w.begin_object().key("items").begin_array();
  for (const auto& u : p.items) w.raw(user_json(u));
  w.end_array();
  write_page_fields(w, p.page, p.per_page, p.total);
  w.end_object();
  return w.take();
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

api_response user_reply(const user& u) {
  return with_etag(json_response(200, user_json(u)), u.version);
}

}  // namespace vutf::http
