// The authentication actor: the hot path of every protected request whose message does not
// carry the credentials itself. The resolution (actors/principals.hpp) is shared with the
// actors that authenticate their own messages; this actor also writes the API keys'
// last_used_at, noted by all of them, in batches.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/identity_scopes.hpp"

namespace vutf {

using authentication_actor = caf::typed_actor<
    caf::replies_to<authenticate>::with<result<principal>>,  // who presents these credentials
    caf::reacts_to<tick_atom>>;  // internal: write the keys' last_used_at in one batch

struct authentication_config {
  authenticator auth;                   // the secret key, where API key use is noted
  std::chrono::seconds cache_ttl{300};  // CACHE_TTL of cached principals
  near_link near;                       // the instance's near cache
};

authentication_actor spawn_authentication(caf::actor_system& sys, authentication_config cfg,
                                          db_pool_actor pool, cache_actor cache);

}  // namespace vutf
