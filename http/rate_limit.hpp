// Rate limits: fixed one-minute windows counted in the cache, failing open when it is down.
#pragma once

#include <optional>
#include <string>

#include "http/handler.hpp"

namespace vutf::http {

// Counts the request for `who` ("user:<id>", "key:<id>", "ip:<address>") against its route's
// rate class; the 429 to answer when over the limit. Records the figures for the RateLimit-*
// headers in `c`.
std::optional<failure> count(const request_context& c, const std::string& who);

}  // namespace vutf::http
