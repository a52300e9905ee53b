#include "actors/authentication.hpp"

#include <caf/actor_system.hpp>
#include <functional>
#include <map>

#include "actors/identity_scopes.hpp"
#include "actors/plumbing.hpp"
#include "domain/crypto.hpp"
#include "domain/encoding.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

// Keys whose last_used_at is due are written in one batch this often: off the request path.
constexpr auto last_used_flush = std::chrono::seconds(5);
// That batch has no request behind it: it gets this long, like the other housekeeping.
constexpr auto last_used_write_time = std::chrono::seconds(30);

std::optional<principal> session_principal(const std::optional<storage::session_state>& s) {
  if (!s) return std::nullopt;
  principal p;
  p.user_id = s->owner.id;
  p.roles = s->owner.roles;
  p.session_id = s->record.id;
  p.kind = "user";
  return p;
}

// How presented credentials resolve: the scope their principal is cached under (which their
// revocation bumps), the read that finds it on a miss (encoded, so "nobody" is cached too) and
// what the principal found must match.
struct resolution {
  std::string scope;
  db_task<result<std::string>> read;
  std::function<bool(const principal&)> matches = [](const principal&) { return true; };
};

// An API key by its SHA-256, else a verified access token by its session; nullopt for neither.
std::optional<resolution> resolve(const credentials& presented, const std::string& secret_key,
                                  clock::time_point deadline) {
  if (!presented.api_key.empty()) {
    std::string hash = identity::sha256_hex(presented.api_key);
    return resolution{
        key_scope(hash),
        {"api_key_principal", storage::access::read, deadline, [hash](storage::session& s) {
           return result<std::string>{{}, encode(storage::principal_for_key(s, hash, now_ms()))};
         }}};
  }
  if (auto c = identity::verify(presented.bearer, secret_key, "access", now_s())) {
    return resolution{
        session_scope(c->sid),
        {"session_live", storage::access::read, deadline,
         [sid = c->sid](storage::session& s) {
           return result<std::string>{
               {}, encode(session_principal(storage::find_live_session(s, sid, now_ms())))};
         }},
        [sub = c->sub](const principal& p) { return p.user_id == sub; }};
  }
  return std::nullopt;
}

authentication_actor::behavior_type authentication(authentication_actor::pointer self,
                                                   authentication_config cfg, db_pool_actor pool,
                                                   cache_actor cache) {
  plumbing<authentication_actor::pointer> p{self, std::move(pool), std::move(cache), cfg.cache_ttl};
  // API keys used since the last batch, with when.
  auto last_used = std::make_shared<std::map<std::string, int64_t>>();
  self->delayed_send(self, last_used_flush, tick_atom::value);
  return {
      [=](authenticate& a) {
        auto rp = self->make_response_promise<result<principal>>();
        auto how = resolve(a.presented, cfg.secret_key, a.deadline);
        if (!how) {
          rp.deliver(unauthorized<principal>());
          return rp;
        }
        auto answer = [=, matches = how->matches](const std::string& state) mutable {
          std::optional<principal> who;
          if (!decode(state, who) || !who || !matches(*who)) {
            rp.deliver(unauthorized<principal>());
            return;
          }
          if (who->kind == "api_key") (*last_used)[who->key_id] = now_ms();
          rp.deliver(result<principal>{{}, *who});
        };
        p.lookup(how->scope, "principal", rp,
                 [=, scope = how->scope, read = how->read](cache_entry& e) mutable {
                   if (e.value) {
                     answer(*e.value);
                     return;
                   }
                   p.run(std::move(read), rp, "", [=](result<std::string> r) mutable {
                     p.store(scope, e, "principal", r.value);
                     answer(r.value);
                   });
                 });
        return rp;
      },
      [=](tick_atom) {
        if (!last_used->empty()) {
          std::map<std::string, int64_t> batch;
          batch.swap(*last_used);
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
