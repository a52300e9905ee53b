// JSON <-> the messages of registration, login and token refresh. No hash ever appears in an
// output.
#pragma once

#include <string>

#include "actors/messages.hpp"

namespace vutf::http {

result<user_register> parse_register(const std::string& body);
// {"username" (or "email"), "password"}
result<user_login> parse_login(const std::string& body);
result<token_refresh> parse_refresh(const std::string& body);
std::string token_pair_json(const token_pair& t);

}  // namespace vutf::http
