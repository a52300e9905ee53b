#include "actors/authentication.hpp"

#include <caf/actor_system.hpp>

#include "actors/principals.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

// Keys whose last_used_at is due are written in one batch this often: off the request path.
constexpr auto last_used_flush = std::chrono::seconds(5);
// That batch has no request behind it: it gets this long, like the other housekeeping.
constexpr auto last_used_write_time = std::chrono::seconds(30);

authentication_actor::behavior_type authentication(authentication_actor::pointer self,
                                                   authentication_config cfg, db_pool_actor pool,
                                                   cache_actor cache) {
  plumbing<authentication_actor::pointer> p{self, std::move(pool), std::move(cache), cfg.cache_ttl,
                                            cfg.near};
  self->delayed_send(self, last_used_flush, tick_atom::value);
  return {
      [=](authenticate& a) {
        auto rp = self->make_response_promise<result<principal>>();
        authenticate_then(p, cfg.auth, a.presented, a.deadline,
                          [rp](result<principal> r) mutable { rp.deliver(std::move(r)); });
        return rp;
      },
      [=](tick_atom) {
        if (auto batch = cfg.auth.used->take(); !batch.empty()) {
          db_task<nothing> touch{"api_key_touch", storage::access::write,
                                 clock::now() + last_used_write_time, [batch](storage::session& s) {
                                   for (const auto& [id, at] : batch)
                                     storage::touch_api_key(s, id, at);
                                   return nothing{};
                                 }};
          request_db(
              self, p.pool, std::move(touch), [](nothing) {}, [](failure) {});
        }
        self->delayed_send(self, last_used_flush, tick_atom::value);
      },
  };
}

}  // namespace

authentication_actor spawn_authentication(caf::actor_system& sys, authentication_config cfg,
                                          db_pool_actor pool, cache_actor cache) {
  return sys.spawn(authentication, std::move(cfg), std::move(pool), std::move(cache));
}

}  // namespace vutf
