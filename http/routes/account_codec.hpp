// JSON <-> the caller's own account: profile, password and sessions.
#pragma once

#include <string>

#include "actors/messages.hpp"

namespace vutf::http {

// {"email", "full_name"}: anything else (roles, is_active...) is an unknown field.
result<user_update_me> parse_user_patch(const std::string& body);
result<password_change> parse_password_change(const std::string& body);
std::string session_page_json(const std::vector<session_record>& sessions,
                              const std::string& current, int64_t page, int64_t per_page);

}  // namespace vutf::http
