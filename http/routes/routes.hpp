// The route table's row and every route handler, by resource. Each handler parses and validates,
// sends one message with the request's deadline to the service (usually through serve()), and
// maps the reply. A new route is one handler in its resource's file (declared here) and one row
// in route_table() (http/routes/table.cpp).
#pragma once

#include <vector>

#include "http/handler.hpp"

namespace vutf::http {

using handler = api_response (*)(const request_context& c);
// none: the route reads no body. json: application/json up to MAX_REQUEST_SIZE. import: also
// text/csv and application/x-ndjson, up to import_body_limit (or MAX_REQUEST_SIZE if larger):
// a probe set may hold 5000 prompts of up to 16 KiB.
enum class body_rule { none, json, import };
constexpr int64_t import_body_limit = int64_t{32} * 1024 * 1024;

struct route {
  const char* method;
  const char* pattern;
  body_rule body;
  handler fn;
  rate_class rate = rate_class::standard;
  // POSTs whose response holds no secret honour Idempotency-Key (replayed for 24 h); on the
  // others (tokens, API keys, webhook secrets) the header is ignored so no secret is kept for
  // replay.
  bool replay = false;
  // State-changing routes write one audit record per request under this action.
  const char* action = nullptr;
  const char* resource = nullptr;
};

// Every route, in matching order: the first pattern that matches a path wins.
const std::vector<route>& route_table();

// health.cpp
api_response live(const request_context& c);
api_response health(const request_context& c);
api_response ready(const request_context& c);
api_response openapi(const request_context& c);

// console.cpp: the web console's static files
api_response console_root(const request_context& c);
api_response console_index(const request_context& c);
api_response console_file(const request_context& c);

// targets.cpp
api_response list_targets(const request_context& c);
api_response create_target(const request_context& c);
api_response get_target(const request_context& c);
api_response update_target(const request_context& c);
api_response delete_target(const request_context& c);

// scans.cpp
api_response test_target(const request_context& c);
api_response list_scans(const request_context& c);
api_response create_scan(const request_context& c);
api_response get_scan(const request_context& c);
api_response scan_events(const request_context& c);
api_response cancel_scan(const request_context& c);
api_response scan_results(const request_context& c);
api_response scan_findings(const request_context& c);
api_response get_scan_report(const request_context& c);
api_response triage_finding(const request_context& c);
api_response get_scan_diff(const request_context& c);

// schedules.cpp
api_response create_schedule(const request_context& c);
api_response list_schedules(const request_context& c);
api_response get_schedule(const request_context& c);
api_response update_schedule(const request_context& c);
api_response delete_schedule(const request_context& c);

// stats.cpp
api_response stats(const request_context& c);
api_response coverage(const request_context& c);

// auth.cpp
api_response register_user(const request_context& c);
api_response login(const request_context& c);
api_response refresh(const request_context& c);
api_response logout(const request_context& c);
api_response me(const request_context& c);

// account.cpp: the caller's sessions and account
api_response list_sessions(const request_context& c);
api_response revoke_session(const request_context& c);
api_response revoke_other_sessions(const request_context& c);
api_response update_me(const request_context& c);
api_response change_password(const request_context& c);

// users.cpp: administration
api_response list_users(const request_context& c);
api_response get_user(const request_context& c);
api_response update_user(const request_context& c);
api_response delete_user(const request_context& c);

// api_keys.cpp
api_response create_api_key(const request_context& c);
api_response list_api_keys(const request_context& c);
api_response revoke_api_key(const request_context& c);
api_response rotate_api_key(const request_context& c);

// webhooks.cpp
api_response create_webhook(const request_context& c);
api_response list_webhooks(const request_context& c);
api_response delete_webhook(const request_context& c);
api_response rotate_webhook(const request_context& c);

// probes.cpp: the built-in probe sets, the caller's own and the prompt converters
api_response list_probes(const request_context& c);
api_response list_converters(const request_context& c);
api_response list_probe_sets(const request_context& c);
api_response create_probe_set(const request_context& c);
api_response get_probe_set(const request_context& c);
api_response update_probe_set(const request_context& c);
api_response delete_probe_set(const request_context& c);

// audit.cpp
api_response list_audit(const request_context& c);
api_response get_audit(const request_context& c);
api_response audit_statistics(const request_context& c);
api_response export_audit(const request_context& c);

}  // namespace vutf::http
