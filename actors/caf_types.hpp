// Registers the message types with CAF (local messaging only, so no serialisation) and declares
// the atoms. Included by the actor headers only: CAF stays out of the HTTP frontend.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "domain/audit.hpp"
#include "domain/scan.hpp"

namespace vutf {
using status_atom = caf::atom_constant<caf::atom("status")>;  // report figures of an actor
using tick_atom = caf::atom_constant<caf::atom("tick")>;      // internal periodic housekeeping
using probe_atom = caf::atom_constant<caf::atom("probe")>;    // run the dependency probes now
using flush_atom = caf::atom_constant<caf::atom("flush")>;    // write out everything queued
using kick_atom = caf::atom_constant<caf::atom("kick")>;      // the scan queue may have work
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;  // stop a scan now
using retry_atom = caf::atom_constant<caf::atom("retry")>;    // send a prompt again
}  // namespace vutf

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_create)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_delete)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::target>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::target_page>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::nothing>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_register)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_login)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::token_refresh)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::authenticate)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::session_logout)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_me)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::user>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::token_pair>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::principal>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::session_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::session_revoke)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::sessions_revoke_others)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_update_me)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::password_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<std::vector<vutf::session_record>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::user_delete)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::user_page>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::api_key_create)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::api_key_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::api_key_revoke)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::api_key_rotate)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::api_key_created>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<std::vector<vutf::api_key>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::idempotency_claim)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::idempotency_save)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::idempotency_release)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<std::optional<vutf::stored_response>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::audit_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::audit_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::audit_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::audit_stats_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::audit_export_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::audit_page>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::audit_record>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::audit_stats>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<std::vector<vutf::audit_record>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::password_hash)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::password_check)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::db_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::db_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::pool_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::cache_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::cache_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::cache_store)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::cache_bump)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::rate_hit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::rate_count)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::cache_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::health_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::dependency_check)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_test)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::target_check>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_create)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_cancel)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_results_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_report_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::scan_results_after)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::stats_get)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::scan>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::scan_page>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::result_page>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::scan_report>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<std::vector<vutf::scan_result>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::result<vutf::stats_overview>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::target_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::outbound_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::outbound_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::webhook_delivery)
