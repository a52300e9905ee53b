// The API's view of a request cpp-httplib parsed (headers as it decoded them; the frontend
// replaces them with the raw ones once the head is checked, http/framing.hpp). Shared by the
// socket frontend and the request fuzzer, which must hand the API exactly what the server does.
#pragma once

#include <httplib.h>

#include "http/api.hpp"

namespace vutf::http {

inline api_request from_httplib(const httplib::Request& req) {
  api_request out;
  out.method = req.method;
  out.path = req.path;
  out.remote_ip = req.remote_addr;
  out.query.assign(req.params.begin(), req.params.end());
  out.headers.assign(req.headers.begin(), req.headers.end());
  return out;
}

}  // namespace vutf::http
