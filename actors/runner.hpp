// A scan runner (internal to the engine): one per running scan. It keeps up to the scan's
// concurrency prompts in flight through the gateway, retries 429/5xx/no answer with backoff,
// judges replies with the probe set's detector (asking a judge target through the gateway for a
// judge detector, and for the scan's re-check of each finding), holds the conversations of
// crescendo sets (an attacker target writes each next message), writes results in batches under
// the scan's claim; a lost claim or a cancel stops it. It runs detached, at background priority
// (actors/background.hpp); its engine renews its lease.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/engine.hpp"
#include "actors/gateway.hpp"
#include "actors/webhooks.hpp"

namespace caf {
class local_actor;
}

namespace vutf {

using runner_actor =
    caf::typed_actor<caf::reacts_to<tick_atom>,  // write the results that are waiting
                     caf::reacts_to<retry_atom, int64_t, int64_t>,  // resend a prompt: seq, attempt
                     caf::reacts_to<cancel_atom>,  // stop now: the scan was cancelled
                     caf::reacts_to<flush_atom>>;  // try the final write again

// What the engine and its runners share.
struct engine_env {
  engine_config cfg;
  db_pool_actor pool;          // runners' reads and result writes: the scans' own pool
  db_connection_actor keeper;  // the engine's queue housekeeping, on a connection of its own
  cache_actor cache;
  gateway_actor gateway;
  webhook_actor webhooks;
  std::shared_ptr<metrics> m;
};

// The deadline of the engine's and runners' database calls: no request bounds them.
inline clock::time_point db_deadline() {
  return clock::now() + std::chrono::seconds(10);
}

// Starts the runner of `claimed`, spawned by (and monitored by) `engine`.
runner_actor spawn_runner(caf::local_actor* engine, engine_env env, scan claimed);

}  // namespace vutf
