#include "http/routes/account_codec.hpp"

#include "config/time.hpp"
#include "http/json_body.hpp"
#include "http/routes/identity_fields.hpp"

namespace vutf::http {

using nlohmann::json;

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

result<password_change> parse_password_change(const std::string& body) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<password_change>{bad, {}};
  std::vector<field_error> errors;
  password_change c;
  if (auto keep = j.find("keep_api_keys"); keep != j.end()) {
    if (keep->is_boolean()) {
      c.keep_api_keys = keep->get<bool>();
    } else {
      errors.push_back({"keep_api_keys", "must be true or false"});
    }
    j.erase(keep);  // the rest are string fields
  }
  auto f = string_fields(j, {"current_password", "new_password"},
                         {"current_password", "new_password"}, {}, errors);
  if (!errors.empty()) return invalid<password_change>(std::move(errors));
  c.current_password = f["current_password"].value_or("");
  c.new_password = f["new_password"].value_or("");
  return result<password_change>{{}, std::move(c)};
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

}  // namespace vutf::http
