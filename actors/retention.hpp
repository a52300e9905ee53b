// The retention actor purges what is kept only for a while: audit records older than
// AUDIT_RETENTION_DAYS and Idempotency-Key records past their expiry (IDEMPOTENCY_RETENTION_HOURS
// after the claim). A round runs `first_round` after start (not at once: startup and short-lived
// test services keep the pool to themselves) and then every `interval`; each table is purged in
// batches of `batch` rows, one short transaction each, on the pool's connections, never on a
// scheduler thread.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

class metrics;

using retention_actor =
    caf::typed_actor<caf::reacts_to<tick_atom>,                    // internal: a periodic round
                     caf::replies_to<purge_atom>::with<int64_t>>;  // a round that starts now:
                                                                   // rows deleted, -1 on failure

struct retention_config {
  std::chrono::hours audit_retention{24 * 90};  // AUDIT_RETENTION_DAYS
  std::chrono::minutes first_round{1};
  std::chrono::minutes interval{60};
  int64_t batch = 1000;  // rows per transaction
};

retention_actor spawn_retention(caf::actor_system& sys, retention_config cfg, db_pool_actor pool,
                                std::shared_ptr<metrics> m);

}  // namespace vutf
