// The whole service in-process, without sockets. main.cpp wires the HTTP frontend to it, and
// tests build it directly to inject request messages straight into the supervisors:
//
//   vutf::service svc(settings, std::make_shared<vutf::metrics>());
//   auto created = svc.ask(vutf::target_create{t, svc.deadline()});
//   auto page = svc.ask(vutf::target_list{query, svc.deadline()});
//
// Each ask() sends one message and blocks the calling thread until the reply; the supervisors
// answer every message by its deadline (REQUEST_TIMEOUT), so a caller never waits forever.
// The header is free of CAF so including it stays cheap.
#pragma once

#include <memory>

#include "actors/messages.hpp"
#include "config/settings.hpp"
#include "domain/audit.hpp"
#include "domain/scan.hpp"

namespace vutf {

class metrics;

class service {
 public:
  // Waits for the database (retrying with backoff and logging each attempt), applies the
  // migrations, resolves the signing key (SECRET_KEY, or in development one generated once and
  // kept in the database), creates the ADMIN_* account if it is configured and missing, and
  // starts the actor system and every supervisor. Throws std::runtime_error when the database
  // does not answer in time, std::invalid_argument when ADMIN_* break the registration rules.
  service(const settings& s, std::shared_ptr<metrics> m);
  // Writes the queued audit records, then stops the supervisors and closes the pools
  // (in-flight database work finishes first).
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  result<target> ask(target_create msg);
  result<target> ask(target_get msg);
  result<target_page> ask(target_list msg);
  result<target> ask(target_update msg);
  result<nothing> ask(target_delete msg);
  result<target_check> ask(target_test msg);
  result<scan> ask(scan_create msg);
  result<scan> ask(scan_get msg);
  result<scan_page> ask(scan_list msg);
  result<scan> ask(scan_cancel msg);
  result<result_page> ask(scan_results_get msg);
  result<scan_report> ask(scan_report_get msg);
  result<std::vector<scan_result>> ask(scan_results_after msg);
  result<stats_overview> ask(stats_get msg);
  // The circuit breaker of a target id (or "webhook:<origin>"): closed, open or half_open.
  std::string circuit_state(const std::string& circuit);
  // Scans running on this instance now.
  int64_t scans_running();
  result<user> ask(user_register msg);
  result<token_pair> ask(user_login msg);
  result<token_pair> ask(token_refresh msg);
  result<principal> ask(authenticate msg);
  result<nothing> ask(session_logout msg);
  result<user> ask(user_me msg);
  result<std::vector<session_record>> ask(session_list msg);
  result<nothing> ask(session_revoke msg);
  result<nothing> ask(sessions_revoke_others msg);
  result<user> ask(user_update_me msg);
  result<nothing> ask(password_change msg);
  result<user_page> ask(user_list msg);
  result<user> ask(user_get msg);
  result<user> ask(user_update msg);
  result<nothing> ask(user_delete msg);
  result<api_key_created> ask(api_key_create msg);
  result<std::vector<api_key>> ask(api_key_list msg);
  result<nothing> ask(api_key_revoke msg);
  result<api_key_created> ask(api_key_rotate msg);

  result<std::optional<stored_response>> ask(idempotency_claim msg);
  result<nothing> ask(idempotency_save msg);
  result<nothing> ask(idempotency_release msg);

  // Queues an audit record (written in batches off the request path; never waits).
  void record(audit_record r);
  result<audit_page> ask(audit_list msg);
  result<audit_record> ask(audit_get msg);
  result<audit_stats> ask(audit_stats_get msg);
  result<std::vector<audit_record>> ask(audit_export_page msg);

  // Counts a request against a rate limit window (Redis when configured, else in-process).
  rate_count ask(rate_hit msg);

  pool_status database_pool();
  cache_status cache_pool();
  // The latest dependency probe (at most a probe interval old); never waits.
  health_snapshot health() const;
  // Probes now and waits for the result (tests, startup).
  health_snapshot probe();

  // Worker threads of the running actor scheduler.
  int64_t scheduler_threads() const;
  const settings& config() const;
  // now + REQUEST_TIMEOUT: the deadline of a request that starts now.
  clock::time_point deadline() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace vutf
