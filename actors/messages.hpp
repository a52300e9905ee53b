// Message types exchanged with the supervisors, declared once. Plain structs without CAF so the
// HTTP frontend and tests can build them cheaply; actors/caf_types.hpp registers them with CAF.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/audit.hpp"
#include "domain/error.hpp"
#include "domain/findings.hpp"
#include "domain/frameworks.hpp"
#include "domain/identity.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "domain/schedule.hpp"
#include "domain/target.hpp"
#include "domain/webhook.hpp"
#include "outbound/target_client.hpp"
#include "storage/audit_store.hpp"
#include "storage/database.hpp"
#include "storage/idempotency_store.hpp"
#include "storage/list_index.hpp"
#include "storage/scan_store.hpp"

namespace vutf {

using clock = std::chrono::steady_clock;

// A domain reply: either `value` or `error`.
template <class T>
struct result {
  std::optional<failure> error;
  T value{};
  bool ok() const { return !error; }
  static result fail(errc code, std::string detail, std::vector<field_error> errors = {}) {
    return result{failure{code, std::move(detail), std::move(errors)}, T{}};
  }
};

struct nothing {};

// ---- targets (answered by the targets actors) ----
// `who` is the authenticated caller: a user sees and changes only their own targets, an admin
// every target; anyone else's target is "not found".
struct target_create {
  principal who;
  target value;  // id, owner, version and timestamps are assigned by the actor
  clock::time_point deadline;
};
struct target_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct target_list {
  principal who;
  target_query query;  // owner_id is set by the actor from `who`
  clock::time_point deadline;
};
struct target_update {
  principal who;
  std::string id;
  target_patch patch;
  std::optional<int64_t> if_match;  // the version the client read, from If-Match
  clock::time_point deadline;
};
struct target_delete {
  principal who;
  std::string id;
  std::optional<int64_t> if_match;
  clock::time_point deadline;
};

// Sends one harmless prompt to the caller's target and reports how it answered.
struct target_test {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct target_check {
  bool ok = false;  // answered 2xx with a readable reply
  int64_t latency_ms = 0;
  int status_code = 0;  // 0: no HTTP answer
  std::string sample;   // the start of the reply
  std::string error;    // why not ok
};

// ---- scans (answered by the scans actor; a user sees only their own scans) ----
struct scan_create {
  principal who;
  scan_request request;
  clock::time_point deadline;
};
struct scan_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct scan_list {
  principal who;
  scan_query query;  // owner_id is set by the actor from `who`
  clock::time_point deadline;
};
// Cancels a queued or running scan (CONFLICT once it has ended).
struct scan_cancel {
  principal who;
  std::string id;
  clock::time_point deadline;
};
// A page of a scan's results, or of its findings only.
struct scan_results_get {
  principal who;
  std::string id;
  bool findings_only = false;
  int64_t page = 1;
  int64_t per_page = 20;
  clock::time_point deadline;
};
// What a report says before its findings: the scan, its target and findings per probe set.
struct scan_report_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct scan_report {
  scan summary;
  std::optional<target> of;  // nullopt once the target was deleted
  std::map<std::string, int64_t> findings_by_probe;
  findings_by_framework frameworks;  // the findings under the tags of the sets the scan ran
};
// Up to `limit` results (or findings) after `after_seq`: how reports are streamed.
struct scan_results_after {
  principal who;
  std::string id;
  bool findings_only = true;
  int64_t after_seq = -1;
  int64_t limit = 500;
  clock::time_point deadline;
};
// PATCH /scans/{id}/findings/{finding_id}: the finding's triage changed; the finding as it is now.
struct finding_triage {
  principal who;
  std::string scan_id;
  int64_t seq = 0;
  triage_change change;
  clock::time_point deadline;
};
// GET /scans/{id}/diff: the scan against `baseline`, or (nullopt) against its implicit baseline.
struct scan_diff_get {
  principal who;
  std::string id;
  std::optional<std::string> baseline;
  clock::time_point deadline;
};
struct stats_get {
  principal who;
  clock::time_point deadline;
};
// What the caller's runnable sets, scans and findings cover of OWASP LLM 2025 and MITRE ATLAS.
struct coverage_get {
  principal who;
  clock::time_point deadline;
};

// ---- probe sets (answered by the probe sets actor) ----
// A user's own sets, named by a slug unique per owner: every message acts on the caller's sets
// only (admins included: the same slug names a different set for each owner).
struct probe_set_create {
  principal who;
  probe_set value;  // owner, source, version and timestamps are assigned by the actor
  clock::time_point deadline;
};
struct probe_set_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct probe_set_list {
  principal who;
  int64_t page = 1;
  int64_t per_page = 20;
  clock::time_point deadline;
};
struct probe_set_update {
  principal who;
  std::string id;
  probe_set_patch patch;
  std::optional<int64_t> if_match;  // the version the client read, from If-Match
  clock::time_point deadline;
};
struct probe_set_delete {
  principal who;
  std::string id;
  std::optional<int64_t> if_match;
  clock::time_point deadline;
};
// GET /probes: the built-in sets (with their prompts), then the caller's own (without).
struct probe_catalog_get {
  principal who;
  int64_t page = 1;
  int64_t per_page = 20;
  clock::time_point deadline;
};

// ---- outbound calls (answered by the gateway) ----
// One call through the concurrency limit and circuit breaker of `circuit` (a target id, or
// "webhook:<origin>"); answered with an outbound_reply, never an error.
struct target_call {
  std::string circuit;
  std::string kind;  // metrics label: openai-chat | http-json | webhook
  int64_t max_concurrency = 1;
  outbound_call call;
  int64_t rate_limit_rpm = 0;  // calls per minute to the circuit, all instances (0: unlimited)
  // metrics label: what the call is for: target (a prompt under test), judge (a verdict),
  // attacker (a crescendo set's next message) or webhook
  std::string role = "target";
};

// ---- scan schedules (answered by the schedules actor; a user sees only their own) ----
struct schedule_create {
  principal who;
  schedule_fields fields;  // target_id and probes present; timing checked by the actor
  clock::time_point deadline;
};
struct schedule_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct schedule_list {
  principal who;
  int64_t page = 1;
  int64_t per_page = 20;
  clock::time_point deadline;
};
struct schedule_update {
  principal who;
  std::string id;
  schedule_fields fields;
  std::optional<int64_t> if_match;  // the version the client read, from If-Match
  clock::time_point deadline;
};
struct schedule_delete {
  principal who;
  std::string id;
  std::optional<int64_t> if_match;
  clock::time_point deadline;
};
// What one scheduler round did: scans created for due runs, and runs that could create none
// (each a schedule.failed event).
struct schedule_round {
  int64_t created = 0;
  int64_t failed = 0;
};

// ---- webhooks (answered by the webhooks actor; a user sees and changes only their own) ----
struct webhook_create {
  principal who;
  std::string url;
  std::vector<std::string> events;
  clock::time_point deadline;
};
struct webhook_list {
  principal who;
  int64_t page = 1;
  int64_t per_page = 20;
  clock::time_point deadline;
};
struct webhook_delete {
  principal who;
  std::string id;
  clock::time_point deadline;
};
// A new secret; the old one signs nothing from now on.
struct webhook_rotate {
  principal who;
  std::string id;
  clock::time_point deadline;
};
// An event of `owner_id`'s (fire and forget): every webhook of theirs subscribed to `type` and
// the one at `url` (a scan's webhook_url, whatever it subscribed to) receive `body` once each.
struct webhook_event {
  std::string id;  // the webhook-id header of every delivery of it: one per event
  std::string owner_id;
  std::string type;  // e.g. "scan.completed"
  std::optional<std::string> url;
  std::string body;     // {"type", "timestamp", "data"}
  int64_t attempt = 1;  // of finding the recipients (retried while the database is away)
};
// One attempt to deliver event `message_id` to the webhook `webhook_id`; signed at each attempt
// with the webhook's secret as it is then, retried with backoff.
struct webhook_delivery {
  std::string webhook_id;
  std::string message_id;  // the webhook-id header: one per event, the same on every retry
  std::string body;
  int64_t attempt = 1;
};

// ---- identity (answered by the identity actor) ----
// What a request presents: a bearer token, an API key, or nothing.
struct credentials {
  std::string bearer;
  std::string api_key;
};
struct client_info {
  std::string ip;
  std::string user_agent;
};
struct user_register {
  std::string username;
  std::string email;
  std::string password;
  std::optional<std::string> full_name;
  clock::time_point deadline;
};
struct user_login {
  std::string login;  // username or email
  std::string password;
  client_info client;
  clock::time_point deadline;
};
struct token_pair {
  std::string access_token;
  std::string refresh_token;
  int64_t expires_in = 0;  // seconds
  // Whose session the tokens open: the audit record's actor (never rendered).
  std::string user_id;
  std::string session_id;
};
struct token_refresh {
  std::string refresh_token;
  clock::time_point deadline;
};
struct authenticate {
  credentials presented;
  clock::time_point deadline;
};
// GET /targets/{id} in one round trip: the targets actor authenticates the presented credentials
// itself (through the near cache, like `authenticate`) and reads the target as that caller.
struct target_fetch {
  credentials presented;
  std::string id;
  clock::time_point deadline;
};
// The answer to a message that carries credentials: who they authenticated as (nullopt: nobody,
// and `reply` holds UNAUTHORIZED or the failure that stopped the check) and the reply itself.
template <class T>
struct as_caller {
  std::optional<principal> who;
  result<T> reply;
};
using target_as_caller = as_caller<target>;
struct session_logout {
  principal who;
  clock::time_point deadline;
};
struct user_me {
  principal who;
  clock::time_point deadline;
};

struct session_list {
  principal who;
  clock::time_point deadline;
};
struct session_revoke {
  principal who;
  std::string id;
  clock::time_point deadline;
};
// Revokes every session of the caller but the current one.
struct sessions_revoke_others {
  principal who;
  clock::time_point deadline;
};
struct user_update_me {
  principal who;
  std::optional<std::string> email;
  std::optional<std::optional<std::string>> full_name;
  std::optional<int64_t> if_match;
  clock::time_point deadline;
};
// Changes the caller's password and revokes every other session.
struct password_change {
  principal who;
  std::string current_password;
  std::string new_password;
  bool keep_api_keys = false;  // false: the user's API keys are revoked with the old password
  clock::time_point deadline;
};

// ---- user administration (admins only; others get FORBIDDEN) ----
struct user_list {
  principal who;
  user_query query;
  clock::time_point deadline;
};
struct user_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct user_patch {
  std::optional<std::string> email;
  std::optional<std::optional<std::string>> full_name;
  std::optional<bool> is_active;
  std::optional<std::vector<std::string>> roles;
};
struct user_update {
  principal who;
  std::string id;
  user_patch patch;
  std::optional<int64_t> if_match;
  clock::time_point deadline;
};
// Soft delete: the user's sessions and API keys stop working at once.
struct user_delete {
  principal who;
  std::string id;
  clock::time_point deadline;
};
using user_page = page_of<user>;

struct api_key_create {
  principal who;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<int64_t> expires_in_days;
  clock::time_point deadline;
};
struct api_key_list {
  principal who;
  clock::time_point deadline;
};
struct api_key_revoke {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct api_key_rotate {
  principal who;
  std::string id;
  clock::time_point deadline;
};

// ---- idempotency keys (answered by the idempotency actor) ----
struct idempotency_claim {
  std::string caller;  // "user:<id>", "key:<id>" or "ip:<address>"
  std::string key;
  std::string request_hash;
  clock::time_point deadline;
};
struct idempotency_save {
  std::string caller;
  std::string key;
  stored_response response;
  clock::time_point deadline;
};
struct idempotency_release {
  std::string caller;
  std::string key;
  clock::time_point deadline;
};

// ---- audit trail (answered by the audit actor; queries are for admins) ----
struct audit_list {
  principal who;
  audit_query query;
  clock::time_point deadline;
};
struct audit_get {
  principal who;
  std::string id;
  clock::time_point deadline;
};
struct audit_stats_get {
  principal who;
  int64_t since_ms = 0;
  int64_t until_ms = 0;
  clock::time_point deadline;
};
// One page of an export, in time order after (after_ts, after_id).
struct audit_export_page {
  principal who;
  int64_t since_ms = 0;
  int64_t until_ms = 0;
  int64_t after_ts = -1;
  std::string after_id;
  clock::time_point deadline;
};
using audit_page = page_of<audit_record>;

// ---- password hashing (the hasher pool) ----
struct password_hash {
  std::string password;
};
struct password_check {
  std::string encoded;
  std::string password;
};

// ---- database pool ----
// One unit of database work as the pool sees it: runs `work` in one transaction on a free
// connection. `statement` names it for metrics and logs. Actors write a db_task<T>
// (actors/db_pool.hpp) instead, whose result type the compiler checks.
struct db_call {
  const char* statement;
  storage::access mode;
  std::function<void(storage::session&)> work;
  clock::time_point deadline;
  bool replica_eligible = false;  // see db_task
  std::string caller{};
  std::string batch_key{};  // see db_task
};
struct db_result {
  std::optional<failure> error;  // infrastructure failure; the work's result stays with its task
};

struct pool_status {
  int64_t size = 0;
  int64_t max_overflow = 0;
  int64_t in_use = 0;
  int64_t idle = 0;
  int64_t overflow_in_use = 0;  // overflow connections open now
  int64_t waiting = 0;
  int64_t mailbox = 0;
};

// ---- cache ----
// Cached values live under versioned keys (the tuning guide's global:{resource}:{version}):
// "global:{scope}:{v}:{suffix}", where v is the scope's current version, kept in
// "global:{scope}:version" and bumped by every write. A reader that raced a write can only
// store under a version nobody reads again, so nothing stale is ever served.
struct cache_lookup {
  std::string scope;   // e.g. "targets" (lists) or "target:<id>"
  std::string suffix;  // what in the scope, e.g. the list query
};
struct cache_entry {
  std::optional<int64_t> version;    // nullopt: the cache could not answer
  std::optional<std::string> value;  // nullopt: miss
  uint64_t tracked = 0;      // the invalidation generation the read was tracked under (0: not)
  uint64_t near_ticket = 0;  // the near cache's ticket, taken before the lookup (0: none)
};
struct cache_store {
  std::string scope;
  int64_t version;
  std::string suffix;
  std::string value;
  std::chrono::seconds ttl;
};
// A write's change to its owner's list, which the list index takes with the version the bump
// moved the list's scope to.
struct list_move {
  std::string owner;
  storage::list_index::change change;
  size_t scope = 0;  // the index of the owner's list scope in cache_bump::scopes
};
struct cache_bump {
  std::vector<std::string> scopes;  // invalidates everything cached under these scopes
  // Applied to the list index by the connection that bumped, as soon as Redis answers: before
  // the reply crosses a mailbox, so a read on this instance that saw the new version rarely
  // finds the keys behind it.
  std::vector<list_move> lists{};
};
struct cache_bumped {
  // Each scope's new version, in the order of cache_bump::scopes; 0 where the shared cache did
  // not bump it (no version yet, or the cache could not answer).
  std::vector<int64_t> versions;
};
// One hit counted in a window that starts with the key's first hit: a request against a rate
// limit ("ratelimit:<class>:<caller>:<window start>", one minute) or a login attempt against
// its account ("loginfail:<account>", 15 minutes; taken back with by = -1 when it succeeds).
struct rate_hit {
  std::string key;
  std::chrono::seconds window;
  int64_t by = 1;
};
struct rate_count {
  std::optional<int64_t> count;  // nullopt: the store could not answer (fail open)
  int64_t reset_s = 0;           // seconds until the window ends
};

// Read-your-writes across instances (actors/db_router): when a caller's last write committed
// (wall clock, milliseconds), shared under "lastwrite:<caller>" for as long as a replica in use
// may lag behind it.
struct write_mark {
  std::string caller;
  int64_t at_ms = 0;
  std::chrono::seconds ttl{0};
};
struct write_mark_lookup {
  std::string caller;
};
struct write_mark_seen {
  bool answered = false;         // false: the store could not say
  std::optional<int64_t> at_ms;  // nullopt: no write within the window
};

struct cache_status {
  bool redis = false;
  int64_t size = 0;
  int64_t in_use = 0;
  int64_t mailbox = 0;
  bool near_active = false;         // the near cache serves (false: bypassed, or none)
  int64_t invalidation_client = 0;  // Redis client id of the invalidation connection (0: none)
  int64_t near_entries = 0;         // values the near cache holds
  int64_t list_keys = 0;            // keys the list index holds, over all owners
};

// ---- health ----
struct dependency_check {
  std::string status;  // "up" | "down" | "in-process"
  double latency_ms = 0;
};
struct health_snapshot {
  dependency_check database{"down", 0};
  dependency_check cache{"down", 0};
  int64_t probed_at_ms = 0;  // 0: not probed yet
};

// The latest probe results, written by the health actor and read by /health and /ready
// without waiting on anything.
class health_board {
 public:
  health_snapshot read() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return snapshot_;
  }
  void write(health_snapshot s) {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshot_ = std::move(s);
  }

 private:
  mutable std::mutex mutex_;
  health_snapshot snapshot_;
};

}  // namespace vutf
