// The cache supervisor. With REDIS_URL it owns REDIS_MAX_CONNECTIONS Redis connection actors
// (detached: hiredis blocks) and, with a near cache, the invalidation listener (detached) that
// keeps it exact; without, one in-process cache actor. A failing or slow cache answers as a
// miss, so callers fall through to the database and never fail because of it.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/caf_types.hpp"
#include "storage/list_index.hpp"
#include "storage/near_cache.hpp"

namespace caf {
class actor_system;
}

namespace vutf {

class metrics;

using cache_actor = caf::typed_actor<
    caf::replies_to<cache_lookup>::with<cache_entry>,           // the scope's version and the entry
    caf::reacts_to<cache_store>,                                // store an entry under a version
    caf::replies_to<cache_bump>::with<cache_bumped>,            // invalidate scopes (after a write)
    caf::replies_to<rate_hit>::with<rate_count>,                // count a request in its window
    caf::replies_to<write_mark>::with<bool>,                    // share when a caller last wrote
    caf::replies_to<write_mark_lookup>::with<write_mark_seen>,  // when a caller last wrote
    caf::replies_to<probe_atom>::with<dependency_check>,        // ping the backend (for /health)
    caf::replies_to<status_atom>::with<cache_status>>;          // pool figures (supervisor only)

struct cache_config {
  std::string redis_url;  // "" = in-process cache
  int64_t connections = 20;
  std::chrono::milliseconds command_timeout{2000};  // REDIS_TIMEOUT: each Redis command
  // CACHE_TTL: a scope's version key expires this long after its last lookup or bump (its
  // entries expire CACHE_TTL after they were stored), so every key written expires.
  std::chrono::seconds scope_ttl{300};
  size_t memory_bytes = 64 << 20;  // bound of the in-process cache
  // The instance's near cache (null: none). The supervisor invalidates it on every bump and,
  // with Redis, its listener applies Redis' invalidation messages to it.
  std::shared_ptr<storage::near_cache> near;
  // The instance's list index (null: none), forgotten whenever the near cache is flushed.
  std::shared_ptr<storage::list_index> lists;
};

// What reads through the near cache need: the actors' (actors/plumbing.hpp) and those answered
// on the request thread (service::ask).
struct near_link {
  std::shared_ptr<storage::near_cache> cache;  // null: no near cache
  // Where pages of owners' unfiltered lists start (null: none); exact for the versions of the
  // owner's list scope it follows, see list_index.
  std::shared_ptr<storage::list_index> lists;
  std::shared_ptr<metrics> m;
  // In-process (no REDIS_URL): the near cache is the cache, and a miss goes to the database.
  bool local = false;
  void count_hit() const;   // a near hit is a cache hit too
  void count_miss() const;  // in-process, a cache miss too
};

cache_actor spawn_cache(caf::actor_system& sys, cache_config cfg, std::shared_ptr<metrics> m);

// Carries a bump's `moves` into `lists` by the versions the bump returned for their scopes; with
// no versions (the cache never answered) each move's keys are dropped.
void apply_moves(storage::list_index& lists, const std::vector<list_move>& moves,
                 const std::vector<int64_t>& versions);

}  // namespace vutf
