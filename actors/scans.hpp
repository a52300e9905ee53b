// The scans actor: the domain logic of scans, their results and reports, the statistics
// overview and target tests. Scans are queued in the database and run by the engine
// (actors/engine.hpp); this actor creates, reads and cancels them.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/engine.hpp"
#include "actors/gateway.hpp"
#include "actors/scan_admission.hpp"
#include "actors/webhooks.hpp"
#include "domain/scan.hpp"

namespace vutf {

using scans_actor = caf::typed_actor<
    caf::replies_to<scan_create>::with<result<scan>>,     // validate, queue, wake the engine
    caf::replies_to<scan_get>::with<result<scan>>,        // one scan with its progress
    caf::replies_to<scan_list>::with<result<scan_page>>,  // filtered page, newest first
    caf::replies_to<scan_cancel>::with<result<scan>>,     // cancel a queued or running scan
    caf::replies_to<scan_results_get>::with<result<result_page>>,  // results or findings page
    caf::replies_to<scan_report_get>::with<result<scan_report>>,   // a report's heading
    caf::replies_to<scan_results_after>::with<result<std::vector<scan_result>>>,  // keyset page
    caf::replies_to<finding_triage>::with<result<scan_result>>,    // triage, suppress or lift
    caf::replies_to<scan_diff_get>::with<result<scan_diff>>,       // findings against a baseline
    caf::replies_to<stats_get>::with<result<stats_overview>>,      // the caller's figures, cached
    caf::replies_to<coverage_get>::with<result<coverage_report>>,  // framework coverage, cached
    caf::replies_to<target_test>::with<result<target_check>>>;     // one harmless prompt

struct scans_config {
  scan_limits limits;  // SCAN_MAX_PROMPTS, MAX_ACTIVE_SCANS_PER_USER
  std::chrono::seconds stats_ttl{300};
};

scans_actor spawn_scans(caf::actor_system& sys, scans_config cfg, db_pool_actor pool,
                        cache_actor cache, engine_actor engine, gateway_actor gateway,
                        webhook_actor webhooks);

}  // namespace vutf
