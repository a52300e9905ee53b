// The schedules actor: a user's scan schedules (create, read, list, change, delete) and the
// scheduler of this instance. Every tick it claims the due runs no instance holds (in one
// statement over the due index, like the engine claims scans) and creates each run's scan with
// the rules of POST /scans; a run that cannot (target or probe set deleted, quota reached) records
// why, emits schedule.failed and moves on to its next slot. Any number of instances tick: each
// due run creates exactly one scan. Tests send a round with a chosen "now" instead of waiting.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/engine.hpp"
#include "actors/scan_admission.hpp"
#include "actors/webhooks.hpp"
#include "domain/schedule.hpp"

namespace vutf {

using schedules_actor = caf::typed_actor<
    caf::replies_to<schedule_create>::with<result<schedule>>,     // validate, insert, first run
    caf::replies_to<schedule_get>::with<result<schedule>>,        // one of the caller's
    caf::replies_to<schedule_list>::with<result<schedule_page>>,  // the caller's, newest first
    caf::replies_to<schedule_update>::with<result<schedule>>,     // change; re-time if asked
    caf::replies_to<schedule_delete>::with<result<nothing>>,      // no run after this
    caf::reacts_to<tick_atom>,  // internal: a round at the clock's time, then the next tick
    caf::replies_to<tick_atom, int64_t>::with<schedule_round>>;  // a round as at `now` (unix ms)

struct schedules_config {
  scan_limits limits;                      // a run's scan obeys POST /scans' limits
  std::chrono::seconds tick{15};           // SCHEDULER_TICK_SECONDS
  int64_t max_schedules = 100;             // MAX_SCHEDULES_PER_USER: schedules per owner
  std::chrono::milliseconds lease{60000};  // a claimed run another instance may take after this
  int64_t batch = 100;                     // runs claimed per statement (a round claims until done)
};

schedules_actor spawn_schedules(caf::actor_system& sys, schedules_config cfg, db_pool_actor pool,
                                cache_actor cache, engine_actor engine, webhook_actor webhooks);

}  // namespace vutf
