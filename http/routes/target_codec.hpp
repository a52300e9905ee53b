// JSON <-> target for the HTTP API: type checks, unknown fields, required fields. Domain rules
// (lengths, ranges, URLs) come from validate() in storage/model.hpp.
#pragma once

#include <string>

#include "actors/messages.hpp"

namespace vutf::http {

// bad_request for malformed JSON, validation_error (every bad field) for the rest.
result<target> parse_target_create(const std::string& body);
result<target_patch> parse_target_patch(const std::string& body);

// The public representation: `headers` is write-only and never included.
std::string target_json(const target& t);
std::string target_page_json(const target_page& p);

}  // namespace vutf::http
