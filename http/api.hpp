// The HTTP API without sockets: routing, the contract's conventions (request ids, body rules,
// problem+json, security headers, gzip, metrics, access log) and the route handlers. Each
// handler parses and validates, sends one message with a deadline to the service, and maps
// the reply. The socket side (http/server.hpp) only converts to and from cpp-httplib.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "config/settings.hpp"

namespace vutf {
class service;
class metrics;
}  // namespace vutf

namespace vutf::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct api_request {
  std::string method;
  std::string path;
  header_list query;    // decoded query parameters
  header_list headers;  // as received; names compare case-insensitively
  std::string remote_ip;
  // Reads the body, not past `limit` bytes: nullopt when the body is larger than that.
  // Called only for routes that take a body.
  std::function<std::optional<std::string>(size_t limit)> read_body;

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
  bool close_connection = false;    // the request body was left unread
  // A streamed body instead of `body`: each call fills the next chunk.
  std::function<stream_step(std::string& chunk)> stream;
};

class api {
 public:
  api(service& svc, metrics& m, const settings& s);

  // Answers one request: routes it, applies every convention, records metrics and logs.
  api_response handle(const api_request& req) const;

  // Every (method, route pattern) the API answers, in routing order.
  static std::vector<std::pair<std::string, std::string>> endpoints();

  // A problem+json response for an error the socket layer detected before routing (a malformed
  // request line, a header block over the limit, too many connections...).
  api_response reject(int status, const api_request& req, const std::string& detail) const;

  struct context;  // one request in flight (defined in api.cpp)
  using handler = api_response (api::*)(const context&) const;
  enum class body_rule { none, json };
  // Which limit a route counts against: none (health), a class of its own keyed by client IP
  // (login 5/min, register 3/min, refresh 10/min), or the caller's RATE_LIMIT_PER_MINUTE.
  enum class rate_class { none, login, register_, refresh, standard };
  struct route {
    const char* method;
    const char* pattern;
    body_rule body;
    handler fn;
    rate_class rate = rate_class::standard;
    // POSTs whose response holds no secret honour Idempotency-Key (replayed for 24 h); on the
    // others (tokens, API keys) the header is ignored so no secret is kept at rest.
    bool replay = false;
    // State-changing routes write one audit record per request under this action.
    const char* action = nullptr;
    const char* resource = nullptr;
  };

 private:
  struct trace;  // what the audit record of a request needs to know (defined in api.cpp)
  api_response dispatch(const api_request& req, const std::string& request_id,
                        std::chrono::steady_clock::time_point start, trace& t) const;
  void finish(const api_request& req, api_response& res, const std::string& request_id,
              std::chrono::steady_clock::time_point start) const;

  api_response live(const context& c) const;
  api_response openapi(const context& c) const;
  api_response health(const context& c) const;
  api_response ready(const context& c) const;
  api_response list_targets(const context& c) const;
  api_response create_target(const context& c) const;
  api_response get_target(const context& c) const;
  api_response update_target(const context& c) const;
  api_response delete_target(const context& c) const;
  api_response register_user(const context& c) const;
  api_response login(const context& c) const;
  api_response refresh(const context& c) const;
  api_response logout(const context& c) const;
  api_response me(const context& c) const;
  api_response create_api_key(const context& c) const;
  api_response list_api_keys(const context& c) const;
  api_response revoke_api_key(const context& c) const;
  api_response rotate_api_key(const context& c) const;
  api_response list_sessions(const context& c) const;
  api_response revoke_session(const context& c) const;
  api_response revoke_other_sessions(const context& c) const;
  api_response update_me(const context& c) const;
  api_response change_password(const context& c) const;
  api_response list_users(const context& c) const;
  api_response get_user(const context& c) const;
  api_response update_user(const context& c) const;
  api_response delete_user(const context& c) const;
  api_response list_probes(const context& c) const;
  api_response test_target(const context& c) const;
  api_response list_scans(const context& c) const;
  api_response create_scan(const context& c) const;
  api_response get_scan(const context& c) const;
  api_response cancel_scan(const context& c) const;
  api_response scan_results(const context& c) const;
  api_response scan_findings(const context& c) const;
  api_response results_of(const context& c, bool findings_only) const;
  api_response scan_report(const context& c) const;
  api_response stats(const context& c) const;
  api_response list_audit(const context& c) const;
  api_response get_audit(const context& c) const;
  api_response audit_statistics(const context& c) const;
  api_response export_audit(const context& c) const;

  // Counts the request for `who` ("user:<id>", "key:<id>", "ip:<address>"); the 429 to answer
  // when over the limit. Records the figures for the RateLimit-* headers in `c`.
  std::optional<failure> count(const context& c, const std::string& who) const;

  // Runs `fn` under the Idempotency-Key `key`: the first request's response is kept and
  // replayed; another body with the same key is refused.
  api_response idempotent(const context& c, const std::string& key, handler fn) const;

  std::optional<api_response> paging_only(const context& c, int64_t& page, int64_t& per_page) const;

  // The shape of every protected route: authenticate the caller, let `make` build the message
  // for them (or refuse with a failure), send it with the request's deadline and `render` the
  // reply; every failure becomes its problem+json.
  template <class Make, class Render>
  api_response serve(const context& c, Make make, Render render) const;

  // The caller, or the 401 to answer (with WWW-Authenticate: Bearer), or 403 for an API key
  // without the write scope on any route that is not GET or HEAD.
  result<principal> caller(const context& c) const;

  static const std::vector<route>& routes();

  service& svc_;
  metrics& metrics_;
  settings cfg_;
  std::vector<std::string> allowed_origins_;  // exact origins from ALLOWED_ORIGINS
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
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
