// The health actor probes the database (on a connection of its own, so a busy pool never reads
// as a dead database) and the cache every probe interval, and publishes the results on a
// health_board. /health and /ready read the board: they never wait on a dead dependency.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"

namespace vutf {

class metrics;

using health_actor =
    caf::typed_actor<caf::replies_to<probe_atom>::with<health_snapshot>,  // probe now; the results
                     caf::reacts_to<tick_atom>>;  // internal: periodic probe

struct health_config {
  storage::database_url url;
  storage::connect_options connect;
  std::chrono::milliseconds interval{2000};
  std::chrono::milliseconds probe_timeout{1000};
};

health_actor spawn_health(caf::actor_system& sys, health_config cfg, cache_actor cache,
                          std::shared_ptr<health_board> board, std::shared_ptr<metrics> m);

}  // namespace vutf
