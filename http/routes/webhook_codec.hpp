// JSON <-> webhooks. The secret appears only on creation and rotation.
#pragma once

#include <string>

#include "actors/messages.hpp"
#include "config/address_policy.hpp"

namespace vutf::http {

// {"url", "events"}: bad_request for malformed JSON, validation_error (every bad field) else,
// including a url whose literal address `policy` refuses.
result<webhook_create> parse_webhook_create(const std::string& body, const address_policy& policy);

// {"id", "url", "events", "secret", "created_at"}: "secret" only when `with_secret`.
std::string webhook_json(const webhook& w, bool with_secret);
std::string webhook_page_json(const webhook_page& p);  // never a secret

}  // namespace vutf::http
