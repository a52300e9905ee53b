// The socket side of the API, on cpp-httplib: one thread per connection (MAX_CONNECTIONS of
// them), admission control, KEEPALIVE, TCP_NODELAY, a real listen backlog and a deadline on
// receiving each request, so clients trickling bytes cannot hold threads forever.
#pragma once

#include <chrono>
#include <memory>

#include "config/settings.hpp"
#include "http/api.hpp"

namespace vutf::http {

struct server_options {
  // A request's head (request line and headers) must arrive within this time of its first byte.
  std::chrono::milliseconds header_timeout{10000};
  // How long a connection over MAX_CONNECTIONS waits for a free slot before 503.
  std::chrono::milliseconds admission_wait{1000};
  int backlog = 4096;
};

class server {
 public:
  server(const api& a, const settings& s, server_options o = {});
  ~server();
  // Binds SERVER_HOST:SERVER_PORT (0 = any free port) and returns the port; throws on failure.
  int bind();
  // Serves until stop(); returns once every in-flight request has been answered.
  void serve();
  // Stops accepting; idle keep-alive connections close, requests in flight finish.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace vutf::http
