// Every metric of the service, declared once in VUTF_METRICS: the table defines the members of
// `metrics` (named exactly as the metrics), registers them and generates the metrics section of
// docs/operations.md (`violentutf-api --metrics-docs`; a test fails when it is stale). Hot-path
// updates are lock-free prometheus-cpp counters and histograms; gauges about pools and the
// process are set by the metrics actor.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <initializer_list>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace prometheus {
class Registry;
}  // namespace prometheus

// PLAIN(name, Type, help): one series. LABELLED(name, Type, "label,label", help): a family whose
// series are picked with `.with({values})`. Type is Counter, Gauge or Histogram (histograms
// share the latency buckets, 0.5 ms to 60 s). Labels take bounded values only: route patterns,
// statement names, statuses; never raw paths or user input.
#define VUTF_METRICS(PLAIN, LABELLED)                                                              \
  LABELLED(http_requests_total, Counter, "method,route,status",                                    \
           "HTTP requests by method, route pattern (`unmatched` for 404s and rejected "            \
           "connections) and status.")                                                             \
  LABELLED(http_request_duration_seconds, Histogram, "method,route",                               \
           "HTTP request duration by method and route pattern.")                                   \
  PLAIN(http_requests_in_progress, Gauge, "Requests being served now.")                            \
  PLAIN(http_accept_paused_total, Counter,                                                         \
        "Times accepting stopped for 100 ms because the process ran out of file descriptors or "   \
        "memory (raise the descriptor limit or lower MAX_CONNECTIONS).")                           \
  LABELLED(health_check_duration_seconds, Histogram, "check",                                      \
           "Duration of one dependency probe by check (`database`, `cache`).")                     \
  LABELLED(db_statement_duration_seconds, Histogram, "statement",                                  \
           "Database work by statement name, pool wait excluded.")                                 \
  PLAIN(db_pool_size, Gauge, "Persistent database connections (DATABASE_POOL_SIZE).")              \
  PLAIN(db_pool_max_overflow, Gauge, "DATABASE_MAX_OVERFLOW.")                                     \
  PLAIN(db_pool_in_use, Gauge, "Database connections running a statement.")                        \
  PLAIN(db_pool_idle, Gauge, "Open database connections waiting for work.")                        \
  PLAIN(db_pool_overflow_in_use, Gauge, "Overflow connections currently open.")                    \
  PLAIN(db_pool_waiting, Gauge, "Requests waiting for a free connection.")                         \
  PLAIN(db_pool_timeouts_total, Counter,                                                           \
        "Requests answered DB_POOL_EXHAUSTED after DATABASE_POOL_TIMEOUT.")                        \
  PLAIN(db_write_batches_total, Counter,                                                           \
        "Transactions that ran two or more waiting writes at once (group commit).")                \
  PLAIN(db_batched_writes_total, Counter,                                                          \
        "Writes that ran in such a transaction; over db_write_batches_total, the mean batch "      \
        "size.")                                                                                   \
  PLAIN(db_connections_replaced_total, Counter,                                                    \
        "Connection actors replaced after dying or losing the database.")                          \
  PLAIN(database_replica_up, Gauge,                                                                \
        "1 while the read replica (DATABASE_READ_URL) answers within "                             \
        "DATABASE_READ_MAX_LAG_SECONDS; 0 while reads go to the primary, or without a replica.")   \
  PLAIN(database_replica_lag_seconds, Gauge, "The read replica's replay lag when last checked.")   \
  LABELLED(database_reads_total, Counter, "pool",                                                  \
           "Reads a replica may serve (lists, reports, exports, statistics) by the pool that "     \
           "answered: `replica`, or `primary` (no replica, it is down or lagging, or the "         \
           "caller's own write is not replayed yet).")                                             \
  PLAIN(cache_hits_total, Counter,                                                                 \
        "Cache lookups that found a value (in the near cache or the shared one).")                 \
  PLAIN(cache_misses_total, Counter, "Cache lookups that found nothing.")                          \
  PLAIN(cache_errors_total, Counter,                                                               \
        "Cache commands that failed or timed out (treated as misses).")                            \
  PLAIN(cache_pool_size, Gauge, "Cache connection actors.")                                        \
  PLAIN(cache_bump_batches_total, Counter,                                                         \
        "Round trips that bumped the scopes of two or more writes at once (group commit).")        \
  PLAIN(cache_batched_bumps_total, Counter,                                                        \
        "Writes' bumps sent in such a round trip; over cache_bump_batches_total, the mean batch "  \
        "size.")                                                                                   \
  PLAIN(cache_pool_in_use, Gauge, "Cache connection actors busy now.")                             \
  PLAIN(near_cache_hits_total, Counter,                                                            \
        "Reads served from this instance's near cache (no message to the cache, no Redis call).")  \
  PLAIN(near_cache_misses_total, Counter,                                                          \
        "Near cache reads that went on to the shared cache (or, in-process, the database).")       \
  PLAIN(near_cache_invalidations_total, Counter,                                                   \
        "Cache scopes invalidated in the near cache: by a write on this instance or by Redis' "    \
        "invalidation message for a write anywhere.")                                              \
  PLAIN(near_cache_flushes_total, Counter,                                                         \
        "Times the near cache was emptied whole: its invalidation connection was lost (it is "     \
        "then bypassed until back) or Redis flushed its database.")                                \
  PLAIN(list_index_builds_total, Counter,                                                          \
        "Reads of an owner's target keys into the list index: that owner's first list page since " \
        "a change this instance could not carry forward (another instance's write, a lost bump).") \
  PLAIN(near_cache_entries, Gauge, "Values the near cache holds (NEAR_CACHE_ENTRIES bounds it).")  \
  PLAIN(                                                                                           \
      list_index_keys, Gauge,                                                                      \
      "Target keys the list index holds over all owners (24 bytes each; at most 2^20): it grows "  \
      "with the lists it serves.")                                                                 \
  PLAIN(near_cache_active, Gauge,                                                                  \
        "1 while the near cache serves; 0 while it is bypassed (no invalidation connection).")     \
  PLAIN(rate_limited_total, Counter, "Requests answered 429 by a rate limit.")                     \
  PLAIN(rate_limit_fail_open_total, Counter,                                                       \
        "Requests let through because the rate limit store failed.")                               \
  PLAIN(audit_records_written_total, Counter, "Audit records stored.")                             \
  PLAIN(audit_records_dropped_total, Counter, "Audit records dropped because the queue was full.") \
  PLAIN(audit_records_rejected_total, Counter,                                                     \
        "Audit records dropped because the database refused them (written one at a time after "    \
        "their batch failed).")                                                                    \
  PLAIN(audit_queue_size, Gauge, "Audit records waiting to be written.")                           \
  LABELLED(retention_rows_deleted_total, Counter, "table",                                         \
           "Rows purged after their retention (`audit_logs`, `idempotency_keys`).")                \
  PLAIN(scans_running, Gauge, "Scans running on this instance.")                                   \
  PLAIN(scans_queued, Gauge, "Scans waiting for a worker in the queue all instances share.")       \
  LABELLED(scans_total, Counter, "status", "Scans that ended, by final status.")                   \
  PLAIN(scan_prompts_sent_total, Counter, "Prompts sent to targets and answered or given up on.")  \
  LABELLED(findings_total, Counter, "severity", "Vulnerable replies found, by severity.")          \
  LABELLED(                                                                                        \
      target_call_duration_seconds, Histogram, "kind,role",                                        \
      "Outbound calls by kind (`openai-chat`, `http-json`, `webhook`) and role (`target`: a "      \
      "prompt under test, `judge`: a verdict, `attacker`: a multi-turn attack's next message, "    \
      "`webhook`).")                                                                               \
  PLAIN(target_call_retries_total, Counter,                                                        \
        "Target calls repeated after a 429, a 5xx or no answer.")                                  \
  LABELLED(circuit_breakers, Gauge, "kind,state",                                                  \
           "Circuits not closed, by kind (`target`, `webhook`) and state (`open`, `half_open`).")  \
  LABELLED(circuit_breaker_transitions_total, Counter, "to",                                       \
           "Circuit state changes, by the state entered.")                                         \
  LABELLED(target_call_throttles_total, Counter, "cause",                                          \
           "Target calls held back: over the target's rate_limit_rpm (`rate_limit`), or by the "   \
           "pace a 429 from the target lowered (`target_429`).")                                   \
  LABELLED(webhook_deliveries_total, Counter, "outcome",                                           \
           "Webhook attempts: delivered, retried (will try again) or failed (gave up).")           \
  PLAIN(scheduler_threads, Gauge, "Actor scheduler worker threads.")                               \
  LABELLED(actor_mailbox_size, Gauge, "actor",                                                     \
           "Messages waiting in a supervisor's mailbox (`db_pool`, `cache`).")                     \
  PLAIN(process_cpu_seconds_total, Counter,                                                        \
        "User and system CPU time used (sampled every second).")                                   \
  PLAIN(process_resident_memory_bytes, Gauge,                                                      \
        "Resident set size of the process (sampled every second).")                                \
  PLAIN(process_start_time_seconds, Gauge,                                                         \
        "When the process started, in seconds since the epoch.")                                   \
  LABELLED(build_info, Gauge, "version", "Always 1; the label says which build is running.")

namespace vutf {

// A labelled family: `with({values...})` is the series of those label values (in the order the
// table names the labels), added on first use and then found under a shared lock, so the hot
// path never pays prometheus' Family::Add.
template <class M>
class labelled {
 public:
  labelled(prometheus::Family<M>& family, std::vector<std::string> labels);
  M& with(std::initializer_list<std::string> values);

 private:
  prometheus::Family<M>& family_;
  std::vector<std::string> labels_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, M*> series_;
};

class metrics {
 public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

 private:
  explicit metrics(std::shared_ptr<prometheus::Registry> r);
  std::shared_ptr<prometheus::Registry> registry_;  // first: the members register in it

 public:
#define VUTF_METRIC_PLAIN_MEMBER(name, type, help) prometheus::type& name;
#define VUTF_METRIC_LABELLED_MEMBER(name, type, labels, help) labelled<prometheus::type> name;
  VUTF_METRICS(VUTF_METRIC_PLAIN_MEMBER, VUTF_METRIC_LABELLED_MEMBER)
#undef VUTF_METRIC_PLAIN_MEMBER
#undef VUTF_METRIC_LABELLED_MEMBER

  std::shared_ptr<prometheus::Registry> registry() const {
    return registry_;
  }
  // The text exposition format, as /metrics serves it.
  std::string exposition() const;
};

// The metrics section of docs/operations.md, generated from VUTF_METRICS.
std::string metrics_markdown();

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
