#include "actors/idempotency.hpp"

#include <caf/actor_system.hpp>

#include "actors/plumbing.hpp"
#include "config/time.hpp"

namespace vutf {
namespace {

using claim_result = result<std::optional<stored_response>>;

idempotency_actor::behavior_type idempotency(idempotency_actor::pointer self, db_pool_actor pool,
                                             std::chrono::hours retention) {
  plumbing<idempotency_actor::pointer> p{self, std::move(pool), {}, {}};
  return {
      [=](idempotency_claim& c) {
        auto rp = self->make_response_promise<claim_result>();
        int64_t expires =
            now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(retention).count();
        db_task<claim_result> task{
            "idempotency_claim", storage::access::write, c.deadline,
            [c, expires](storage::session& s) {
              return claim_result{{},
                                  storage::claim_idempotency_key(s, c.caller, c.key, c.request_hash,
                                                                 now_ms(), expires)};
            }};
        p.relay(std::move(task), rp);
        return rp;
      },
      [=](idempotency_save& v) {
        return p.answer(db_task<result<nothing>>{
            "idempotency_store", storage::access::write, v.deadline, [v](storage::session& s) {
              storage::store_idempotent_response(s, v.caller, v.key, v.response);
              return result<nothing>{};
            }});
      },
      [=](idempotency_release& r) {
        return p.answer(db_task<result<nothing>>{
            "idempotency_release", storage::access::write, r.deadline, [r](storage::session& s) {
              storage::release_idempotency_key(s, r.caller, r.key);
              return result<nothing>{};
            }});
      },
  };
}

}  // namespace

idempotency_actor spawn_idempotency(caf::actor_system& sys, db_pool_actor pool,
                                    std::chrono::hours retention) {
  return sys.spawn(idempotency, std::move(pool), retention);
}

}  // namespace vutf
