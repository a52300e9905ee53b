// Every message type that crosses a mailbox, listed once. Plain preprocessor lists, free of CAF:
// actors/service.hpp (included by the HTTP frontend) declares service::ask from the first list,
// actors/service.cpp defines it, and actors/caf_types.hpp registers every type with CAF.
//
// How to add a request message:
//   1. declare its struct in actors/messages.hpp, with a `deadline`;
//   2. add one row to VUTF_SERVICE_MESSAGES: X(message, reply, handle), where `handle` is the
//      service::impl member (or member call) naming the actor that answers it;
//   3. add one handler line for it to that actor's typed interface (actors/<actor>.hpp).
// service::ask(message) is then declared and defined, and the message registered with CAF. A
// row whose handle does not accept the message, or whose reply is not the one the interface
// declares, does not compile.
//
// Replies: every `result<T>` is registered at once (actors/caf_types.hpp), because CAF 0.17 can
// register a type only once and many messages share a reply type. A reply of any other type
// goes once into VUTF_INTERNAL_TYPES. A type whose name holds a comma needs an alias first.
#pragma once

// X(message, reply, handle): service::ask(message) sends to `handle` and returns `reply` (unless
// service::impl::from_memory answers it from the near cache).
// `handle` is the only column that names an actor: move a message to another actor here.
#define VUTF_SERVICE_MESSAGES(X)                                            \
  X(target_create, result<target>, next_targets())                          \
  X(target_get, result<target>, next_targets())                             \
  X(target_fetch, target_as_caller, next_targets())                         \
  X(target_list, result<target_page>, next_targets())                       \
  X(target_update, result<target>, next_targets())                          \
  X(target_delete, result<nothing>, next_targets())                         \
  X(target_test, result<target_check>, scans)                               \
  X(scan_create, result<scan>, scans)                                       \
  X(scan_get, result<scan>, scans)                                          \
  X(scan_list, result<scan_page>, scans)                                    \
  X(scan_cancel, result<scan>, scans)                                       \
  X(scan_results_get, result<result_page>, scans)                           \
  X(scan_report_get, result<scan_report>, scans)                            \
  X(scan_results_after, result<std::vector<scan_result>>, scans)            \
  X(finding_triage, result<scan_result>, scans)                             \
  X(scan_diff_get, result<scan_diff>, scans)                                \
  X(stats_get, result<stats_overview>, scans)                               \
  X(coverage_get, result<coverage_report>, scans)                           \
  X(probe_set_create, result<probe_set>, probe_sets)                        \
  X(probe_set_get, result<probe_set>, probe_sets)                           \
  X(probe_set_list, result<probe_set_page>, probe_sets)                     \
  X(probe_set_update, result<probe_set>, probe_sets)                        \
  X(probe_set_delete, result<nothing>, probe_sets)                          \
  X(probe_catalog_get, result<probe_set_page>, probe_sets)                  \
  X(user_register, result<user>, accounts)                                  \
  X(user_login, result<token_pair>, accounts)                               \
  X(token_refresh, result<token_pair>, accounts)                            \
  X(authenticate, result<principal>, authentication)                        \
  X(session_logout, result<nothing>, accounts)                              \
  X(user_me, result<user>, accounts)                                        \
  X(session_list, result<std::vector<session_record>>, accounts)            \
  X(session_revoke, result<nothing>, accounts)                              \
  X(sessions_revoke_others, result<nothing>, accounts)                      \
  X(user_update_me, result<user>, accounts)                                 \
  X(password_change, result<nothing>, accounts)                             \
  X(user_list, result<user_page>, accounts)                                 \
  X(user_get, result<user>, accounts)                                       \
  X(user_update, result<user>, accounts)                                    \
  X(user_delete, result<nothing>, accounts)                                 \
  X(api_key_create, result<api_key_created>, api_keys)                      \
  X(api_key_list, result<std::vector<api_key>>, api_keys)                   \
  X(api_key_revoke, result<nothing>, api_keys)                              \
  X(api_key_rotate, result<api_key_created>, api_keys)                      \
  X(schedule_create, result<schedule>, schedules)                           \
  X(schedule_get, result<schedule>, schedules)                              \
  X(schedule_list, result<schedule_page>, schedules)                        \
  X(schedule_update, result<schedule>, schedules)                           \
  X(schedule_delete, result<nothing>, schedules)                            \
  X(webhook_create, result<webhook>, webhooks)                              \
  X(webhook_list, result<webhook_page>, webhooks)                           \
  X(webhook_delete, result<nothing>, webhooks)                              \
  X(webhook_rotate, result<webhook>, webhooks)                              \
  X(idempotency_claim, result<std::optional<stored_response>>, idempotency) \
  X(idempotency_save, result<nothing>, idempotency)                         \
  X(idempotency_release, result<nothing>, idempotency)                      \
  X(audit_list, result<audit_page>, audit)                                  \
  X(audit_get, result<audit_record>, audit)                                 \
  X(audit_stats_get, result<audit_stats>, audit)                            \
  X(audit_export_page, result<std::vector<audit_record>>, audit)            \
  X(rate_hit, rate_count, cache)

// X(type): the other types actors exchange (internal messages, fire-and-forget records and
// replies that are not a `result<T>`), each once.
#define VUTF_INTERNAL_TYPES(X) \
  X(audit_record)              \
  X(password_hash)             \
  X(password_check)            \
  X(db_call)                   \
  X(db_result)                 \
  X(pool_status)               \
  X(cache_lookup)              \
  X(cache_entry)               \
  X(target_as_caller)          \
  X(cache_store)               \
  X(cache_bump)                \
  X(cache_bumped)              \
  X(rate_count)                \
  X(cache_status)              \
  X(write_mark)                \
  X(write_mark_lookup)         \
  X(write_mark_seen)           \
  X(health_snapshot)           \
  X(dependency_check)          \
  X(target_call)               \
  X(outbound_call)             \
  X(outbound_reply)            \
  X(webhook_event)             \
  X(webhook_delivery)          \
  X(schedule_round)
