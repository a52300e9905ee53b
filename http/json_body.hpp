// Parsing request bodies under the API's conventions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "domain/error.hpp"

namespace vutf::http {

// Nesting deeper than this is refused before parsing, so no body can exhaust the stack.
constexpr int max_json_depth = 32;

// Parses `body` as one JSON object: bad_request when it is not JSON (or nests too deep),
// validation_error when it is JSON but not an object. `keep` (nlohmann's parser callback) may
// drop values as they are parsed, so a large body need not become a tree as large.
std::optional<failure> parse_json_object(const std::string& body, nlohmann::json& out,
                                         const nlohmann::json::parser_callback_t& keep = nullptr);

}  // namespace vutf::http
