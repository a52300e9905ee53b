// A response kept under an Idempotency-Key for replays.
#pragma once

#include <cstdint>
#include <string>

namespace vutf {

struct stored_response {
  int64_t status = 0;  // 0: the first request is still in progress
  std::string content_type;
  std::string headers;  // "Name: value" lines
  std::string body;
  std::string request_hash;
};

}  // namespace vutf
