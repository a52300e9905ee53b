// JSON <-> target for the HTTP API: type checks, unknown fields, required fields. Domain rules
// (lengths, ranges, URLs) come from validate() in domain/target.hpp.
#pragma once

#include <string>

#include "actors/messages.hpp"
#include "config/address_policy.hpp"

namespace vutf::http {

// bad_request for malformed JSON, validation_error (every bad field) for the rest, including an
// endpoint_url whose literal address `policy` refuses and headers a target may not set.
result<target> parse_target_create(const std::string& body, const address_policy& policy);
result<target_patch> parse_target_patch(const std::string& body, const address_policy& policy);

// The public representation: `headers` is write-only and never included.
std::string target_json(const target& t);
std::string target_page_json(const target_page& p);

}  // namespace vutf::http
