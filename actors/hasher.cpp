#include "actors/hasher.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "domain/crypto.hpp"

namespace vutf {
namespace {

hasher_actor::behavior_type hasher_worker(hasher_actor::pointer) {
  return {
      [](password_hash& h) { return identity::hash_password(h.password); },
      [](password_check& c) { return identity::verify_password(c.encoded, c.password); },
  };
}

struct hasher_state {
  std::vector<hasher_actor> workers;
  size_t next = 0;
  static inline const char* name = "hasher";
};

hasher_actor::behavior_type hasher_pool(hasher_actor::stateful_pointer<hasher_state> self,
                                        size_t workers) {
  for (size_t i = 0; i < workers; ++i) {
    auto w = self->home_system().spawn<caf::detached>(hasher_worker);
    self->link_to(w);
    self->state.workers.push_back(w);
  }
  auto pick = [self]() -> hasher_actor& {
    auto& st = self->state;
    return st.workers[st.next++ % st.workers.size()];
  };
  return {
      [=](password_hash& h) { return self->delegate(pick(), std::move(h)); },
      [=](password_check& c) { return self->delegate(pick(), std::move(c)); },
  };
}

}  // namespace

hasher_actor spawn_hasher(caf::actor_system& sys, size_t workers) {
  return sys.spawn(hasher_pool, std::max<size_t>(1, workers));
}

}  // namespace vutf
