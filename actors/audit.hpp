// The audit actor: records arrive as fire-and-forget messages and are written in batches off
// the request path. The queue is bounded (audit_config::capacity): past it records are dropped
// and counted (audit_records_dropped_total). flush writes everything queued (at shutdown).
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "domain/audit.hpp"

namespace vutf {

class metrics;

using audit_actor = caf::typed_actor<
    caf::reacts_to<audit_record>,                                 // queue one record
    caf::replies_to<flush_atom>::with<bool>,                      // write all queued; true if done
    caf::reacts_to<tick_atom>,                                    // internal: write a batch
    caf::replies_to<audit_list>::with<result<audit_page>>,        // admin: search
    caf::replies_to<audit_get>::with<result<audit_record>>,       // admin: one record
    caf::replies_to<audit_stats_get>::with<result<audit_stats>>,  // admin: counts (cached)
    caf::replies_to<audit_export_page>::with<result<std::vector<audit_record>>>>;  // admin

struct audit_config {
  size_t capacity = 100000;  // records queued at most
  size_t batch = 500;        // records per transaction
  std::chrono::milliseconds interval{200};
  std::chrono::seconds stats_ttl{300};
};

audit_actor spawn_audit(caf::actor_system& sys, audit_config cfg, db_pool_actor pool,
                        cache_actor cache, std::shared_ptr<metrics> m);

}  // namespace vutf
