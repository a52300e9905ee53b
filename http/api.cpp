#include "http/api.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <strings.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/audit.hpp"
#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "http/audit_codec.hpp"
#include "http/gzip.hpp"
#include "http/identity_codec.hpp"
#include "http/probe_codec.hpp"
#include "http/problem.hpp"
#include "http/scan_codec.hpp"
#include "http/target_codec.hpp"
#include "metrics/metrics.hpp"

#ifndef VUTF_VERSION
#define VUTF_VERSION "0.0.0"
#endif

namespace vutf::http {

using clock = std::chrono::steady_clock;
using nlohmann::json;

struct rate_state {
  int64_t limit;
  int64_t remaining;
  int64_t reset_s;  // seconds until the window ends
};

struct api::trace {
  const route* matched = nullptr;
  std::vector<std::string> params;
  std::optional<principal> who;  // set once the caller authenticated
};

struct api::context {
  const api_request& req;
  std::string request_id;
  std::vector<std::string> params;  // values of the {placeholders}, in order
  std::string body;
  clock::time_point deadline;
  rate_class rate = rate_class::standard;
  mutable std::optional<rate_state> limits;  // set once the request was counted
  trace* t = nullptr;
};

namespace {

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

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

// Whether the request announces a body (a length other than 0, or chunked encoding).
bool has_body_of(const api_request& req) {
  auto length = req.header("Content-Length");
  auto encoding = req.header("Transfer-Encoding");
  return (encoding && encoding->find("chunked") != std::string::npos) || (length && *length != "0");
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

api_response json_response(int status, std::string body) {
  api_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

api_response problem(errc code, const std::string& detail, const std::string& instance,
                     const std::string& request_id, const std::vector<field_error>& errors = {}) {
  api_response r;
  r.status = http_status(code);
  r.content_type = "application/problem+json; charset=utf-8";
  r.body = problem_body(code, detail, instance, request_id, errors);
  return r;
}

api_response problem(const failure& f, const api::context& c) {
  api_response r = problem(f.code, f.detail, c.req.path, c.request_id, f.errors);
  if (f.code == errc::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

template <class M>
result<M> with(M message) {
  return result<M>{{}, std::move(message)};
}

// The {id} of the path if it is a UUID; otherwise "<thing> not found" (a malformed id is 404).
result<std::string> path_id(const api::context& c, const char* thing) {
  const std::string& id = c.params.at(0);
  if (!is_uuid(id))
    return result<std::string>::fail(errc::not_found, std::string(thing) + " not found.");
  return result<std::string>{{}, id};
}

api_response invalid_query(const api::context& c, const std::vector<field_error>& errors) {
  return problem(errc::validation_error, "The query is invalid.", c.req.path, c.request_id, errors);
}

api_response with_etag(api_response r, int64_t version) {
  r.headers.emplace_back("ETag", "\"" + std::to_string(version) + "\"");
  return r;
}

api_response no_content(const nothing&) {
  return json_response(204, "");
}

api_response target_reply(const target& t) {
  return with_etag(json_response(200, target_json(t)), t.version);
}

api_response user_reply(const user& u) {
  return with_etag(json_response(200, user_json(u)), u.version);
}

api_response key_created(const api_key_created& k) {
  return json_response(201, api_key_json(k.record, k.key));
}

// If-Match: nullopt for none or "*"; the version for "3", W/"3" or 3; -1 when unparsable
// (which can never match, so it fails as a precondition).
std::optional<int64_t> if_match_version(const std::optional<std::string>& h) {
  if (!h || *h == "*") return std::nullopt;
  std::string v = *h;
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoll(v);
}

bool parse_positive(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoll(s);
  return true;
}

// Reads a pagination parameter; false when `key` is not one.
bool read_paging(const std::string& key, const std::string& value, int64_t& page, int64_t& per_page,
                 std::vector<field_error>& errors) {
  if (key == "page") {
    if (!parse_positive(value, page) || page < 1)
      errors.push_back({"page", "must be an integer >= 1"});
    return true;
  }
  if (key == "per_page") {
    if (!parse_positive(value, per_page) || per_page < 1 || per_page > 100)
      errors.push_back({"per_page", "must be an integer in 1..100"});
    return true;
  }
  return false;
}

json dependency(const dependency_check& d) {
  return {{"status", d.status}, {"latency_ms", std::round(d.latency_ms * 1000) / 1000}};
}

}  // namespace

std::optional<std::string> api_request::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::string request_id_for(const std::optional<std::string>& given) {
  if (given && !given->empty() && given->size() <= 128) {
    bool ok = true;
    for (unsigned char c : *given) ok = ok && (std::isalnum(c) || c == '.' || c == '_' || c == '-');
    if (ok) return *given;
  }
  return make_uuid();
}

api::api(service& svc, metrics& m, const settings& s) : svc_(svc), metrics_(m), cfg_(s) {
  std::string item;
  std::stringstream in(s.allowed_origins);
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b != std::string::npos) allowed_origins_.push_back(item.substr(b, e - b + 1));
  }
}

const std::vector<api::route>& api::routes() {
  using b = body_rule;
  using r = rate_class;
  constexpr bool replay = true;
  // method, pattern, body, handler, rate class, Idempotency-Key, audit action, resource type.
  // Literal paths come before {id} patterns: the first pattern that matches wins.
  static const std::vector<route> all = {
      {"GET", "/api/v1/live", b::none, &api::live, r::none},
      {"GET", "/api/v1/health", b::none, &api::health, r::none},
      {"GET", "/api/v1/ready", b::none, &api::ready, r::none},
      {"GET", "/api/v1/openapi.json", b::none, &api::openapi, r::none},
      {"GET", "/api/v1/targets", b::none, &api::list_targets},
      {"POST", "/api/v1/targets", b::json, &api::create_target, r::standard, replay,
       "target.create", "target"},
      {"GET", "/api/v1/targets/{id}", b::none, &api::get_target},
      {"PATCH", "/api/v1/targets/{id}", b::json, &api::update_target, r::standard, false,
       "target.update", "target"},
      {"DELETE", "/api/v1/targets/{id}", b::none, &api::delete_target, r::standard, false,
       "target.delete", "target"},
      {"POST", "/api/v1/targets/{id}/test", b::none, &api::test_target, r::standard, false,
       "target.test", "target"},
      {"GET", "/api/v1/scans", b::none, &api::list_scans},
      {"POST", "/api/v1/scans", b::json, &api::create_scan, r::standard, replay, "scan.create",
       "scan"},
      {"GET", "/api/v1/scans/{id}", b::none, &api::get_scan},
      {"POST", "/api/v1/scans/{id}/cancel", b::none, &api::cancel_scan, r::standard, replay,
       "scan.cancel", "scan"},
      {"GET", "/api/v1/scans/{id}/results", b::none, &api::scan_results},
      {"GET", "/api/v1/scans/{id}/findings", b::none, &api::scan_findings},
      {"GET", "/api/v1/scans/{id}/report", b::none, &api::scan_report},
      {"GET", "/api/v1/stats/overview", b::none, &api::stats},
      {"POST", "/api/v1/auth/register", b::json, &api::register_user, r::register_, replay,
       "auth.register", "user"},
      {"POST", "/api/v1/auth/login", b::json, &api::login, r::login, false, "auth.login",
       "session"},
      {"POST", "/api/v1/auth/refresh", b::json, &api::refresh, r::refresh, false, "auth.refresh",
       "session"},
      {"POST", "/api/v1/auth/logout", b::none, &api::logout, r::standard, replay, "auth.logout",
       "session"},
      {"GET", "/api/v1/users/me", b::none, &api::me},
      {"PATCH", "/api/v1/users/me", b::json, &api::update_me, r::standard, false, "user.update",
       "user"},
      {"POST", "/api/v1/users/me/password", b::json, &api::change_password, r::standard, replay,
       "auth.password_change", "user"},
      {"GET", "/api/v1/sessions", b::none, &api::list_sessions},
      {"DELETE", "/api/v1/sessions", b::none, &api::revoke_other_sessions, r::standard, false,
       "session.revoke_others", "session"},
      {"DELETE", "/api/v1/sessions/{id}", b::none, &api::revoke_session, r::standard, false,
       "session.revoke", "session"},
      {"GET", "/api/v1/users", b::none, &api::list_users},
      {"GET", "/api/v1/users/{id}", b::none, &api::get_user},
      {"PATCH", "/api/v1/users/{id}", b::json, &api::update_user, r::standard, false,
       "user.admin_update", "user"},
      {"DELETE", "/api/v1/users/{id}", b::none, &api::delete_user, r::standard, false,
       "user.delete", "user"},
      {"POST", "/api/v1/api-keys", b::json, &api::create_api_key, r::standard, false,
       "api_key.create", "api_key"},
      {"GET", "/api/v1/api-keys", b::none, &api::list_api_keys},
      {"DELETE", "/api/v1/api-keys/{id}", b::none, &api::revoke_api_key, r::standard, false,
       "api_key.revoke", "api_key"},
      {"POST", "/api/v1/api-keys/{id}/rotate", b::none, &api::rotate_api_key, r::standard, false,
       "api_key.rotate", "api_key"},
      {"GET", "/api/v1/probes", b::none, &api::list_probes},
      {"GET", "/api/v1/audit-logs", b::none, &api::list_audit},
      {"GET", "/api/v1/audit-logs/stats", b::none, &api::audit_statistics},
      {"GET", "/api/v1/audit-logs/export", b::none, &api::export_audit},
      {"GET", "/api/v1/audit-logs/{id}", b::none, &api::get_audit},
  };
  return all;
}

api_response api::handle(const api_request& req) const {
  auto start = clock::now();
  metrics_.http_requests_in_progress.Increment();
  std::string request_id = request_id_for(req.header("X-Request-ID"));
  api_response res;
  trace t;
  try {
    res = dispatch(req, request_id, start, t);
  } catch (const std::exception& e) {
    log::error("unhandled error", {{"request_id", request_id}, {"error", e.what()}});
    res = problem(errc::internal_error, "An internal error occurred.", req.path, request_id);
  }
  if (t.matched && t.matched->action) {
    audit_record a;
    a.timestamp_ms = now_ms();
    a.id = make_time_ordered_uuid(a.timestamp_ms);  // same-millisecond records keep their order
    a.request_id = request_id;
    a.actor_type = t.who ? t.who->kind : "anonymous";
    a.actor_id = t.who ? (t.who->kind == "api_key" ? t.who->key_id : t.who->user_id) : "";
    a.action = t.matched->action;
    a.resource_type = t.matched->resource;
    if (!t.params.empty()) a.resource_id = t.params.front();
    for (const auto& [k, v] : res.headers)
      if (k == "Location") a.resource_id = v.substr(v.rfind('/') + 1);
    a.outcome = res.status < 400 ? "success" : "failure";
    a.status_code = res.status;
    a.ip = req.remote_ip;
    a.user_agent = req.header("User-Agent").value_or("").substr(0, 512);
    a.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
    svc_.record(std::move(a));
  }
  finish(req, res, request_id, start);
  metrics_.http_requests_in_progress.Decrement();
  return res;
}

api_response api::reject(int status, const api_request& req, const std::string& detail) const {
  auto start = clock::now();
  std::string request_id = request_id_for(req.header("X-Request-ID"));
  api_response res = problem(error_for_status(status), detail, req.path, request_id);
  res.status = status;  // e.g. 414 keeps its own status with a bad_request code
  res.close_connection = true;
  finish(req, res, request_id, start);
  return res;
}

api_response api::dispatch(const api_request& req, const std::string& request_id,
                           clock::time_point start, trace& t) const {
  std::string method = req.method == "HEAD" ? "GET" : req.method;
  const route* found = nullptr;
  std::vector<std::string> params;
  std::string allow;
  const char* pattern = nullptr;
  // The first pattern that matches wins (literal routes such as /users/me are listed before
  // /users/{id}); only its methods answer, and only they are named in Allow.
  for (const auto& r : routes()) {
    std::vector<std::string> p;
    if (pattern ? std::strcmp(pattern, r.pattern) != 0 : !match(r.pattern, req.path, p)) continue;
    if (!pattern) pattern = r.pattern;
    if (p.empty()) match(r.pattern, req.path, p);
    allow += (allow.empty() ? "" : ", ") + std::string(r.method);
    if (r.method == method) {
      found = &r;
      params = std::move(p);
    }
  }
  if (!found) {
    if (!pattern)
      return problem(errc::not_found, "No route matches " + req.path + ".", req.path, request_id);
    api_response r = method == "OPTIONS"
                         ? json_response(204, "")
                         : problem(errc::method_not_allowed,
                                   req.method + " is not allowed here; allowed: " + allow + ".",
                                   req.path, request_id);
    r.headers.emplace_back("Allow", allow + ", OPTIONS");
    r.route = pattern;
    return r;
  }

  t.matched = found;
  t.params = params;
  context c{req,
            request_id,
            std::move(params),
            {},
            start + std::chrono::seconds(cfg_.request_timeout),
            found->rate,
            std::nullopt,
            &t};
  auto with_limits = [&](api_response r) {
    if (c.limits) {
      r.headers.emplace_back("RateLimit-Limit", std::to_string(c.limits->limit));
      r.headers.emplace_back("RateLimit-Remaining", std::to_string(c.limits->remaining));
      r.headers.emplace_back("RateLimit-Reset", std::to_string(c.limits->reset_s));
      if (r.status == 429) r.headers.emplace_back("Retry-After", std::to_string(c.limits->reset_s));
    }
    return r;
  };
  // Classes of their own are counted per client address before any work is done.
  if (found->rate != rate_class::none && found->rate != rate_class::standard) {
    if (auto over = count(c, "ip:" + req.remote_ip)) {
      api_response r = problem(over->code, over->detail, req.path, request_id);
      r.route = found->pattern;
      r.close_connection = has_body_of(req);
      return with_limits(std::move(r));
    }
  }
  auto length = req.header("Content-Length");
  auto encoding = req.header("Transfer-Encoding");
  bool chunked = encoding && encoding->find("chunked") != std::string::npos;
  bool has_body = has_body_of(req);
  auto finish_route = [&](api_response r) {
    r.route = found->pattern;
    return r;
  };
  if (found->body == body_rule::json) {
    size_t limit = static_cast<size_t>(cfg_.max_request_size);
    auto too_large = [&] {
      api_response r =
          problem(errc::payload_too_large,
                  "The body is larger than MAX_REQUEST_SIZE (" + std::to_string(limit) + " bytes).",
                  req.path, request_id);
      r.close_connection = true;  // the rest of the body is not read
      return finish_route(r);
    };
    if (!length && !chunked)
      return finish_route(problem(errc::length_required,
                                  "A body needs Content-Length or chunked transfer encoding.",
                                  req.path, request_id));
    int64_t declared = 0;
    if (length && !chunked) {
      if (!parse_positive(*length, declared) && *length != "0") return too_large();
      if (declared > cfg_.max_request_size) return too_large();
    }
    auto type = req.header("Content-Type").value_or("");
    std::string media = type.substr(0, type.find(';'));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    if (!iequals(media, "application/json")) {
      api_response r = problem(errc::unsupported_media_type, "The body must be application/json.",
                               req.path, request_id);
      r.close_connection = has_body;
      return finish_route(r);
    }
    auto body = req.read_body(limit);
    if (!body) return too_large();
    c.body = std::move(*body);
  }
  auto idempotency_key = found->replay ? req.header("Idempotency-Key") : std::nullopt;
  api_response r =
      idempotency_key ? idempotent(c, *idempotency_key, found->fn) : (this->*found->fn)(c);
  if (found->body == body_rule::none && has_body) r.close_connection = true;
  return with_limits(finish_route(std::move(r)));
}

void api::finish(const api_request& req, api_response& res, const std::string& request_id,
                 clock::time_point start) const {
  auto& h = res.headers;
  h.emplace_back("X-Request-ID", request_id);
  h.emplace_back("X-Content-Type-Options", "nosniff");
  h.emplace_back("X-Frame-Options", "DENY");
  h.emplace_back("Referrer-Policy", "no-referrer");
  h.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  h.emplace_back("Cache-Control", "no-store");
  if (cfg_.environment == "production")
    h.emplace_back("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  if (res.close_connection) h.emplace_back("Connection", "close");
  // CORS, for the configured origins only. A preflight (OPTIONS with
  // Access-Control-Request-Method) needs no credentials and learns the route's methods.
  if (auto origin = req.header("Origin")) {
    h.emplace_back("Vary", "Origin");
    if (std::find(allowed_origins_.begin(), allowed_origins_.end(), *origin) !=
        allowed_origins_.end()) {
      h.emplace_back("Access-Control-Allow-Origin", *origin);
      h.emplace_back("Access-Control-Expose-Headers",
                     "ETag, Location, X-Request-ID, RateLimit-Limit, RateLimit-Remaining, "
                     "RateLimit-Reset, Retry-After, Idempotent-Replayed");
      if (req.method == "OPTIONS" && req.header("Access-Control-Request-Method")) {
        for (const auto& [k, v] : res.headers)
          if (k == "Allow") h.emplace_back("Access-Control-Allow-Methods", v);
        h.emplace_back("Access-Control-Allow-Headers",
                       "Authorization, Content-Type, X-API-Key, X-Request-ID, If-Match, "
                       "Idempotency-Key");
        h.emplace_back("Access-Control-Max-Age", "600");
      }
    }
  }
  bool compressible =
      res.content_type.find("json") != std::string::npos || res.content_type.rfind("text/", 0) == 0;
  if (compressible && !res.body.empty()) {
    h.emplace_back("Vary", "Accept-Encoding");
    if (res.body.size() >= static_cast<size_t>(cfg_.gzip_min_size) &&
        accepts_gzip(req.header("Accept-Encoding").value_or(""))) {
      res.body = gzip_compress(res.body, static_cast<int>(cfg_.gzip_level));
      h.emplace_back("Content-Encoding", "gzip");
    }
  }
  double seconds = std::chrono::duration<double>(clock::now() - start).count();
  metrics_.http_requests_total.with({req.method, res.route, std::to_string(res.status)})
      .Increment();
  metrics_.http_request_duration_seconds.with({req.method, res.route}).Observe(seconds);
  if (log::enabled(log::level::info))
    log::info("request", {{"request_id", request_id},
                          {"method", req.method},
                          {"route", res.route},
                          {"status", std::to_string(res.status)},
                          {"duration_ms", std::to_string(seconds * 1000)},
                          {"ip", req.remote_ip}});
}

std::vector<std::pair<std::string, std::string>> api::endpoints() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes()) out.emplace_back(r.method, r.pattern);
  return out;
}

const std::string& openapi_document();  // generated from http/openapi.json

api_response api::openapi(const context&) const {
  return json_response(200, openapi_document());
}

// ---- health ----

api_response api::live(const context&) const {
  return json_response(200, dump({{"status", "alive"}, {"timestamp", format_timestamp(now_ms())}}));
}

api_response api::health(const context&) const {
  health_snapshot s = svc_.health();
  bool healthy = s.database.status == "up" && s.cache.status != "down";
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - started_);
  return json_response(
      200,
      dump({{"status", healthy ? "healthy" : "degraded"},
            {"timestamp", format_timestamp(now_ms())},
            {"service", "violentutf-api"},
            {"version", VUTF_VERSION},
            {"environment", cfg_.environment},
            {"uptime_seconds", uptime.count()},
            {"checks", {{"database", dependency(s.database)}, {"cache", dependency(s.cache)}}}}));
}

api_response api::ready(const context&) const {
  health_snapshot s = svc_.health();
  pool_status db = svc_.database_pool();
  cache_status cache = svc_.cache_pool();
  bool ready = s.database.status == "up";
  json body = {{"status", ready ? "ready" : "not_ready"},
               {"timestamp", format_timestamp(now_ms())},
               {"checks", {{"database", dependency(s.database)}, {"cache", dependency(s.cache)}}},
               {"pools",
                {{"database",
                  {{"size", db.size},
                   {"max_overflow", db.max_overflow},
                   {"in_use", db.in_use},
                   {"idle", db.idle},
                   {"overflow_in_use", db.overflow_in_use},
                   {"waiting", db.waiting}}},
                 {"cache", {{"size", cache.size}, {"in_use", cache.in_use}}}}},
               {"workers",
                {{"scheduler_threads", svc_.scheduler_threads()},
                 {"max_connections", cfg_.max_connections}}}};
  return json_response(ready ? 200 : 503, dump(body));
}

// ---- targets ----

api_response api::list_targets(const context& c) const {
  target_query q;
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (read_paging(key, value, q.page, q.per_page, errors)) {
      continue;
    } else if (key == "sort") {
      std::string field = value.rfind('-', 0) == 0 ? value.substr(1) : value;
      const auto& keys = target_sort_keys();
      if (std::find(keys.begin(), keys.end(), field) == keys.end()) {
        std::string allowed;
        for (const auto& k : keys) allowed += (allowed.empty() ? "" : ", ") + k;
        errors.push_back({"sort", "must be one of " + allowed + ", optionally prefixed by -"});
      } else {
        q.sort = value;
      }
    } else if (key == "q") {
      if (value.size() > 200) errors.push_back({"q", "must be at most 200 characters"});
      q.q = value;
    } else if (key == "kind") {
      if (value != "openai-chat" && value != "http-json")
        errors.push_back({"kind", "must be one of openai-chat, http-json"});
      q.kind = value;
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  return serve(
      c,
      [&](const principal& who) {
        return with(target_list{who, q, {}});
      },
      [](const target_page& p) { return json_response(200, target_page_json(p)); });
}

api_response api::create_target(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<target_create> {
        auto parsed = parse_target_create(c.body);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(target_create{who, parsed.value, {}});
      },
      [](const target& t) {
        api_response r = with_etag(json_response(201, target_json(t)), t.version);
        r.headers.emplace_back("Location", "/api/v1/targets/" + t.id);
        return r;
      });
}

api_response api::get_target(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<target_get> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        return with(target_get{who, id.value, {}});
      },
      target_reply);
}

api_response api::update_target(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<target_update> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        auto parsed = parse_target_patch(c.body);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(target_update{
            who, id.value, parsed.value, if_match_version(c.req.header("If-Match")), {}});
      },
      target_reply);
}

api_response api::delete_target(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<target_delete> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        return with(target_delete{who, id.value, if_match_version(c.req.header("If-Match")), {}});
      },
      no_content);
}

}  // namespace vutf::http

namespace vutf::http {

// ---- identity ----

credentials presented_by(const api_request& req) {
  credentials presented;
  if (auto h = req.header("Authorization")) {
    // "Bearer <token>", scheme case-insensitive.
    if (h->size() > 7 && strncasecmp(h->c_str(), "Bearer ", 7) == 0)
      presented.bearer = h->substr(7);
  }
  if (auto k = req.header("X-API-Key")) presented.api_key = *k;
  return presented;
}

result<principal> api::caller(const context& c) const {
  credentials presented = presented_by(c.req);
  auto who = svc_.ask(authenticate{presented, c.deadline});
  // Authenticated callers are counted as themselves; failures by address, so guessing
  // credentials is throttled too.
  std::string counted = !who.ok()                     ? "ip:" + c.req.remote_ip
                        : who.value.kind == "api_key" ? "key:" + who.value.key_id
                                                      : "user:" + who.value.user_id;
  if (c.rate == rate_class::standard)
    if (auto over = count(c, counted)) return result<principal>{over, {}};
  if (who.ok() && c.t) c.t->who = who.value;
  bool reading = c.req.method == "GET" || c.req.method == "HEAD";
  if (who.ok() && !reading && !who.value.may_write())
    return result<principal>::fail(errc::forbidden, "This API key has only the read scope.");
  return who;
}

template <class Make, class Render>
api_response api::serve(const context& c, Make make, Render render) const {
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  auto message = make(who.value);
  if (!message.ok()) return problem(*message.error, c);
  message.value.deadline = c.deadline;
  auto reply = svc_.ask(std::move(message.value));
  if (!reply.ok()) return problem(*reply.error, c);
  return render(reply.value);
}

api_response api::register_user(const context& c) const {
  auto parsed = parse_register(c.body);
  if (!parsed.ok()) return problem(*parsed.error, c);
  parsed.value.deadline = c.deadline;
  auto r = svc_.ask(std::move(parsed.value));
  if (!r.ok()) return problem(*r.error, c);
  api_response res = json_response(201, user_json(r.value));
  res.headers.emplace_back("Location", "/api/v1/users/" + r.value.id);
  return res;
}

api_response api::login(const context& c) const {
  auto parsed = parse_login(c.body);
  if (!parsed.ok()) return problem(*parsed.error, c);
  parsed.value.client = {c.req.remote_ip, c.req.header("User-Agent").value_or("")};
  parsed.value.deadline = c.deadline;
  auto r = svc_.ask(std::move(parsed.value));
  if (!r.ok()) return problem(*r.error, c);
  return json_response(200, token_pair_json(r.value));
}

api_response api::refresh(const context& c) const {
  auto parsed = parse_refresh(c.body);
  if (!parsed.ok()) return problem(*parsed.error, c);
  parsed.value.deadline = c.deadline;
  auto r = svc_.ask(std::move(parsed.value));
  if (!r.ok()) return problem(*r.error, c);
  return json_response(200, token_pair_json(r.value));
}

api_response api::logout(const context& c) const {
  return serve(
      c,
      [](const principal& who) {
        return with(session_logout{who, {}});
      },
      no_content);
}

api_response api::me(const context& c) const {
  return serve(
      c,
      [](const principal& who) {
        return with(user_me{who, {}});
      },
      user_reply);
}

}  // namespace vutf::http

namespace vutf::http {

// ---- idempotency ----

api_response api::idempotent(const context& c, const std::string& key, handler fn) const {
  bool printable =
      !key.empty() && key.size() <= 255 &&
      std::all_of(key.begin(), key.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; });
  if (!printable)
    return problem(errc::validation_error, "The Idempotency-Key is invalid.", c.req.path,
                   c.request_id, {{"Idempotency-Key", "must be 1-255 printable ASCII characters"}});
  // Keys belong to the caller: the authenticated user or key, else the client address.
  credentials presented = presented_by(c.req);
  std::string who = "ip:" + c.req.remote_ip;
  if (!presented.bearer.empty() || !presented.api_key.empty()) {
    auto p = svc_.ask(authenticate{presented, c.deadline});
    if (!p.ok()) return (this->*fn)(c);  // the handler answers 401
    who = p.value.kind == "api_key" ? "key:" + p.value.key_id : "user:" + p.value.user_id;
  }
  std::string fingerprint = identity::sha256_hex(c.req.method + " " + c.req.path + "\n" + c.body);
  auto claim = svc_.ask(idempotency_claim{who, key, fingerprint, c.deadline});
  if (!claim.ok()) return problem(*claim.error, c);
  if (claim.value) {
    const stored_response& first = *claim.value;
    if (first.request_hash != fingerprint)
      return problem(errc::idempotency_key_reused,
                     "This Idempotency-Key was used with another request.", c.req.path,
                     c.request_id);
    if (first.status == 0)
      return problem(errc::conflict, "A request with this Idempotency-Key is still in progress.",
                     c.req.path, c.request_id);
    api_response replay;
    replay.status = static_cast<int>(first.status);
    replay.content_type = first.content_type;
    replay.body = first.body;
    std::stringstream lines(first.headers);
    std::string line;
    while (std::getline(lines, line))
      if (size_t colon = line.find(": "); colon != std::string::npos)
        replay.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    return replay;
  }
  api_response r = (this->*fn)(c);
  if (r.status >= 500 || r.status == 429) {
    svc_.ask(idempotency_release{who, key, c.deadline});  // let the client retry for real
    return r;
  }
  stored_response keep{r.status, r.content_type, "", r.body, fingerprint};
  for (const auto& [name, value] : r.headers)
    if (name == "Location" || name == "ETag") keep.headers += name + ": " + value + "\n";
  svc_.ask(idempotency_save{who, key, keep, c.deadline});
  return r;
}

// ---- rate limits ----

std::optional<failure> api::count(const context& c, const std::string& who) const {
  if (!cfg_.rate_limit_enabled || c.rate == rate_class::none) return std::nullopt;
  const char* name = "default";
  int64_t limit = cfg_.rate_limit_per_minute;
  switch (c.rate) {
    case rate_class::login:
      name = "login", limit = 5;
      break;
    case rate_class::register_:
      name = "register", limit = 3;
      break;
    case rate_class::refresh:
      name = "refresh", limit = 10;
      break;
    default:
      break;
  }
  int64_t now = now_ms() / 1000;
  int64_t window = now - now % 60;
  auto hit =
      svc_.ask(rate_hit{"ratelimit:" + std::string(name) + ":" + who + ":" + std::to_string(window),
                        std::chrono::seconds(60)});
  if (!hit.count) {
    metrics_.rate_limit_fail_open_total.Increment();  // the store failed: never block on it
    return std::nullopt;
  }
  c.limits = rate_state{limit, std::max<int64_t>(0, limit - *hit.count), window + 60 - now};
  if (*hit.count <= limit) return std::nullopt;
  metrics_.rate_limited_total.Increment();
  return failure{errc::rate_limited,
                 "Too many requests: at most " + std::to_string(limit) + " per minute.",
                 {}};
}

// ---- API keys ----

// Reads `page` and `per_page` (the only parameters such a list takes); the 422 otherwise.
std::optional<api_response> api::paging_only(const context& c, int64_t& page,
                                             int64_t& per_page) const {
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query)
    if (!read_paging(key, value, page, per_page, errors))
      errors.push_back({key, "unknown query parameter"});
  if (errors.empty()) return std::nullopt;
  return problem(errc::validation_error, "The query is invalid.", c.req.path, c.request_id, errors);
}

api_response api::create_api_key(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<api_key_create> {
        auto parsed = parse_api_key_create(c.body);
        if (parsed.ok()) parsed.value.who = who;
        return parsed;
      },
      key_created);
}

api_response api::list_api_keys(const context& c) const {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [](const principal& who) {
        return with(api_key_list{who, {}});
      },
      [&](const std::vector<api_key>& keys) {
        return json_response(200, api_key_page_json(keys, page, per_page));
      });
}

api_response api::revoke_api_key(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<api_key_revoke> {
        auto id = path_id(c, "API key");
        if (!id.ok()) return {id.error, {}};
        return with(api_key_revoke{who, id.value, {}});
      },
      no_content);
}

api_response api::rotate_api_key(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<api_key_rotate> {
        auto id = path_id(c, "API key");
        if (!id.ok()) return {id.error, {}};
        return with(api_key_rotate{who, id.value, {}});
      },
      key_created);
}

}  // namespace vutf::http

namespace vutf::http {

// ---- sessions and the caller's account ----

api_response api::list_sessions(const context& c) const {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  std::string current;
  return serve(
      c,
      [&](const principal& who) {
        current = who.session_id;
        return with(session_list{who, {}});
      },
      [&](const std::vector<session_record>& sessions) {
        return json_response(200, session_page_json(sessions, current, page, per_page));
      });
}

api_response api::revoke_session(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<session_revoke> {
        auto id = path_id(c, "Session");
        if (!id.ok()) return {id.error, {}};
        return with(session_revoke{who, id.value, {}});
      },
      no_content);
}

api_response api::revoke_other_sessions(const context& c) const {
  return serve(
      c,
      [](const principal& who) {
        return with(sessions_revoke_others{who, {}});
      },
      no_content);
}

api_response api::update_me(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<user_update_me> {
        auto parsed = parse_user_patch(c.body);
        if (!parsed.ok()) return parsed;
        parsed.value.who = who;
        parsed.value.if_match = if_match_version(c.req.header("If-Match"));
        return parsed;
      },
      user_reply);
}

api_response api::change_password(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<password_change> {
        auto parsed = parse_password_change(c.body);
        if (parsed.ok()) parsed.value.who = who;
        return parsed;
      },
      no_content);
}

}  // namespace vutf::http

namespace vutf::http {

// ---- user administration ----

api_response api::list_users(const context& c) const {
  user_query q;
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (read_paging(key, value, q.page, q.per_page, errors)) continue;
    if (key == "sort") {
      std::string field = value.rfind('-', 0) == 0 ? value.substr(1) : value;
      const auto& keys = user_sort_keys();
      if (std::find(keys.begin(), keys.end(), field) == keys.end()) {
        errors.push_back({"sort",
                          "must be one of created_at, username, email, last_login_at, "
                          "optionally prefixed by -"});
      } else {
        q.sort = value;
      }
    } else if (key == "q") {
      if (value.size() > 200) errors.push_back({"q", "must be at most 200 characters"});
      q.q = value;
    } else if (key == "is_active") {
      if (value != "true" && value != "false")
        errors.push_back({"is_active", "must be true or false"});
      q.is_active = value == "true";
    } else if (key == "role") {
      if (value != "user" && value != "admin") errors.push_back({"role", "must be user or admin"});
      q.role = value;
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  return serve(
      c,
      [&](const principal& who) {
        return with(user_list{who, q, {}});
      },
      [](const user_page& p) { return json_response(200, user_page_json(p)); });
}

api_response api::get_user(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<user_get> {
        auto id = path_id(c, "User");
        if (!id.ok()) return {id.error, {}};
        return with(user_get{who, id.value, {}});
      },
      user_reply);
}

api_response api::update_user(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<user_update> {
        auto id = path_id(c, "User");
        if (!id.ok()) return {id.error, {}};
        auto parsed = parse_user_admin_patch(c.body);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(user_update{
            who, id.value, parsed.value, if_match_version(c.req.header("If-Match")), {}});
      },
      user_reply);
}

api_response api::delete_user(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<user_delete> {
        auto id = path_id(c, "User");
        if (!id.ok()) return {id.error, {}};
        return with(user_delete{who, id.value, {}});
      },
      no_content);
}

}  // namespace vutf::http

namespace vutf::http {

// ---- audit trail ----

namespace {

// Reads an RFC 3339 UTC timestamp (as this API writes them) into ms; false if it is not one.
bool parse_timestamp(const std::string& text, int64_t& ms) {
  std::tm tm{};
  int millis = 0;
  int n = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
    return false;
  std::string rest = text.substr(static_cast<size_t>(n));
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = rest.find_first_not_of("0123456789", 1);
    std::string frac = rest.substr(1, digits == std::string::npos ? std::string::npos : digits - 1);
    if (frac.empty() || frac.size() > 9) return false;
    millis = std::stoi((frac + "00").substr(0, 3));
    rest = digits == std::string::npos ? "" : rest.substr(digits);
  }
  if (rest.size() != 1 || (rest[0] != 'Z' && rest[0] != 'z')) return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  ms = static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
  return true;
}

// Reads since/until into `q`-like bounds; reports bad ones.
void read_range(const std::string& key, const std::string& value, int64_t& since, int64_t& until,
                std::vector<field_error>& errors) {
  int64_t& slot = key == "since" ? since : until;
  if (!parse_timestamp(value, slot))
    errors.push_back({key, "must be an RFC 3339 UTC timestamp such as 2026-01-02T03:04:05.000Z"});
}

}  // namespace

api_response api::list_audit(const context& c) const {
  audit_query q;
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (read_paging(key, value, q.page, q.per_page, errors)) continue;
    if (key == "since" || key == "until") {
      read_range(key, value, q.since_ms, q.until_ms, errors);
    } else if (key == "actor_id") {
      q.actor_id = value;
    } else if (key == "action") {
      q.action = value;
    } else if (key == "resource_type") {
      q.resource_type = value;
    } else if (key == "resource_id") {
      q.resource_id = value;
    } else if (key == "outcome") {
      if (value != "success" && value != "failure")
        errors.push_back({"outcome", "must be success or failure"});
      q.outcome = value;
    } else if (key == "sort") {
      if (value != "timestamp" && value != "-timestamp")
        errors.push_back({"sort", "must be timestamp or -timestamp"});
      q.newest_first = value != "timestamp";
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  return serve(
      c,
      [&](const principal& who) {
        return with(audit_list{who, q, {}});
      },
      [](const audit_page& p) { return json_response(200, audit_page_json(p)); });
}

api_response api::get_audit(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<audit_get> {
        auto id = path_id(c, "Record");
        if (!id.ok()) return {id.error, {}};
        return with(audit_get{who, id.value, {}});
      },
      [](const audit_record& a) { return json_response(200, audit_json(a)); });
}

api_response api::audit_statistics(const context& c) const {
  int64_t since = 0, until = 0;
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (key == "since" || key == "until") {
      read_range(key, value, since, until, errors);
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  return serve(
      c,
      [&](const principal& who) {
        return with(audit_stats_get{who, since, until, {}});
      },
      [](const audit_stats& st) { return json_response(200, audit_stats_json(st)); });
}

api_response api::export_audit(const context& c) const {
  int64_t since = 0, until = 0;
  std::string format = "ndjson";
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (key == "since" || key == "until") {
      read_range(key, value, since, until, errors);
    } else if (key == "format") {
      if (value != "csv" && value != "ndjson")
        errors.push_back({"format", "must be csv or ndjson"});
      format = value;
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  // The first page now, so a refusal is a proper error; the rest while the client reads.
  auto first = svc_.ask(audit_export_page{who.value, since, until, -1, "", c.deadline});
  if (!first.ok()) return problem(*first.error, c);
  bool csv = format == "csv";
  api_response r;
  r.content_type = csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
  r.headers.emplace_back("Content-Disposition", std::string("attachment; filename=\"audit.") +
                                                    (csv ? "csv" : "ndjson") + "\"");
  auto page = std::make_shared<std::vector<audit_record>>(std::move(first.value));
  service& svc = svc_;
  principal admin = who.value;
  int64_t timeout = cfg_.request_timeout;
  r.stream = paged_stream(
      csv ? audit_csv_header() : "",
      [page, csv, &svc, admin, since, until, timeout](std::string& out) -> std::optional<bool> {
        for (const auto& a : *page) out += csv ? audit_csv_line(a) : audit_json(a) + "\n";
        if (page->size() < 500) return false;
        const audit_record& last = page->back();
        auto next = svc.ask(audit_export_page{admin, since, until, last.timestamp_ms, last.id,
                                              clock::now() + std::chrono::seconds(timeout)});
        if (!next.ok()) return std::nullopt;
        *page = std::move(next.value);
        return true;
      },
      [] { return std::string(); });
  return r;
}

}  // namespace vutf::http

namespace vutf::http {

// ---- probes ----

api_response api::list_probes(const context& c) const {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  auto who = caller(c);  // the probe sets are static data: nothing to ask an actor
  if (!who.ok()) return problem(*who.error, c);
  return json_response(200, probe_page_json(probe_sets(), page, per_page));
}

}  // namespace vutf::http

namespace vutf::http {

// ---- scans ----

api_response api::test_target(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<target_test> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        return with(target_test{who, id.value, {}});
      },
      [](const target_check& r) { return json_response(200, target_check_json(r)); });
}

api_response api::list_scans(const context& c) const {
  scan_query q;
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (read_paging(key, value, q.page, q.per_page, errors)) {
      continue;
    } else if (key == "status") {
      static const std::vector<std::string> statuses = {"queued", "running", "completed", "failed",
                                                        "cancelled"};
      if (std::find(statuses.begin(), statuses.end(), value) == statuses.end())
        errors.push_back(
            {"status", "must be one of queued, running, completed, failed, cancelled"});
      q.status = value;
    } else if (key == "target_id") {
      if (!is_uuid(value)) errors.push_back({"target_id", "must be a target id"});
      q.target_id = value;
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  return serve(
      c,
      [&](const principal& who) {
        return with(scan_list{who, q, {}});
      },
      [](const scan_page& p) { return json_response(200, scan_page_json(p)); });
}

api_response api::create_scan(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<scan_create> {
        auto parsed = parse_scan_create(c.body);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(scan_create{who, parsed.value, {}});
      },
      [](const scan& s) {
        api_response r = json_response(202, scan_json(s));
        r.headers.emplace_back("Location", "/api/v1/scans/" + s.id);
        return r;
      });
}

api_response api::get_scan(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<scan_get> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_get{who, id.value, {}});
      },
      [](const scan& s) { return json_response(200, scan_json(s)); });
}

api_response api::cancel_scan(const context& c) const {
  return serve(
      c,
      [&](const principal& who) -> result<scan_cancel> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_cancel{who, id.value, {}});
      },
      [](const scan& s) { return json_response(202, scan_json(s)); });
}

api_response api::scan_results(const context& c) const {
  return results_of(c, false);
}

api_response api::scan_findings(const context& c) const {
  return results_of(c, true);
}

api_response api::results_of(const context& c, bool findings_only) const {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [&](const principal& who) -> result<scan_results_get> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_results_get{who, id.value, findings_only, page, per_page, {}});
      },
      [](const result_page& p) { return json_response(200, result_page_json(p)); });
}

api_response api::scan_report(const context& c) const {
  report_format format = report_format::json;
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    if (key == "format") {
      if (value == "json") {
        format = report_format::json;
      } else if (value == "markdown") {
        format = report_format::markdown;
      } else if (value == "csv") {
        format = report_format::csv;
      } else {
        errors.push_back({"format", "must be json, markdown or csv"});
      }
    } else {
      errors.push_back({key, "unknown query parameter"});
    }
  }
  if (!errors.empty()) return invalid_query(c, errors);
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  auto id = path_id(c, "Scan");
  if (!id.ok()) return problem(*id.error, c);
  // The heading now, so a missing scan is a proper 404; the findings while the client reads,
  // a page at a time, so a report of any size never sits whole in memory.
  auto head = svc_.ask(scan_report_get{who.value, id.value, c.deadline});
  if (!head.ok()) return problem(*head.error, c);
  struct cursor {
    int64_t after = -1;  // the seq of the last finding sent
    bool any = false;
  };
  auto state = std::make_shared<cursor>();
  api_response r;
  r.content_type = report_content_type(format);
  service& svc = svc_;
  principal asker = who.value;
  std::string scan_id = id.value;
  int64_t timeout = cfg_.request_timeout;
  r.stream = paged_stream(
      report_head(format, head.value),
      [state, format, &svc, asker, scan_id, timeout](std::string& out) -> std::optional<bool> {
        constexpr int64_t page = 500;
        auto next = svc.ask(scan_results_after{asker, scan_id, true, state->after, page,
                                               clock::now() + std::chrono::seconds(timeout)});
        if (!next.ok()) return std::nullopt;
        out += report_findings(format, next.value, !state->any);
        if (!next.value.empty()) {
          state->any = true;
          state->after = next.value.back().seq;
        }
        return static_cast<int64_t>(next.value.size()) == page;
      },
      [state, format] { return report_tail(format, state->any); });
  return r;
}

api_response api::stats(const context& c) const {
  if (!c.req.query.empty())
    return invalid_query(c, {{c.req.query.front().first, "unknown query parameter"}});
  return serve(
      c,
      [&](const principal& who) {
        return with(stats_get{who, {}});
      },
      [](const stats_overview& s) { return json_response(200, stats_json(s)); });
}

}  // namespace vutf::http

namespace vutf::http {

std::function<stream_step(std::string&)> paged_stream(std::string head, page_source next,
                                                      std::function<std::string()> tail) {
  auto pending = std::make_shared<std::string>(std::move(head));
  return [pending, next, tail](std::string& chunk) {
    chunk = std::move(*pending);
    pending->clear();
    auto more = next(chunk);
    if (!more) return stream_step::failed;
    if (*more) return stream_step::more;
    chunk += tail();
    return stream_step::last;
  };
}

}  // namespace vutf::http
