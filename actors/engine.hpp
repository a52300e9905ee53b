// The scan engine of one instance. The engine claims queued scans from the database (at most
// SCAN_WORKERS at once) and runs each in a runner actor, which sends the scan's prompts through
// the gateway up to the scan's concurrency, retries with backoff, judges the replies and writes
// results in batches, on a thread of its own at background priority; the engine renews the
// leases of its runners' scans. A scan whose instance dies is found by its lapsed lease and
// resumed by whichever instance sweeps first. Runners live in actors/runner.hpp;
// webhooks go out from their own actor (actors/webhooks.hpp).
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/gateway.hpp"
#include "actors/webhooks.hpp"
#include "domain/scan.hpp"

namespace vutf {

class metrics;

using engine_actor =
    caf::typed_actor<caf::reacts_to<tick_atom>,                    // internal: sweep and claim
                     caf::reacts_to<kick_atom>,                    // the queue may have work now
                     caf::reacts_to<cancel_atom, std::string>,     // stop this scan's runner now
                     caf::replies_to<status_atom>::with<int64_t>,  // scans running here
                     caf::replies_to<flush_atom>::with<bool>>;     // stop and requeue every scan

struct engine_config {
  std::string instance_id;  // names this instance's claims
  int64_t workers = 4;      // SCAN_WORKERS
  // The engine's round: lease renewal (and cancel check) of its running scans, sweep and claims.
  std::chrono::milliseconds heartbeat{1000};
  // A running scan whose lease was not renewed this long is an orphan (its instance died).
  std::chrono::milliseconds lease{5000};
  int64_t max_claims = 3;                     // an orphan claimed this often is failed, not resumed
  int64_t max_attempts = 4;                   // calls per prompt: the first and three retries
  std::chrono::milliseconds retry_base{250};  // backoff: base, 2x, 4x (+ jitter)
  std::chrono::milliseconds retry_cap{10000};
  std::chrono::milliseconds flush_interval{200};  // results are written at least this often
  size_t flush_batch = 100;                       // ... or once this many are waiting
  // While a write is in flight, results wait in memory; at this many flush batches waiting, no
  // more prompts go out until it lands (a target may answer far faster than results are stored).
  size_t max_waiting_batches = 4;
};

// `keeper` is the engine's own connection (spawn_db_connection): claims, sweeps and releases
// run there, so the queue's housekeeping never competes with requests for the pool.
engine_actor spawn_engine(caf::actor_system& sys, engine_config cfg, db_pool_actor pool,
                          db_connection_actor keeper, cache_actor cache, gateway_actor gateway,
                          webhook_actor webhooks, std::shared_ptr<metrics> m);

}  // namespace vutf
