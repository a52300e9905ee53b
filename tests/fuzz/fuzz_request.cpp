// Raw request bytes, as a client sends them on a connection: cpp-httplib's request parser
// (Server::process_request on an in-memory stream, up to 8 pipelined requests per input), then,
// as the socket frontend does (http/server.cpp), a pre-routing handler that hands the head's raw
// bytes and the rest of the input to http::answer_framed: our strict head parser, framing rules
// and chunked decoder, then api::handle. Parser errors are answered by api::reject. "@TOKEN@" in
// the input becomes the admin's bearer token. Nothing may crash or hang, and no request may be
// answered 500: every way a client can send a request wrong is a 4xx.
//
// cpp-httplib is Debian's shared library, not instrumented: its parser is exercised and a crash
// in it fails the run, but it gives the fuzzer no coverage and ASan no view of its memory. Our
// framing code is instrumented.
#include <httplib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "http/framing.hpp"
#include "http/from_httplib.hpp"
#include "tests/fuzz/fuzz_service.hpp"

namespace {

using vutf::http::api_response;

// Reads the input and swallows the answers. What cpp-httplib reads through read() since
// start_request() is the request head (it reads heads a byte at a time); the body is taken with
// consume(), as by the frontend's deadline_stream.
class memory_stream : public httplib::Stream {
 public:
  explicit memory_stream(std::string in) : in_(std::move(in)) {}
  void start_request() { head_.clear(); }
  std::string_view head() const { return head_; }
  bool consume(const std::function<size_t(std::string_view)>& take) {
    if (pos_ == in_.size()) return false;  // the peer closed
    pos_ += take(std::string_view(in_).substr(pos_));
    return true;
  }

  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    size_t room =
        vutf::http::max_head_bytes + 1 - std::min(head_.size(), vutf::http::max_head_bytes + 1);
    head_.append(ptr, std::min(n, room));
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
  std::string head_;
};

// Set when a request was answered 500.
bool internal_error = false;
// Set when the answer closes the connection.
bool must_close = false;

void to_httplib(const api_response& r, httplib::Response& res) {
  if (r.status == 500) internal_error = true;
  if (r.close_connection) must_close = true;
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  vutf::fuzz::drain(r);
  res.set_content(r.body, r.content_type);
}

class connection : public httplib::Server {
 public:
  connection() {
    const auto& app = vutf::fuzz::app();
    set_pre_routing_handler(HandlerWithResponse([this, &app](const httplib::Request& req,
                                                             httplib::Response& res) {
      memory_stream& strm = *stream_;
      vutf::http::byte_source body = [&strm](const auto& take) { return strm.consume(take); };
      to_httplib(vutf::http::answer_framed(app, vutf::http::from_httplib(req), strm.head(), body),
                 res);
      return HandlerResponse::Handled;
    }));
    set_payload_max_length(1 << 20);
    set_error_handler(
        HandlerWithResponse([&app](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return HandlerResponse::Unhandled;
          to_httplib(app.reject(res.status, vutf::http::from_httplib(req), "rejected"), res);
          return HandlerResponse::Handled;
        }));
  }

  // Serves the requests in `strm` as one keep-alive connection would.
  bool serve(memory_stream& strm) {
    stream_ = &strm;
    internal_error = false;
    must_close = false;
    for (int i = 0; i < 8 && strm.is_readable() && !must_close; ++i) {
      strm.start_request();
      bool closed = false;
      if (!process_request(strm, false, closed,
                           [](httplib::Request& req) { req.ranges.clear(); }) ||
          closed)
        break;
    }
    return !internal_error;
  }

 private:
  memory_stream* stream_ = nullptr;
};

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static connection* server = new connection();  // never destroyed; no input follows the stop
  memory_stream strm(
      vutf::fuzz::with_token(std::string(reinterpret_cast<const char*>(data), size)));
  if (!server->serve(strm)) __builtin_trap();  // a 500: the service failed on client input
  return 0;
}
