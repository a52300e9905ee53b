// The HTTP API without sockets. The route table (http/routes/table.cpp) is the index of the API;
// the handlers live by resource in http/routes/, each next to its codec; the conventions every
// request goes through (request ids, body rules, problem+json, security headers, CORS, gzip,
// metrics, access log, audit trail) are http/pipeline.hpp's. The socket side (http/server.hpp)
// only converts to and from cpp-httplib.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/address_policy.hpp"
#include "config/cidr.hpp"
#include "config/settings.hpp"
#include "domain/error.hpp"

namespace vutf {
class service;
class metrics;
}  // namespace vutf

namespace vutf::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

// A request body as read: the body, or why there is none (payload_too_large when it is longer
// than the limit, bad_request when its chunked framing is broken or it stopped arriving).
struct body_read {
  std::optional<failure> error;
  std::string body;
};

// Reads the request body, not past `limit` bytes. Called at most once, and only for routes
// that take a body; a body left unread closes the connection after the response.
using body_reader = std::function<body_read(size_t limit)>;

// A reader of a body already in memory (in-process callers and tests).
body_reader body_from(std::string body);

struct api_request {
  std::string method;
  std::string path;
  header_list query;    // decoded query parameters
  header_list headers;  // as received; names compare case-insensitively
  std::string remote_ip;
  body_reader read_body;

  std::optional<std::string> header(const std::string& name) const;
};

// What one call of a streamed body produced: more chunks follow, this chunk was the last, or the
// body failed midway (the connection is then closed without the final chunk, so the client can
// tell the body is incomplete instead of taking a truncated export for a whole one).
enum class stream_step { more, last, failed };

struct api_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  header_list headers;
  std::string route = "unmatched";  // the route pattern, for metrics and logs
  bool close_connection = false;    // close after answering (the socket side decides)
  // A streamed body instead of `body`: each call fills the next chunk.
  std::function<stream_step(std::string& chunk)> stream;
};

// What every request may use besides itself: the service it asks, the metrics it records, the
// settings (read once at start).
struct api_env {
  service& svc;
  metrics& meters;
  settings cfg;
  std::vector<std::string> allowed_origins;  // exact origins from ALLOWED_ORIGINS
  std::vector<cidr> trusted_proxies;         // TRUSTED_PROXIES
  address_policy outbound;                   // OUTBOUND_BLOCK_PRIVATE, OUTBOUND_ALLOW_CIDRS
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Set when the server stops: long-lived responses (scan event streams) end so it can drain.
  std::shared_ptr<std::atomic<bool>> draining = std::make_shared<std::atomic<bool>>(false);
  // Scan event streams open now (bounded by MAX_EVENT_STREAMS).
  std::shared_ptr<std::atomic<int64_t>> event_streams = std::make_shared<std::atomic<int64_t>>(0);
};

class api {
 public:
  api(service& svc, metrics& m, const settings& s);

  // Answers one request: routes it, applies every convention, records metrics and logs.
  // `req.remote_ip` is the socket peer; from here on it is the client address (behind
  // TRUSTED_PROXIES, read from X-Forwarded-For).
  api_response handle(api_request req) const;

  // Every (method, route pattern) the API answers, in routing order.
  static std::vector<std::pair<std::string, std::string>> endpoints();

  // A problem+json response for an error the socket layer detected before routing (a malformed
  // request line, a header block over the limit, too many connections...).
  api_response reject(int status, const api_request& req, const std::string& detail) const;

  // The server is stopping: responses that would stay open (event streams) end now.
  void drain() const { env_.draining->store(true); }
  // The metrics requests are recorded in; the socket layer counts what it sees there too.
  metrics& meters() const { return env_.meters; }

 private:
  api_env env_;
};

// A streamed body: `head`, then page after page rendered by `next` (which appends a page to
// `out` and says whether more may follow, or nullopt when it failed), then `tail()` after the
// last. Nothing is held but the page in hand.
using page_source = std::function<std::optional<bool>(std::string& out)>;
std::function<stream_step(std::string&)> paged_stream(std::string head, page_source next,
                                                      std::function<std::string()> tail);

// X-Request-ID from the client if it is 1-128 characters of [A-Za-z0-9._-], else a new UUID.
std::string request_id_for(const std::optional<std::string>& given);

}  // namespace vutf::http
