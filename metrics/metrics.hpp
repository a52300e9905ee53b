// Every metric of the service, declared once. Hot-path updates are lock-free prometheus-cpp
// counters/histograms; gauges about pools and the process are set by the metrics actor.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace vutf {

class metrics {
 public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // One finished HTTP request; `route` is the pattern (/api/v1/targets/{id}) or "unmatched".
  void observe_request(const std::string& method, const std::string& route, int status,
                       double seconds);
  prometheus::Gauge& requests_in_progress;

  void observe_health_check(const std::string& check, double seconds);
  void observe_statement(const std::string& statement, double seconds);

  // Database pool (set by the pool supervisor on every change).
  prometheus::Gauge& db_pool_size;
  prometheus::Gauge& db_pool_max_overflow;
  prometheus::Gauge& db_pool_in_use;
  prometheus::Gauge& db_pool_idle;
  prometheus::Gauge& db_pool_overflow_in_use;
  prometheus::Gauge& db_pool_waiting;
  prometheus::Counter& db_pool_timeouts;
  prometheus::Counter& db_connections_replaced;

  // Cache.
  prometheus::Counter& cache_hits;
  prometheus::Counter& cache_misses;
  prometheus::Counter& cache_errors;
  prometheus::Gauge& cache_pool_size;
  prometheus::Gauge& cache_pool_in_use;

  // Rate limits.
  prometheus::Counter& rate_limited;          // requests answered 429
  prometheus::Counter& rate_limit_fail_open;  // requests let through because the store failed

  // Audit trail.
  prometheus::Counter& audit_written;  // records stored
  prometheus::Counter& audit_dropped;  // records dropped because the queue was full
  prometheus::Gauge& audit_queue;      // records waiting to be written

  // Red-teaming engine.
  prometheus::Gauge& scans_running;     // scans running on this instance
  prometheus::Counter& prompts_sent;    // prompts answered or given up on
  prometheus::Counter& target_retries;  // target calls repeated after 429, 5xx or no answer
  void scan_finished(const std::string& status);                      // scans_total{status}
  void findings(const std::string& severity, int64_t n);              // findings_total{severity}
  void observe_target_call(const std::string& kind, double seconds);  // by target kind
  // circuit_breaker_state{circuit}: 0 closed, 1 open, 2 half-open; plus the transition counted.
  void circuit_changed(const std::string& circuit, const std::string& to, int state);
  void webhook_delivery(const std::string& outcome);  // delivered | retried | failed

  // Actor system and process (sampled by the metrics actor).
  prometheus::Gauge& scheduler_threads;
  prometheus::Gauge& process_cpu_seconds;
  prometheus::Gauge& process_resident_memory_bytes;
  prometheus::Gauge& mailbox_size(const std::string& actor);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The text exposition format, as /metrics serves it.
  std::string exposition() const;

 private:
  explicit metrics(std::shared_ptr<prometheus::Registry> r);
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_total_;
  prometheus::Family<prometheus::Histogram>& request_duration_;
  prometheus::Family<prometheus::Histogram>& health_duration_;
  prometheus::Family<prometheus::Histogram>& statement_duration_;
  prometheus::Family<prometheus::Gauge>& mailbox_;
  prometheus::Family<prometheus::Counter>& scans_total_;
  prometheus::Family<prometheus::Counter>& findings_total_;
  prometheus::Family<prometheus::Histogram>& target_call_duration_;
  prometheus::Family<prometheus::Gauge>& circuit_state_;
  prometheus::Family<prometheus::Counter>& circuit_transitions_;
  prometheus::Family<prometheus::Counter>& webhook_deliveries_;
  prometheus::Counter& labelled_counter(prometheus::Family<prometheus::Counter>& family,
                                        const char* label, const std::string& value);

  // Label sets already added, so the hot path pays a shared-lock lookup, not Family::Add.
  struct request_series {
    prometheus::Counter* count;
    prometheus::Histogram* duration;
  };
  std::shared_mutex series_mutex_;
  std::unordered_map<std::string, request_series> request_series_;
  std::unordered_map<std::string, prometheus::Histogram*> histograms_;
  std::unordered_map<std::string, prometheus::Counter*> counters_;
};

// Serves metrics.exposition() at http://host:port/metrics; port 0 picks a free port.
class metrics_server {
 public:
  metrics_server(std::shared_ptr<metrics> m, const std::string& host, int port);
  ~metrics_server();
  int port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace vutf
