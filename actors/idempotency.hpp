// The idempotency actor: claims Idempotency-Keys and keeps the first response for
// IDEMPOTENCY_RETENTION_HOURS (`retention`), so a retried POST is answered from the record
// instead of being done twice. The retention actor deletes the records once they expire.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

using idempotency_actor = caf::typed_actor<
    // claim the key; nullopt: claimed now, go ahead; else the record holding it
    caf::replies_to<idempotency_claim>::with<result<std::optional<stored_response>>>,
    caf::replies_to<idempotency_save>::with<result<nothing>>,      // keep the first response
    caf::replies_to<idempotency_release>::with<result<nothing>>>;  // forget a failed attempt

idempotency_actor spawn_idempotency(caf::actor_system& sys, db_pool_actor pool,
                                    std::chrono::hours retention);

}  // namespace vutf
