// The read-replica router (DATABASE_READ_URL). It speaks the pool's interface, so every actor
// keeps its db_pool_actor handle: tasks marked replica-eligible (replica_read: lists, reports,
// exports, statistics) go to a pool on the replica, everything else to the primary's pool.
// A monitor of its own (two dedicated connections, never a pooled one) checks the replica every
// check interval: whether it answers, its lag, and how far it has replayed (the fence of
// domain/read_routing). A caller who wrote (written_by) reads from the primary until the
// replica has replayed the write, whichever instance the write went through: with a shared
// cache (REDIS_URL) each write's time is shared there before the caller hears of it, and a read
// about to go to the replica first asks for its caller's; a replica that is down or lags beyond
// max_lag gets no reads; a replica read that fails is run again on the primary, so a replica going
// away costs no request. Without a replica the service uses the primary's pool directly.
#pragma once

#include <chrono>
#include <memory>

#include "actors/cache.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

struct db_router_config {
  db_pool_config primary;
  db_pool_config replica;            // url: DATABASE_READ_URL; publish_gauges false
  std::chrono::seconds max_lag{10};  // DATABASE_READ_MAX_LAG_SECONDS
  std::chrono::milliseconds check_interval{250};
  // Where the instances share their callers' write times (the Redis cache); none (an invalid
  // handle) when this instance is alone.
  cache_actor shared_writes;
};

db_pool_actor spawn_db_router(caf::actor_system& sys, db_router_config cfg,
                              std::shared_ptr<metrics> m);

}  // namespace vutf
