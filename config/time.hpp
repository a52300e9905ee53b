// Wall-clock helpers shared by logging and storage.
#pragma once

#include <cstdint>
#include <string>

namespace vutf {

// Milliseconds since the Unix epoch.
int64_t now_ms();

// RFC 3339 UTC with milliseconds and Z, e.g. 2026-01-02T03:04:05.006Z.
std::string format_timestamp(int64_t ms);

}  // namespace vutf
