// The metrics actor samples what no request path updates: process CPU and memory, scheduler
// threads and the supervisors' mailbox sizes; and once a sample, it returns the memory the
// allocator keeps free to the kernel. Request counters never pass through it.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"

namespace vutf {

class metrics;

using metrics_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;  // internal: take a sample

metrics_actor spawn_metrics_actor(caf::actor_system& sys, std::shared_ptr<metrics> m,
                                  db_pool_actor pool, cache_actor cache,
                                  std::chrono::milliseconds interval);

}  // namespace vutf
