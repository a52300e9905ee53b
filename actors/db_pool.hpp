// The database pool supervisor. It owns the connection actors (each detached: libpqxx and SQLite
// block), hands each call the next free connection, grows into overflow under load, closes idle
// overflow connections, replaces dead ones and answers DB_POOL_EXHAUSTED after the pool timeout.
// Group commit: the writes of one batch key wait while one of that key runs, then go together
// (up to DATABASE_GROUP_COMMIT_MAX) in one transaction; a write that fails is refused alone (the
// batch runs again in savepoints). Every caller is answered only after the commit, and a failed
// commit fails them all.
#pragma once

#include <caf/error.hpp>
#include <caf/typed_actor.hpp>
#include <memory>
#include <optional>

#include "actors/caf_types.hpp"
#include "actors/waiting.hpp"

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
  int64_t size = 5;                               // DATABASE_POOL_SIZE: persistent connections
  int64_t max_overflow = 10;                      // DATABASE_MAX_OVERFLOW: extra under load
  std::chrono::milliseconds pool_timeout{30000};  // DATABASE_POOL_TIMEOUT: wait for a connection
  std::chrono::milliseconds recycle_idle{60000};  // DATABASE_POOL_RECYCLE_IDLE: close idle overflow
  int64_t group_commit_max = 32;  // DATABASE_GROUP_COMMIT_MAX: writes in one transaction at most
  bool publish_gauges = true;     // the db_pool_* gauges are the primary pool's, not a replica's
  bool log_failures = true;       // false for the replica monitor, which logs changes of state only
};

db_pool_actor spawn_db_pool(caf::actor_system& sys, db_pool_config cfg, std::shared_ptr<metrics> m);

// A connection outside the pool, for background work (the scan engine's queue housekeeping) that
// must neither wait behind requests for a pooled connection nor take one from them.
db_connection_actor spawn_db_connection(caf::actor_system& sys, db_pool_config cfg,
                                        std::shared_ptr<metrics> m);

// One unit of database work whose result type the compiler checks: `work` runs in one
// transaction on a connection and returns the T its caller's continuation receives.
template <class T>
struct db_task {
  const char* statement;  // the metrics label and log field
  storage::access mode;
  clock::time_point deadline;
  std::function<T(storage::session&)> work;
  // For actors/db_router when there is a read replica: a read the replica may serve (set by
  // replica_read), and the user whose request this is (a caller who wrote reads from the
  // primary until the replica has replayed the write).
  bool replica_eligible = false;
  std::string caller{};
  // Group commit: writes with the same non-empty key run one transaction at a time, those that
  // waited meanwhile together in the next (see the pool). Writes that share a
  // key must take their locks in the same order (the owner's quota row first), so that two such
  // transactions cannot deadlock.
  std::string batch_key{};
};

// `task`, a list, report, export or statistics read of `caller`, which a replica may serve.
template <class T>
db_task<T> replica_read(db_task<T> task, std::string caller) {
  task.replica_eligible = true;
  task.caller = std::move(caller);
  return task;
}

// `task`, a write that may share its transaction with others of `key` (see db_task).
template <class T>
db_task<T> batched(db_task<T> task, std::string key) {
  task.batch_key = std::move(key);
  return task;
}

// `task`, a write of `caller`, whose next replica-eligible reads must see it.
template <class T>
db_task<T> written_by(db_task<T> task, std::string caller) {
  task.caller = std::move(caller);
  return task;
}

// Sends `task` to `db` (the pool, or a connection of one's own) as a db_call whose work leaves
// its T in a slot that only the reply handler reads, once the connection has answered. `done`
// gets the T; `failed` an infrastructure failure (a timeout or a dead pool as an internal error).
// Pool and connection enforce the deadline themselves, hence no request timeout (waiting.hpp).
template <class T, class Self, class Db, class Done, class Failed>
void request_db(Self self, const Db& db, db_task<T> task, Done done, Failed failed) {
  auto slot = std::make_shared<std::optional<T>>();
  db_call call{task.statement,
               task.mode,
               [slot, work = std::move(task.work)](storage::session& s) { slot->emplace(work(s)); },
               task.deadline,
               task.replica_eligible,
               std::move(task.caller),
               std::move(task.batch_key)};
  self->request(db, caf::infinite, std::move(call))
      .then(
          [slot, done, failed](db_result& r) mutable {
            if (r.error)
              failed(std::move(*r.error));
            else if (!*slot)  // answered without running the work
              failed(internal_failure());
            else
              done(std::move(**slot));
          },
          [failed](caf::error&) mutable { failed(internal_failure()); });
}

}  // namespace vutf
