// Liveness, health, readiness and the OpenAPI document: no credentials, no rate limit.
#include <cmath>
#include <cstdio>

#include "config/json_writer.hpp"
#include "config/time.hpp"
#include "http/routes/routes.hpp"

#ifndef VUTF_VERSION
#define VUTF_VERSION "0.0.0"
#endif

namespace vutf::http {

const std::string& openapi_document();  // generated from http/openapi.json

namespace {

// The probes' checks, latencies to the microsecond. These bodies are written by the streaming
// writer, not a JSON tree: /live and /health are the routes load balancers call most.
void write_checks(json_writer& w, const health_snapshot& s) {
  w.key("checks").begin_object();
  for (auto [name, d] : {std::pair{"database", &s.database}, std::pair{"cache", &s.cache}}) {
    char latency[32] = "null";
    if (std::isfinite(d->latency_ms)) std::snprintf(latency, sizeof latency, "%.3f", d->latency_ms);
    w.key(name).begin_object().key("status").value(d->status).key("latency_ms").raw(latency);
    w.end_object();
  }
  w.end_object();
}

}  // namespace

api_response openapi(const request_context&) {
  return json_response(200, openapi_document());
}

api_response live(const request_context&) {
  json_writer w;
  w.begin_object().key("status").value(std::string("alive")).key("timestamp").timestamp(now_ms());
  return json_response(200, w.end_object().take());
}

api_response health(const request_context& c) {
  health_snapshot s = c.env.svc.health();
  bool healthy = s.database.status == "up" && s.cache.status != "down";
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                 c.env.started);
  json_writer w;
  w.begin_object()
      .key("status")
      .value(std::string(healthy ? "healthy" : "degraded"))
      .key("timestamp")
      .timestamp(now_ms())
      .key("service")
      .value(std::string("violentutf-api"))
      .key("version")
      .value(std::string(VUTF_VERSION))
      .key("environment")
      .value(c.env.cfg.environment)
      .key("uptime_seconds")
      .value(static_cast<int64_t>(uptime.count()));
  write_checks(w, s);
  return json_response(200, w.end_object().take());
}

api_response ready(const request_context& c) {
  health_snapshot s = c.env.svc.health();
  pool_status db = c.env.svc.database_pool();
  cache_status cache = c.env.svc.cache_pool();
  bool ready = s.database.status == "up";
  json_writer w;
  w.begin_object()
      .key("status")
      .value(std::string(ready ? "ready" : "not_ready"))
      .key("timestamp")
      .timestamp(now_ms());
  write_checks(w, s);
  w.key("pools").begin_object();
  w.key("database")
      .begin_object()
      .key("size")
      .value(db.size)
      .key("max_overflow")
      .value(db.max_overflow)
      .key("in_use")
      .value(db.in_use)
      .key("idle")
      .value(db.idle)
      .key("overflow_in_use")
      .value(db.overflow_in_use)
      .key("waiting")
      .value(db.waiting)
      .end_object();
  w.key("cache")
      .begin_object()
      .key("size")
      .value(cache.size)
      .key("in_use")
      .value(cache.in_use)
      .end_object();
  w.end_object();
  w.key("workers")
      .begin_object()
      .key("scheduler_threads")
      .value(c.env.svc.scheduler_threads())
      .key("max_connections")
      .value(c.env.cfg.max_connections)
      .end_object();
  return json_response(ready ? 200 : 503, w.end_object().take());
}

}  // namespace vutf::http
