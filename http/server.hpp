// The socket side of the API, on cpp-httplib: a poller thread holds every idle connection and
// every request head still arriving (http/poller.hpp); worker threads, at most
// MAX_ACTIVE_REQUESTS, serve connections whose head is complete. Admission control
// (MAX_CONNECTIONS), KEEPALIVE, TCP_NODELAY, a real listen backlog and a deadline on each request
// head keep clients that trickle bytes from holding anything but a buffer.
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
