// The index of the API: every route with its body rule, handler, rate class, replay and audit.
#include <iterator>

#include "http/routes/routes.hpp"

namespace vutf::http {
namespace {

using b = body_rule;
using r = rate_class;
constexpr bool replay = true;

// method, pattern, body, handler, rate class, Idempotency-Key, audit action, resource type.
// Literal paths come before {id} patterns: the first pattern that matches wins.
constexpr route rows[] = {
    {"GET", "/api/v1/live", b::none, live, r::none},
    {"GET", "/api/v1/health", b::none, health, r::none},
    {"GET", "/api/v1/ready", b::none, ready, r::none},
    {"GET", "/api/v1/openapi.json", b::none, openapi, r::none},
    {"GET", "/console", b::none, console_root, r::none},
    {"GET", "/console/", b::none, console_index, r::none},
    {"GET", "/console/{file}", b::none, console_file, r::none},
    {"GET", "/api/v1/targets", b::none, list_targets},
    {"POST", "/api/v1/targets", b::json, create_target, r::standard, replay, "target.create",
     "target"},
    {"GET", "/api/v1/targets/{id}", b::none, get_target},
    {"PATCH", "/api/v1/targets/{id}", b::json, update_target, r::standard, false, "target.update",
     "target"},
    {"DELETE", "/api/v1/targets/{id}", b::none, delete_target, r::standard, false, "target.delete",
     "target"},
    {"POST", "/api/v1/targets/{id}/test", b::none, test_target, r::standard, false, "target.test",
     "target"},
    {"GET", "/api/v1/scans", b::none, list_scans},
    {"POST", "/api/v1/scans", b::json, create_scan, r::standard, replay, "scan.create", "scan"},
    {"GET", "/api/v1/scans/{id}", b::none, get_scan, r::polling},
    {"GET", "/api/v1/scans/{id}/events", b::none, scan_events, r::polling},
    {"POST", "/api/v1/scans/{id}/cancel", b::none, cancel_scan, r::standard, replay, "scan.cancel",
     "scan"},
    {"GET", "/api/v1/scans/{id}/results", b::none, scan_results},
    {"GET", "/api/v1/scans/{id}/findings", b::none, scan_findings},
    {"GET", "/api/v1/scans/{id}/report", b::none, get_scan_report},
    {"GET", "/api/v1/scans/{id}/diff", b::none, get_scan_diff},
    {"PATCH", "/api/v1/scans/{id}/findings/{finding_id}", b::json, triage_finding, r::standard,
     false, "finding.triage", "finding"},
    {"GET", "/api/v1/schedules", b::none, list_schedules},
    {"POST", "/api/v1/schedules", b::json, create_schedule, r::standard, replay, "schedule.create",
     "schedule"},
    {"GET", "/api/v1/schedules/{id}", b::none, get_schedule},
    {"PATCH", "/api/v1/schedules/{id}", b::json, update_schedule, r::standard, false,
     "schedule.update", "schedule"},
    {"DELETE", "/api/v1/schedules/{id}", b::none, delete_schedule, r::standard, false,
     "schedule.delete", "schedule"},
    {"GET", "/api/v1/stats/overview", b::none, stats},
    {"GET", "/api/v1/coverage", b::none, coverage},
    {"POST", "/api/v1/auth/register", b::json, register_user, r::registration, replay,
     "auth.register", "user"},
    {"POST", "/api/v1/auth/login", b::json, login, r::login, false, "auth.login", "session"},
    {"POST", "/api/v1/auth/refresh", b::json, refresh, r::refresh, false, "auth.refresh",
     "session"},
    {"POST", "/api/v1/auth/logout", b::none, logout, r::standard, replay, "auth.logout", "session"},
    {"GET", "/api/v1/users/me", b::none, me},
    {"PATCH", "/api/v1/users/me", b::json, update_me, r::standard, false, "user.update", "user"},
    {"POST", "/api/v1/users/me/password", b::json, change_password, r::standard, replay,
     "auth.password_change", "user"},
    {"GET", "/api/v1/sessions", b::none, list_sessions},
    {"DELETE", "/api/v1/sessions", b::none, revoke_other_sessions, r::standard, false,
     "session.revoke_others", "session"},
    {"DELETE", "/api/v1/sessions/{id}", b::none, revoke_session, r::standard, false,
     "session.revoke", "session"},
    {"GET", "/api/v1/users", b::none, list_users},
    {"GET", "/api/v1/users/{id}", b::none, get_user},
    {"PATCH", "/api/v1/users/{id}", b::json, update_user, r::standard, false, "user.admin_update",
     "user"},
    {"DELETE", "/api/v1/users/{id}", b::none, delete_user, r::standard, false, "user.delete",
     "user"},
    {"POST", "/api/v1/api-keys", b::json, create_api_key, r::standard, false, "api_key.create",
     "api_key"},
    {"GET", "/api/v1/api-keys", b::none, list_api_keys},
    {"DELETE", "/api/v1/api-keys/{id}", b::none, revoke_api_key, r::standard, false,
     "api_key.revoke", "api_key"},
    {"POST", "/api/v1/api-keys/{id}/rotate", b::none, rotate_api_key, r::standard, false,
     "api_key.rotate", "api_key"},
    {"POST", "/api/v1/webhooks", b::json, create_webhook, r::standard, false, "webhook.create",
     "webhook"},
    {"GET", "/api/v1/webhooks", b::none, list_webhooks},
    {"DELETE", "/api/v1/webhooks/{id}", b::none, delete_webhook, r::standard, false,
     "webhook.delete", "webhook"},
    {"POST", "/api/v1/webhooks/{id}/rotate", b::none, rotate_webhook, r::standard, false,
     "webhook.rotate", "webhook"},
    {"GET", "/api/v1/probes", b::none, list_probes},
    {"GET", "/api/v1/converters", b::none, list_converters},
    {"GET", "/api/v1/probe-sets", b::none, list_probe_sets},
    {"POST", "/api/v1/probe-sets", b::import, create_probe_set, r::standard, replay,
     "probe_set.create", "probe_set"},
    {"GET", "/api/v1/probe-sets/{id}", b::none, get_probe_set},
    {"PATCH", "/api/v1/probe-sets/{id}", b::import, update_probe_set, r::standard, false,
     "probe_set.update", "probe_set"},
    {"DELETE", "/api/v1/probe-sets/{id}", b::none, delete_probe_set, r::standard, false,
     "probe_set.delete", "probe_set"},
    {"GET", "/api/v1/audit-logs", b::none, list_audit},
    {"GET", "/api/v1/audit-logs/stats", b::none, audit_statistics},
    {"GET", "/api/v1/audit-logs/export", b::none, export_audit},
    {"GET", "/api/v1/audit-logs/{id}", b::none, get_audit},
};

}  // namespace

const std::vector<route>& route_table() {
  static const std::vector<route> all(std::begin(rows), std::end(rows));
  return all;
}

}  // namespace vutf::http
