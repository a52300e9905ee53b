// The database pool supervisor. It owns the connection actors (each detached: libpqxx and SQLite
// block), hands each call the next free connection, grows into overflow under load, closes idle
// overflow connections, replaces dead ones and answers DB_POOL_EXHAUSTED after the pool timeout.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/caf_types.hpp"

namespace caf {
class actor_system;
}

namespace vutf {

class metrics;

using db_pool_actor = caf::typed_actor<
    caf::replies_to<db_call>::with<db_result>,        // run one unit of work on a free connection
    caf::replies_to<status_atom>::with<pool_status>,  // the pool's figures now
    caf::reacts_to<tick_atom>>;  // internal: expire waiters and deadlines, recycle idle overflow

// One blocking connection on a thread of its own: each pooled connection is one of these.
using db_connection_actor = caf::typed_actor<caf::replies_to<db_call>::with<db_result>>;

struct db_pool_config {
  storage::database_url url;
  storage::connect_options connect;
  int64_t size = 5;
  int64_t max_overflow = 10;
  std::chrono::milliseconds pool_timeout{30000};
  std::chrono::milliseconds recycle_idle{60000};
};

db_pool_actor spawn_db_pool(caf::actor_system& sys, db_pool_config cfg, std::shared_ptr<metrics> m);

// A connection outside the pool, for background work (the scan engine's queue housekeeping) that
// must neither wait behind requests for a pooled connection nor take one from them.
db_connection_actor spawn_db_connection(caf::actor_system& sys, db_pool_config cfg,
                                        std::shared_ptr<metrics> m);

}  // namespace vutf
