// The targets actors: the domain logic of the targets resource. Reads go through the cache
// (versioned keys, CACHE_TTL), writes go to the database and then invalidate their scopes.
// Several instances run side by side so requests do not funnel through one mailbox.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

using targets_actor = caf::typed_actor<
    caf::replies_to<target_create>::with<result<target>>,     // validate and insert
    caf::replies_to<target_get>::with<result<target>>,        // one target, through the cache
    caf::replies_to<target_list>::with<result<target_page>>,  // one page, through the cache
    caf::replies_to<target_update>::with<result<target>>,     // merge, validate, If-Match
    caf::replies_to<target_delete>::with<result<nothing>>>;   // soft delete

// A target created without timeout_seconds gets `default_timeout` (TARGET_DEFAULT_TIMEOUT).
targets_actor spawn_targets(caf::actor_system& sys, db_pool_actor pool, cache_actor cache,
                            std::chrono::seconds cache_ttl, std::chrono::seconds default_timeout);

}  // namespace vutf
