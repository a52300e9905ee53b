#include "http/routes/auth_codec.hpp"

#include "http/json_body.hpp"
#include "http/routes/identity_fields.hpp"

namespace vutf::http {

using nlohmann::json;

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
