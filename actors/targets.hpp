// The targets actors: the domain logic of the targets resource. Reads go through the near cache
// and the shared cache (versioned keys, CACHE_TTL), writes go to the database and then
// invalidate their scopes. target_fetch authenticates its caller here too: one round trip. A
// record or a list page the near cache holds is answered without any (get_target_near,
// list_targets_near, called by service::impl::from_memory).
// Several instances run side by side so requests do not funnel through one mailbox.
#pragma once

#include <caf/typed_actor.hpp>
#include <optional>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/identity_scopes.hpp"

namespace vutf {

using targets_actor = caf::typed_actor<
    caf::replies_to<target_create>::with<result<target>>,     // validate and insert
    caf::replies_to<target_get>::with<result<target>>,        // one target, through the cache
    caf::replies_to<target_fetch>::with<target_as_caller>,    // authenticate, then target_get
    caf::replies_to<target_list>::with<result<target_page>>,  // one page, through the cache
    caf::replies_to<target_update>::with<result<target>>,     // merge, validate, If-Match
    caf::replies_to<target_delete>::with<result<nothing>>>;   // soft delete

struct targets_config {
  std::chrono::seconds cache_ttl{300};  // CACHE_TTL of cached records and pages
  // TARGET_DEFAULT_TIMEOUT: what a target created without timeout_seconds gets.
  std::chrono::seconds default_call_timeout{30};
  int64_t max_targets = 1000;  // MAX_TARGETS_PER_USER: live targets per owner
  authenticator auth;          // for target_fetch, which carries the caller's credentials
  near_link near;              // the instance's near cache
};

targets_actor spawn_targets(caf::actor_system& sys, targets_config cfg, db_pool_actor pool,
                            cache_actor cache);

// The record `g` asks for, as its caller sees it, from this instance's near cache alone on the
// calling thread (no message, no Redis call); nullopt when the near cache does not hold it.
std::optional<result<target>> get_target_near(const near_link& near, const target_get& g);
// The page `l` asks for, from this instance's near cache alone on the calling thread; nullopt
// when the near cache does not hold it.
std::optional<result<target_page>> list_targets_near(const near_link& near, const target_list& l);

}  // namespace vutf
