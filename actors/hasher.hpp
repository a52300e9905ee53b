// The hasher pool: Argon2id runs here, on detached threads of its own (about half the cores),
// never on HTTP or scheduler threads. Work queues in the workers' mailboxes, so a burst of
// logins waits its turn instead of starving every other request of CPU.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/caf_types.hpp"

namespace caf {
class actor_system;
}

namespace vutf {

using hasher_actor =
    caf::typed_actor<caf::replies_to<password_hash>::with<std::string>,  // encode a new password
                     caf::replies_to<password_check>::with<bool>>;  // verify against a stored hash

hasher_actor spawn_hasher(caf::actor_system& sys, size_t workers);

}  // namespace vutf
