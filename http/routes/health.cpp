// Liveness, health, readiness and the OpenAPI document: no credentials, no rate limit.
#include <cmath>
#include <nlohmann/json.hpp>

#include "config/time.hpp"
#include "http/routes/routes.hpp"

#ifndef VUTF_VERSION
#define VUTF_VERSION "0.0.0"
#endif

namespace vutf::http {

const std::string& openapi_document();  // generated from http/openapi.json

namespace {

using nlohmann::json;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json dependency(const dependency_check& d) {
  return {{"status", d.status}, {"latency_ms", std::round(d.latency_ms * 1000) / 1000}};
}

}  // namespace

api_response openapi(const request_context&) {
  return json_response(200, openapi_document());
}

api_response live(const request_context&) {
  return json_response(200, dump({{"status", "alive"}, {"timestamp", format_timestamp(now_ms())}}));
}

api_response health(const request_context& c) {
  health_snapshot s = c.env.svc.health();
  bool healthy = s.database.status == "up" && s.cache.status != "down";
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                 c.env.started);
  return json_response(
      200,
      dump({{"status", healthy ? "healthy" : "degraded"},
            {"timestamp", format_timestamp(now_ms())},
            {"service", "violentutf-api"},
            {"version", VUTF_VERSION},
            {"environment", c.env.cfg.environment},
            {"uptime_seconds", uptime.count()},
            {"checks", {{"database", dependency(s.database)}, {"cache", dependency(s.cache)}}}}));
}

api_response ready(const request_context& c) {
  health_snapshot s = c.env.svc.health();
  pool_status db = c.env.svc.database_pool();
  cache_status cache = c.env.svc.cache_pool();
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
                {{"scheduler_threads", c.env.svc.scheduler_threads()},
                 {"max_connections", c.env.cfg.max_connections}}}};
  return json_response(ready ? 200 : 503, dump(body));
}

}  // namespace vutf::http
