// Query strings and paging on every GET route of the API: the first byte of the input picks the
// route (path placeholders filled with a fixed UUID), the rest is the query string, decoded by
// cpp-httplib as the server does and answered by api::handle as the admin. Any query gets 200,
// 404 or its 422 (problem+json), never a crash, a hang or a 500.
#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_service.hpp"

namespace {

std::vector<std::string> get_routes() {
  std::vector<std::string> out;
  for (const auto& [method, pattern] : vutf::http::api::endpoints()) {
    if (method != "GET") continue;
    std::string path;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '{') {
        path += pattern[i];
        continue;
      }
      path += "00000000-0000-4000-8000-000000000000";
      i = pattern.find('}', i);
    }
    out.push_back(path);
  }
  return out;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> routes = get_routes();
  if (size == 0) return 0;
  vutf::http::api_request req;
  req.method = "GET";
  req.path = routes[data[0] % routes.size()];
  req.remote_ip = "127.0.0.1";
  httplib::Params params;
  httplib::detail::parse_query_text(
      vutf::fuzz::with_token(std::string(reinterpret_cast<const char*>(data + 1), size - 1)),
      params);
  req.query.assign(params.begin(), params.end());
  req.headers = {{"Authorization", vutf::fuzz::with_token("Bearer @TOKEN@")}};
  req.read_body = vutf::http::body_from("");
  auto res = vutf::fuzz::app().handle(req);
  if (res.status == 500) __builtin_trap();  // a bad query is the client's error, never ours
  vutf::fuzz::drain(res);
  return 0;
}
