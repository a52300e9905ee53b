// The in-process API the HTTP fuzz targets send requests to: SQLite in memory, the in-process
// cache, rate limits off (each input is judged on its own, not on how many came before) and
// the ADMIN_* account, whose access token replaces "@TOKEN@" in an input so that the fuzzer
// reaches past authentication into every route. Built once per process, on the first input, and
// stopped when that thread exits the process (fuzz_service.cpp). scripts/fuzz.sh runs these targets
// in a network namespace of their own: nothing an input stores can make the service call out.
#pragma once

#include <string>

#include "http/api.hpp"

namespace vutf::fuzz {

const http::api& app();

// `input` with every "@TOKEN@" replaced by the admin's bearer token.
std::string with_token(std::string input);

// Reads a streamed response to its end (at most `limit` chunks), as a client would.
void drain(const http::api_response& r, int limit = 64);

}  // namespace vutf::fuzz
