// Idempotency-Key: the first response to a POST is kept for 24 h and replayed to the same
// caller; another body under the same key is refused.
#pragma once

#include <string>

#include "http/routes/routes.hpp"

namespace vutf::http {

// Runs `fn` under the Idempotency-Key `key`.
api_response idempotent(const request_context& c, const std::string& key, handler fn);

}  // namespace vutf::http
