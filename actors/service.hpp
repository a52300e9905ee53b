// The whole service in-process, without sockets. main.cpp wires the HTTP frontend to it, and
// tests build it directly to inject request messages straight into the supervisors:
//
//   vutf::service svc(settings, std::make_shared<vutf::metrics>());
//   auto created = svc.ask(vutf::target_create{t, svc.deadline()});
//   auto page = svc.ask(vutf::target_list{query, svc.deadline()});
//
// Each ask() sends one message and blocks the calling thread until the reply (the hottest reads
// are answered from the instance's near cache without one when it holds them); the supervisors
// answer every message by its deadline (REQUEST_TIMEOUT), and the wait ends reply_grace after
// it even if one does not, so a caller never waits forever. The header is free of CAF so
// including it stays cheap.
#pragma once

#include <chrono>
#include <memory>

#include "actors/messages.hpp"
#include "actors/service_messages.hpp"
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

  // One ask(message) per row of VUTF_SERVICE_MESSAGES (actors/service_messages.hpp), e.g.
  //   result<target> ask(target_create msg);
  // It sends the message to the actor that answers it and waits for the reply (authenticate,
  // target_fetch and target_list are answered on the calling thread instead when the near cache
  // holds what they need: the same answer without the two thread hand-offs), at most until
  // the message's deadline (a request's, for a message without one) plus reply_grace: if no
  // reply came by then, it returns REQUEST_TIMEOUT (rate_hit: no count, so the caller fails
  // open). Other failures to answer are INTERNAL_ERROR.
#define VUTF_DECLARE_ASK(message, reply, handle) reply ask(message msg);
  VUTF_SERVICE_MESSAGES(VUTF_DECLARE_ASK)
#undef VUTF_DECLARE_ASK
  // How long past a deadline an ask still waits: the actors answer REQUEST_TIMEOUT themselves
  // at the deadline, so this backstop only ends waits on an actor that failed to answer.
  static constexpr std::chrono::seconds reply_grace{2};

  // The circuit breaker of a target id (or "webhook:<origin>"): closed, open or half_open.
  std::string circuit_state(const std::string& circuit);
  // Scans running on this instance now.
  int64_t scans_running();
  // Runs a scheduler round as if the time were `now_ms` (unix ms) and waits for it: the scans
  // created for due schedule runs and the runs that could create none ({-1, -1} if the round
  // did not answer). The scheduler ticks by itself; tests choose the time instead of waiting.
  schedule_round run_schedules(int64_t now_ms);
  // Runs a retention round now (audit records past AUDIT_RETENTION_DAYS, expired
  // Idempotency-Key records) and waits for it: rows deleted, -1 if the round failed.
  int64_t purge_expired();
  // Queues an audit record (written in batches off the request path; never waits).
  void record(audit_record r);

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
