// JSON <-> API keys. The key itself appears only on creation and rotation.
#pragma once

#include <string>

#include "actors/messages.hpp"

namespace vutf::http {

// {"name", "scopes", "expires_in_days"}
result<api_key_create> parse_api_key_create(const std::string& body);
// `key` is included only when given (on create and rotate).
std::string api_key_json(const api_key& k, const std::string& key = "");
std::string api_key_page_json(const std::vector<api_key>& keys, int64_t page, int64_t per_page);

}  // namespace vutf::http
