// The API keys actor: a user's keys, shown once at creation and stored as SHA-256. Revoking or
// rotating a key bumps its cache scope, so it stops working at once on every instance.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

using api_keys_actor = caf::typed_actor<
    caf::replies_to<api_key_create>::with<result<api_key_created>>,     // a key, shown once
    caf::replies_to<api_key_list>::with<result<std::vector<api_key>>>,  // the caller's live keys
    caf::replies_to<api_key_revoke>::with<result<nothing>>,             // revoke at once
    caf::replies_to<api_key_rotate>::with<result<api_key_created>>>;    // new key, old revoked

api_keys_actor spawn_api_keys(caf::actor_system& sys, db_pool_actor pool, cache_actor cache);

}  // namespace vutf
