// Users as JSON, and the administrators' patch of one.
#pragma once

#include <string>

#include "actors/messages.hpp"
#include "http/api.hpp"

namespace vutf::http {

std::string user_json(const user& u);
std::string user_page_json(const user_page& p);
// 200 with the user and its version as ETag.
api_response user_reply(const user& u);
// Admin: {"email", "full_name", "is_active", "roles"}
result<user_patch> parse_user_admin_patch(const std::string& body);

}  // namespace vutf::http
