// Raw request bytes, as a client sends them on a connection: cpp-httplib's request parser
// (Server::process_request on an in-memory stream, up to 8 pipelined requests per input) in
// front of api::handle, with the socket frontend's handler shapes (http/server.cpp): bodies read
// through the content reader up to the route's limit, parser errors answered by api::reject.
// "@TOKEN@" in the input becomes the admin's bearer token. Nothing may crash or hang, and no
// request may be answered 500, except one whose body ended before its Content-Length (the
// frontend's read_limited throws then; see docs/security.md, "Proof").
//
// cpp-httplib is Debian's shared library, not instrumented: its parser is exercised and a crash
// in it fails the run, but it gives the fuzzer no coverage and ASan no view of its memory.
#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "tests/fuzz/fuzz_service.hpp"

namespace {

using vutf::http::api_request;
using vutf::http::api_response;

// Reads the input and swallows the answers.
class memory_stream : public httplib::Stream {
 public:
  explicit memory_stream(std::string in) : in_(std::move(in)) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8000;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  std::string in_;
  size_t pos_ = 0;
};

// The request as http/server.cpp hands it to the API (bodies come through the reader).
api_request to_api(const httplib::Request& req) {
  auto no_body = [](size_t) { return std::optional<std::string>(std::string()); };
  return {req.method,
          req.path,
          {req.params.begin(), req.params.end()},
          {req.headers.begin(), req.headers.end()},
          req.remote_addr,
          no_body};
}

// Set when api::handle answered 500 to a request whose body was complete.
thread_local bool internal_error = false;

void to_httplib(const api_response& r, httplib::Response& res, bool body_cut_short = false) {
  if (r.status == 500 && !body_cut_short) internal_error = true;
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  vutf::fuzz::drain(r);
  res.set_content(r.body, r.content_type);
}

class connection : public httplib::Server {
 public:
  connection() {
    const auto& app = vutf::fuzz::app();
    auto plain = [&app](const httplib::Request& req, httplib::Response& res) {
      to_httplib(app.handle(to_api(req)), res);
    };
    auto with_body = [&app](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      api_request ar = to_api(req);
      bool cut_short = false;
      ar.read_body = [&reader, &cut_short](size_t limit) -> std::optional<std::string> {
        std::string body;
        bool over = false;
        bool ok = reader([&](const char* data, size_t n) {
          over = body.size() + n > limit;
          if (!over) body.append(data, n);
          return !over;
        });
        if (over) return std::nullopt;
        cut_short = !ok;
        if (cut_short) throw std::runtime_error("the body ended early");
        return body;
      };
      auto answer = app.handle(ar);
      to_httplib(answer, res, cut_short);
    };
    Get(".*", plain);
    Options(".*", plain);
    Post(".*", with_body);
    Put(".*", with_body);
    Patch(".*", with_body);
    Delete(".*", with_body);
    set_payload_max_length(1 << 20);
    set_error_handler(
        HandlerWithResponse([&app](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return HandlerResponse::Unhandled;
          to_httplib(app.reject(res.status, to_api(req), "rejected"), res);
          return HandlerResponse::Handled;
        }));
  }

  // Serves the requests in `strm` as one keep-alive connection would.
  bool serve(memory_stream& strm) {
    internal_error = false;
    for (int i = 0; i < 8 && strm.is_readable(); ++i) {
      bool closed = false;
      if (!process_request(strm, false, closed, [](httplib::Request&) {}) || closed) break;
    }
    return !internal_error;
  }
};

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static connection* server = new connection();  // never destroyed: see fuzz_service.hpp
  memory_stream strm(
      vutf::fuzz::with_token(std::string(reinterpret_cast<const char*>(data), size)));
  if (!server->serve(strm)) __builtin_trap();  // a 500: the service failed on client input
  return 0;
}
