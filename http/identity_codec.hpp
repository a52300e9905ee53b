// JSON <-> identity messages for the HTTP API. No hash ever appears in an output.
#pragma once

#include <string>

#include "actors/messages.hpp"

namespace vutf::http {

result<user_register> parse_register(const std::string& body);
// {"username" (or "email"), "password"}
result<user_login> parse_login(const std::string& body);
result<token_refresh> parse_refresh(const std::string& body);

// {"name", "scopes", "expires_in_days"}
result<api_key_create> parse_api_key_create(const std::string& body);

std::string user_json(const user& u);
// `key` is included only when given (on create and rotate).
std::string api_key_json(const api_key& k, const std::string& key = "");
std::string api_key_page_json(const std::vector<api_key>& keys, int64_t page, int64_t per_page);

// {"email", "full_name"}: anything else (roles, is_active...) is an unknown field.
result<user_update_me> parse_user_patch(const std::string& body);
result<password_change> parse_password_change(const std::string& body);
// Admin: {"email", "full_name", "is_active", "roles"}
result<user_patch> parse_user_admin_patch(const std::string& body);
std::string user_page_json(const user_page& p);
std::string session_page_json(const std::vector<session_record>& sessions,
                              const std::string& current, int64_t page, int64_t per_page);
std::string token_pair_json(const token_pair& t);

}  // namespace vutf::http
