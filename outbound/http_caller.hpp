// The transport of every outbound call (targets, judges, webhooks): one blocking HTTP POST with
// one total deadline, made from the pieces of the one URL parser, to an address checked against
// the outbound policy after resolution (and pinned, so DNS cannot rebind between the check and the
// connect), directly or through the egress proxy. It runs on the gateway's detached caller
// threads, never on the scheduler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/egress.hpp"

namespace vutf {

struct outbound_call {
  std::string url;  // http:// or https://, with path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                  // JSON
  std::chrono::seconds timeout{30};  // the call's total deadline, however slowly bytes arrive
};

// At most this much of a reply is read (the call fails past it); reply readers hold to it too.
constexpr size_t max_reply_bytes = 1 << 20;

// The prefix of the error of a call refused because its host's address is refused by
// OUTBOUND_BLOCK_PRIVATE.
constexpr const char* outbound_blocked = "OUTBOUND_BLOCKED";

struct outbound_reply {
  int status = 0;     // the HTTP status; 0 when no response came
  std::string body;   // at most 1 MiB is read
  std::string error;  // what went wrong: transport failure, open circuit ("" when answered)
  int64_t retry_after_s = -1;  // Retry-After in seconds, when the target sent one
  double seconds = 0;          // time spent on the call
  bool circuit_open = false;   // refused without calling: the circuit is open
  // Never sent: the URL cannot be called or its address is refused ("OUTBOUND_BLOCKED: ...").
  // Retrying cannot help, and it says nothing about the endpoint's health.
  bool refused = false;

  bool answered_2xx() const { return status >= 200 && status < 300; }
  // Worth trying again after a pause: no answer (timeout, refused), 429 or a 5xx.
  bool retryable() const {
    return !circuit_open && !refused && (status == 0 || status == 429 || status >= 500);
  }
  // Counts against the circuit: the endpoint is down or broken (429 only asks us to slow down).
  bool breaker_failure() const { return !refused && (status == 0 || status >= 500); }
};

// A kept-alive connection idle longer than this is closed rather than reused: a server's own idle
// timeout (2-5 s is common, 1 s in some) may close it just as the next call goes out, and that
// call would fail although the endpoint is up (and count against its circuit). Calls in a scan
// follow each other closely and keep their connection.
constexpr std::chrono::milliseconds kept_idle_limit{500};

// Blocking HTTP calls, keeping one keep-alive connection per origin and address it talks to
// (while it is used at least every `kept_idle`). Not thread-safe: one per worker thread. Never
// throws.
class http_caller {
 public:
  explicit http_caller(egress e, std::chrono::milliseconds kept_idle = kept_idle_limit);
  ~http_caller();
  http_caller(const http_caller&) = delete;
  http_caller& operator=(const http_caller&) = delete;

  outbound_reply send(const outbound_call& call);

 private:
  struct client_slot;
  egress egress_;
  std::chrono::milliseconds kept_idle_;
  std::map<std::string, std::unique_ptr<client_slot>> clients_;  // by origin and address
};

// "scheme://host[:port]" of a URL ("" when it does not parse): what a circuit and a connection is
// per.
std::string url_origin(const std::string& url);

}  // namespace vutf
