// A request to the in-process API as an HTTP client would send it, for tests that call
// http::api::handle without a socket.
#pragma once

#include <string>
#include <utility>

#include "http/api.hpp"

namespace vutf::test {

// `method` `path` from `remote_ip` with `headers`; a body (any non-empty one, and always for POST
// and PATCH) goes as JSON with its length, unless `headers` already set the type or framing.
inline http::api_request json_request(std::string method, std::string path, const std::string& body,
                                      http::header_list headers = {},
                                      std::string remote_ip = "198.51.100.20") {
  http::api_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.remote_ip = std::move(remote_ip);
  r.headers = std::move(headers);
  if (!body.empty() || r.method == "POST" || r.method == "PATCH") {
    bool typed = false, sized = false;
    for (const auto& [k, v] : r.headers) {
      typed = typed || k == "Content-Type";
      sized = sized || k == "Content-Length" || k == "Transfer-Encoding";
    }
    if (!typed) r.headers.emplace_back("Content-Type", "application/json");
    if (!sized) r.headers.emplace_back("Content-Length", std::to_string(body.size()));
  }
  r.read_body = http::body_from(body);
  return r;
}

}  // namespace vutf::test
