#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

namespace vutf {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries latency_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r).Add({});
}
prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

metrics::metrics() : metrics(std::make_shared<prometheus::Registry>()) {}

metrics::metrics(std::shared_ptr<prometheus::Registry> r)
    : requests_in_progress(gauge(*r, "http_requests_in_progress", "Requests being served now.")),
      db_pool_size(
          gauge(*r, "db_pool_size", "Persistent database connections (DATABASE_POOL_SIZE).")),
      db_pool_max_overflow(gauge(*r, "db_pool_max_overflow", "DATABASE_MAX_OVERFLOW.")),
      db_pool_in_use(gauge(*r, "db_pool_in_use", "Database connections running a statement.")),
      db_pool_idle(gauge(*r, "db_pool_idle", "Open database connections waiting for work.")),
      db_pool_overflow_in_use(
          gauge(*r, "db_pool_overflow_in_use", "Overflow connections currently open.")),
      db_pool_waiting(gauge(*r, "db_pool_waiting", "Requests waiting for a free connection.")),
      db_pool_timeouts(counter(*r, "db_pool_timeouts_total",
                               "Requests answered DB_POOL_EXHAUSTED after DATABASE_POOL_TIMEOUT.")),
      db_connections_replaced(counter(*r, "db_connections_replaced_total",
                                      "Connection actors replaced after dying or losing the "
                                      "database.")),
      cache_hits(counter(*r, "cache_hits_total", "Cache lookups that found a value.")),
      cache_misses(counter(*r, "cache_misses_total", "Cache lookups that found nothing.")),
      cache_errors(counter(*r, "cache_errors_total",
                           "Cache commands that failed or timed out (treated as misses).")),
      cache_pool_size(gauge(*r, "cache_pool_size", "Cache connection actors.")),
      cache_pool_in_use(gauge(*r, "cache_pool_in_use", "Cache connection actors busy now.")),
      rate_limited(counter(*r, "rate_limited_total", "Requests answered 429 by a rate limit.")),
      rate_limit_fail_open(counter(*r, "rate_limit_fail_open_total",
                                   "Requests let through because the rate limit store failed.")),
      audit_written(counter(*r, "audit_records_written_total", "Audit records stored.")),
      audit_dropped(counter(*r, "audit_records_dropped_total",
                            "Audit records dropped because the queue was full.")),
      audit_queue(gauge(*r, "audit_queue_size", "Audit records waiting to be written.")),
      scans_running(gauge(*r, "scans_running", "Scans running on this instance.")),
      prompts_sent(counter(*r, "scan_prompts_sent_total",
                           "Prompts sent to targets and answered or given up on.")),
      target_retries(counter(*r, "target_call_retries_total",
                             "Target calls repeated after a 429, a 5xx or no answer.")),
      scheduler_threads(gauge(*r, "scheduler_threads", "Actor scheduler worker threads.")),
      process_cpu_seconds(gauge(*r, "process_cpu_seconds", "User and system CPU time used.")),
      process_resident_memory_bytes(
          gauge(*r, "process_resident_memory_bytes", "Resident set size of the process.")),
      registry_(r),
      requests_total_(BuildCounter()
                          .Name("http_requests_total")
                          .Help("HTTP requests by method, route pattern and status.")
                          .Register(*r)),
      request_duration_(BuildHistogram()
                            .Name("http_request_duration_seconds")
                            .Help("HTTP request duration by method and route pattern.")
                            .Register(*r)),
      health_duration_(BuildHistogram()
                           .Name("health_check_duration_seconds")
                           .Help("Duration of one dependency probe by check.")
                           .Register(*r)),
      statement_duration_(BuildHistogram()
                              .Name("db_statement_duration_seconds")
                              .Help("Database work by statement name, pool wait excluded.")
                              .Register(*r)),
      mailbox_(BuildGauge()
                   .Name("actor_mailbox_size")
                   .Help("Messages waiting in a supervisor's mailbox.")
                   .Register(*r)),
      scans_total_(BuildCounter()
                       .Name("scans_total")
                       .Help("Scans that ended, by final status.")
                       .Register(*r)),
      findings_total_(BuildCounter()
                          .Name("findings_total")
                          .Help("Vulnerable replies found, by severity.")
                          .Register(*r)),
      target_call_duration_(BuildHistogram()
                                .Name("target_call_duration_seconds")
                                .Help("Outbound calls by kind (openai-chat, http-json, webhook).")
                                .Register(*r)),
      circuit_state_(BuildGauge()
                         .Name("circuit_breaker_state")
                         .Help("Circuit per target or webhook host: 0 closed, 1 open, 2 half-open.")
                         .Register(*r)),
      circuit_transitions_(BuildCounter()
                               .Name("circuit_breaker_transitions_total")
                               .Help("Circuit state changes, by the state entered.")
                               .Register(*r)),
      webhook_deliveries_(BuildCounter()
                              .Name("webhook_deliveries_total")
                              .Help("Webhook attempts: delivered, retried (will try again) or "
                                    "failed (gave up).")
                              .Register(*r)) {}

metrics::~metrics() = default;

void metrics::observe_request(const std::string& method, const std::string& route, int status,
                              double seconds) {
  std::string key = method + ' ' + route + ' ' + std::to_string(status);
  request_series s{};
  {
    std::shared_lock lock(series_mutex_);
    auto it = request_series_.find(key);
    if (it != request_series_.end()) s = it->second;
  }
  if (!s.count) {
    std::unique_lock lock(series_mutex_);
    auto& slot = request_series_[key];
    if (!slot.count) {
      slot.count = &requests_total_.Add(
          {{"method", method}, {"route", route}, {"status", std::to_string(status)}});
      slot.duration =
          &request_duration_.Add({{"method", method}, {"route", route}}, latency_buckets);
    }
    s = slot;
  }
  s.count->Increment();
  s.duration->Observe(seconds);
}

namespace {

prometheus::Histogram& labelled(std::shared_mutex& m,
                                std::unordered_map<std::string, prometheus::Histogram*>& cache,
                                prometheus::Family<prometheus::Histogram>& family,
                                const char* label, const std::string& value) {
  std::string key = std::string(label) + '=' + value;
  {
    std::shared_lock lock(m);
    auto it = cache.find(key);
    if (it != cache.end()) return *it->second;
  }
  std::unique_lock lock(m);
  auto& slot = cache[key];
  if (!slot) slot = &family.Add({{label, value}}, latency_buckets);
  return *slot;
}

}  // namespace

void metrics::observe_health_check(const std::string& check, double seconds) {
  labelled(series_mutex_, histograms_, health_duration_, "check", check).Observe(seconds);
}

void metrics::observe_statement(const std::string& statement, double seconds) {
  labelled(series_mutex_, histograms_, statement_duration_, "statement", statement)
      .Observe(seconds);
}

prometheus::Counter& metrics::labelled_counter(prometheus::Family<prometheus::Counter>& family,
                                               const char* label, const std::string& value) {
  std::string key = family.GetName() + '|' + label + '=' + value;
  {
    std::shared_lock lock(series_mutex_);
    auto it = counters_.find(key);
    if (it != counters_.end()) return *it->second;
  }
  std::unique_lock lock(series_mutex_);
  auto& slot = counters_[key];
  if (!slot) slot = &family.Add({{label, value}});
  return *slot;
}

void metrics::scan_finished(const std::string& status) {
  labelled_counter(scans_total_, "status", status).Increment();
}

void metrics::findings(const std::string& severity, int64_t n) {
  labelled_counter(findings_total_, "severity", severity).Increment(static_cast<double>(n));
}

void metrics::observe_target_call(const std::string& kind, double seconds) {
  labelled(series_mutex_, histograms_, target_call_duration_, "kind", kind).Observe(seconds);
}

void metrics::circuit_changed(const std::string& circuit, const std::string& to, int state) {
  labelled_counter(circuit_transitions_, "to", to).Increment();
  std::unique_lock lock(series_mutex_);
  circuit_state_.Add({{"circuit", circuit}}).Set(state);
}

void metrics::webhook_delivery(const std::string& outcome) {
  labelled_counter(webhook_deliveries_, "outcome", outcome).Increment();
}

prometheus::Gauge& metrics::mailbox_size(const std::string& actor) {
  std::unique_lock lock(series_mutex_);
  return mailbox_.Add({{"actor", actor}});
}

std::string metrics::exposition() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

struct metrics_server::impl {
  prometheus::Exposer exposer;
  impl(const std::string& address) : exposer(address, 2) {}
};

metrics_server::metrics_server(std::shared_ptr<metrics> m, const std::string& host, int port) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  impl_ = std::make_unique<impl>(h + ":" + std::to_string(port));
  impl_->exposer.RegisterCollectable(m->registry());
}

metrics_server::~metrics_server() = default;

int metrics_server::port() const {
  auto ports = impl_->exposer.GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace vutf
