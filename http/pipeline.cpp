#include "http/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "config/instance.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "http/gzip.hpp"
#include "http/idempotency.hpp"
#include "http/query.hpp"
#include "http/rate_limit.hpp"
#include "metrics/metrics.hpp"

namespace vutf::http {
namespace {

using clock = std::chrono::steady_clock;

// Matches "/api/v1/targets/{id}" against a path, collecting placeholder values.
bool match(const char* pattern, const std::string& path, std::vector<std::string>& params) {
  params.clear();
  const char* p = pattern;
  size_t i = 0;
  while (*p) {
    if (*p == '{') {
      while (*p && *p != '}') ++p;
      if (*p) ++p;
      size_t end = path.find('/', i);
      if (end == std::string::npos) end = path.size();
      if (end == i) return false;
      params.push_back(path.substr(i, end - i));
      i = end;
    } else {
      if (i >= path.size() || path[i] != *p) return false;
      ++p;
      ++i;
    }
  }
  return i == path.size();
}

// Where a path leads: the first pattern it matches, every method that pattern answers, and the
// route of the request's method if there is one.
struct routing {
  const route* found = nullptr;
  const char* pattern = nullptr;
  std::vector<std::string> params;
  std::string allow;
};

routing route_for(const std::string& method, const std::string& path) {
  routing to;
  // The first pattern that matches wins (literal routes such as /users/me are listed before
  // /users/{id}); only its methods answer, and only they are named in Allow.
  for (const auto& r : route_table()) {
    std::vector<std::string> p;
    if (to.pattern ? std::strcmp(to.pattern, r.pattern) != 0 : !match(r.pattern, path, p)) continue;
    if (!to.pattern) to.pattern = r.pattern;
    if (p.empty()) match(r.pattern, path, p);
    to.allow += (to.allow.empty() ? "" : ", ") + std::string(r.method);
    if (r.method == method) {
      to.found = &r;
      to.params = std::move(p);
    }
  }
  return to;
}

// 404 when no pattern matches the path; else 405 naming its methods (204 for OPTIONS).
api_response unrouted(const api_request& req, const std::string& method, const routing& to,
                      const std::string& request_id) {
  if (!to.pattern)
    return problem(errc::not_found, "No route matches " + req.path + ".", req.path, request_id);
  api_response r = method == "OPTIONS"
                       ? json_response(204, "")
                       : problem(errc::method_not_allowed,
                                 req.method + " is not allowed here; allowed: " + to.allow + ".",
                                 req.path, request_id);
  r.headers.emplace_back("Allow", to.allow + ", OPTIONS");
  r.route = to.pattern;
  return r;
}

api_response with_limits(const request_context& c, api_response r) {
  if (c.limits) {
    r.headers.emplace_back("RateLimit-Limit", std::to_string(c.limits->limit));
    r.headers.emplace_back("RateLimit-Remaining", std::to_string(c.limits->remaining));
    r.headers.emplace_back("RateLimit-Reset", std::to_string(c.limits->reset_s));
    if (r.status == 429) r.headers.emplace_back("Retry-After", std::to_string(c.limits->reset_s));
  }
  return r;
}

// The body rules: reads the body into `c.body`, or the response refusing it. A refused body
// is left unread; the socket side then closes the connection after the response (the framing
// rule, docs/security.md). `json` takes application/json up to MAX_REQUEST_SIZE; `import` also
// takes text/csv and application/x-ndjson, up to import_body_limit or MAX_REQUEST_SIZE,
// whichever is larger.
std::optional<api_response> read_body(request_context& c, body_rule rule) {
  const api_request& req = c.req;
  auto refuse = [&](errc code, const std::string& detail) {
    return problem(code, detail, req.path, c.request_id);
  };
  int64_t max = c.env.cfg.max_request_size;
  if (rule == body_rule::import) max = std::max<int64_t>(max, import_body_limit);
  size_t limit = static_cast<size_t>(max);
  auto too_large = [&] {
    return refuse(errc::payload_too_large,
                  std::string("The body is larger than ") +
                      (rule == body_rule::import ? "this route's limit (" : "MAX_REQUEST_SIZE (") +
                      std::to_string(limit) + " bytes).");
  };
  // The socket side has already refused any framing but one Content-Length of digits or
  // Transfer-Encoding: chunked alone.
  auto length = req.header("Content-Length");
  bool chunked = req.header("Transfer-Encoding").has_value();
  if (!length && !chunked) {
    // The client may be sending a body it did not delimit: no later byte can be trusted.
    api_response r =
        refuse(errc::length_required, "A body needs Content-Length or chunked transfer encoding.");
    r.close_connection = true;
    return r;
  }
  int64_t declared = 0;
  if (length && !parse_positive(*length, declared) && *length != "0") return too_large();
  if (declared > max) return too_large();
  std::string media = media_type(req);
  bool data = media == "text/csv" || media == "application/x-ndjson";
  if (media != "application/json" && !(rule == body_rule::import && data))
    return refuse(errc::unsupported_media_type,
                  rule == body_rule::import
                      ? "The body must be application/json, text/csv or application/x-ndjson."
                      : "The body must be application/json.");
  body_read body = req.read_body(limit);
  if (body.error)
    return body.error->code == errc::payload_too_large
               ? too_large()
               : refuse(body.error->code, body.error->detail);
  c.body = std::move(body.body);
  return std::nullopt;
}

}  // namespace

api_response dispatch(const api_env& env, const api_request& req, const std::string& request_id,
                      clock::time_point start, request_trace& t) {
  std::string method = req.method == "HEAD" ? "GET" : req.method;
  routing to = route_for(method, req.path);
  if (!to.found) return unrouted(req, method, to, request_id);
  const route& found = *to.found;
  t.matched = &found;
  t.params = to.params;
  request_context c{env,        req,
                    request_id, std::move(to.params),
                    {},         start + std::chrono::seconds(env.cfg.request_timeout),
                    found.rate, std::nullopt,
                    &t};
  auto on_route = [&](api_response r) {
    r.route = found.pattern;
    return r;
  };
  // Classes of their own are counted per client address before any work is done.
  if (found.rate != rate_class::none && !counted_per_caller(found.rate)) {
    if (auto over = count(c, "ip:" + req.remote_ip)) {
      return with_limits(c, on_route(problem(over->code, over->detail, req.path, request_id)));
    }
  }
  if (found.body != body_rule::none)
    if (auto refused = read_body(c, found.body)) return on_route(std::move(*refused));
  auto idempotency_key = found.replay ? req.header("Idempotency-Key") : std::nullopt;
  api_response r = idempotency_key ? idempotent(c, *idempotency_key, found.fn) : found.fn(c);
  return with_limits(c, on_route(std::move(r)));
}

void audit(const api_env& env, const api_request& req, const api_response& res,
           const std::string& request_id, clock::time_point start, const request_trace& t) {
  if (!t.matched || !t.matched->action) return;
  audit_record a;
  a.timestamp_ms = now_ms();
  a.id = make_time_ordered_uuid(a.timestamp_ms);  // same-millisecond records keep their order
  a.request_id = request_id;
  a.actor_type = t.who ? t.who->kind : "anonymous";
  a.actor_id = t.who ? (t.who->kind == "api_key" ? t.who->key_id : t.who->user_id) : "";
  a.action = t.matched->action;
  a.resource_type = t.matched->resource;
  // The last placeholder names the resource acted on (a finding, not its scan).
  if (!t.params.empty()) a.resource_id = t.params.back();
  for (const auto& [k, v] : res.headers)
    if (k == "Location") a.resource_id = v.substr(v.rfind('/') + 1);
  a.outcome = res.status < 400 ? "success" : "failure";
  a.status_code = res.status;
  a.ip = req.remote_ip;
  a.user_agent = req.header("User-Agent").value_or("");  // bounded by the audit actor
  a.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
  env.svc.record(std::move(a));
}

namespace {

void security_headers(const api_env& env, api_response& res) {
  auto& h = res.headers;
  h.emplace_back("X-Content-Type-Options", "nosniff");
  h.emplace_back("X-Frame-Options", "DENY");
  h.emplace_back("Referrer-Policy", "no-referrer");
  // A route may set a policy of its own (the HTML report styles itself, the console runs its
  // script); it stays the only one, as two policies would both apply. The same for caching (the
  // console's files are cached and revalidated, an event stream is no-cache).
  auto own = [&h](const char* name) {
    return std::any_of(h.begin(), h.end(), [name](const auto& kv) { return kv.first == name; });
  };
  if (!own("Content-Security-Policy"))
    h.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  if (!own("Cache-Control")) h.emplace_back("Cache-Control", "no-store");
  if (env.cfg.environment == "production")
    h.emplace_back("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

// CORS, for the configured origins only. A preflight (OPTIONS with
// Access-Control-Request-Method) needs no credentials and learns the route's methods.
void cors_headers(const api_env& env, const api_request& req, api_response& res) {
  auto origin = req.header("Origin");
  if (!origin) return;
  auto& h = res.headers;
  h.emplace_back("Vary", "Origin");
  const auto& allowed = env.allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), *origin) == allowed.end()) return;
  h.emplace_back("Access-Control-Allow-Origin", *origin);
  h.emplace_back(
      "Access-Control-Expose-Headers",
      "ETag, Location, X-Request-ID, X-Instance-Id, RateLimit-Limit, RateLimit-Remaining, "
      "RateLimit-Reset, Retry-After, Idempotent-Replayed");
  if (req.method != "OPTIONS" || !req.header("Access-Control-Request-Method")) return;
  auto allow = std::find_if(h.begin(), h.end(), [](const auto& kv) { return kv.first == "Allow"; });
  if (allow != h.end()) h.emplace_back("Access-Control-Allow-Methods", std::string(allow->second));
  h.emplace_back("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, X-API-Key, X-Request-ID, If-Match, If-None-Match, "
                 "Idempotency-Key");
  h.emplace_back("Access-Control-Max-Age", "600");
}

void compress(const api_env& env, const api_request& req, api_response& res) {
  bool compressible =
      res.content_type.find("json") != std::string::npos || res.content_type.rfind("text/", 0) == 0;
  if (!compressible || res.body.empty()) return;
  res.headers.emplace_back("Vary", "Accept-Encoding");
  if (res.body.size() >= static_cast<size_t>(env.cfg.gzip_min_size) &&
      accepts_gzip(req.header("Accept-Encoding").value_or(""))) {
    res.body = gzip_compress(res.body, static_cast<int>(env.cfg.gzip_level));
    res.headers.emplace_back("Content-Encoding", "gzip");
  }
}

}  // namespace

std::optional<std::string> trace_id_of(const std::optional<std::string>& traceparent) {
  if (!traceparent || traceparent->size() != 55) return std::nullopt;
  const std::string& t = *traceparent;
  auto hex = [&](size_t from, size_t n) {
    bool nonzero = false;
    for (size_t i = from; i < from + n; ++i) {
      char c = t[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::optional<bool>{};
      nonzero = nonzero || c != '0';
    }
    return std::optional<bool>{nonzero};
  };
  auto version = hex(0, 2), trace = hex(3, 32), parent = hex(36, 16), flags = hex(53, 2);
  bool framed = t[2] == '-' && t[35] == '-' && t[52] == '-';
  if (!framed || !version || !flags || t.compare(0, 2, "00") != 0 || !trace || !*trace || !parent ||
      !*parent)
    return std::nullopt;
  return t.substr(3, 32);
}

void finish(const api_env& env, const api_request& req, api_response& res,
            const std::string& request_id, clock::time_point start) {
  res.headers.emplace_back("X-Request-ID", request_id);
  res.headers.emplace_back("X-Instance-Id", instance_id());
  security_headers(env, res);
  cors_headers(env, req, res);
  compress(env, req, res);
  double seconds = std::chrono::duration<double>(clock::now() - start).count();
  env.meters.http_requests_total.with({req.method, res.route, std::to_string(res.status)})
      .Increment();
  env.meters.http_request_duration_seconds.with({req.method, res.route}).Observe(seconds);
  if (log::enabled(log::level::info)) {
    log::field fields[] = {{"request_id", request_id},
                           {"method", req.method},
                           {"route", res.route},
                           {"status", res.status},
                           {"duration_ms", std::round(seconds * 1e6) / 1e3},
                           {"ip", req.remote_ip},
                           {"trace_id", trace_id_of(req.header("traceparent")).value_or("")}};
    // Without a traceparent the line has no trace_id field at all.
    bool traced = !fields[6].value.empty();
    log::write(log::level::info, "request", fields, fields + (traced ? 7 : 6));
  }
}

}  // namespace vutf::http
