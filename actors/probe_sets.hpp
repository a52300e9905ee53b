// The probe sets actor: users' own probe sets (create with the MAX_PROBE_SETS_PER_USER quota,
// read, change with a version bump, delete) and the catalogue of GET /probes. Sets are not
// cached: they are read when written, listed, or when a scan is created. Their writes invalidate
// the statistics' cache scope, which holds GET /coverage (it counts the caller's sets).
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

using probe_sets_actor = caf::typed_actor<
    caf::replies_to<probe_set_create>::with<result<probe_set>>,         // validate, quota, insert
    caf::replies_to<probe_set_get>::with<result<probe_set>>,            // one set with its prompts
    caf::replies_to<probe_set_list>::with<result<probe_set_page>>,      // the caller's, by id
    caf::replies_to<probe_set_update>::with<result<probe_set>>,         // merge, validate, If-Match
    caf::replies_to<probe_set_delete>::with<result<nothing>>,           // scans keep their copy
    caf::replies_to<probe_catalog_get>::with<result<probe_set_page>>>;  // built-ins, then own

struct probe_sets_config {
  int64_t max_probe_sets = 200;  // MAX_PROBE_SETS_PER_USER: sets per owner
};

probe_sets_actor spawn_probe_sets(caf::actor_system& sys, probe_sets_config cfg, db_pool_actor pool,
                                  cache_actor cache);

}  // namespace vutf
