// The authentication actor: the hot path of every protected request. A bearer token is verified
// here (HMAC); its session, or an API key's SHA-256, resolves to a principal through the
// versioned cache and only on a miss the database, so a revocation is seen at once everywhere.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

using authentication_actor = caf::typed_actor<
    caf::replies_to<authenticate>::with<result<principal>>,  // who presents these credentials
    caf::reacts_to<tick_atom>>;  // internal: write the keys' last_used_at in one batch

struct authentication_config {
  std::string secret_key;               // verifies access tokens
  std::chrono::seconds cache_ttl{300};  // CACHE_TTL of cached principals
};

authentication_actor spawn_authentication(caf::actor_system& sys, authentication_config cfg,
                                          db_pool_actor pool, cache_actor cache);

}  // namespace vutf
