#include "actors/principals.hpp"

#include "domain/crypto.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

std::optional<principal> session_principal(const std::optional<storage::session_state>& s) {
  if (!s) return std::nullopt;
  principal p;
  p.user_id = s->owner.id;
  p.roles = s->owner.roles;
  p.session_id = s->record.id;
  p.kind = "user";
  return p;
}

}  // namespace

std::optional<resolution> resolve(const credentials& presented, const authenticator& a,
                                  clock::time_point deadline) {
  // Filled in place: GCC 12 -O2 takes a braced temporary moved into the optional for reading
  // db_task's strings uninitialized (-Wmaybe-uninitialized, a false positive).
  std::optional<resolution> how;
  if (!presented.api_key.empty()) {
    std::string hash = identity::sha256_hex(presented.api_key);
    how.emplace();
    how->scope = key_scope(hash);
    how->read = {
        "api_key_principal", storage::access::read, deadline, [hash](storage::session& s) {
          return result<std::string>{{}, encode(storage::principal_for_key(s, hash, now_ms()))};
        }};
    return how;
  }
  if (!a.tokens) return how;
  if (auto c = a.tokens->verify(presented.bearer, "access", now_s())) {
    how.emplace();
    how->scope = session_scope(c->sid);
    how->read = {"session_live", storage::access::read, deadline,
                 [sid = c->sid](storage::session& s) {
                   return result<std::string>{
                       {}, encode(session_principal(storage::find_live_session(s, sid, now_ms())))};
                 }};
    how->matches = [sub = c->sub](const principal& p) { return p.user_id == sub; };
  }
  return how;
}

result<principal> principal_of(const std::string& state,
                               const std::function<bool(const principal&)>& matches,
                               key_usage* used) {
  std::optional<principal> who;
  if (!decode(state, who) || !who || !matches(*who)) return unauthorized<principal>();
  if (who->kind == "api_key" && used) used->note(who->key_id, now_ms());
  return result<principal>{{}, std::move(*who)};
}

std::optional<result<principal>> authenticate_near(const near_link& near, const authenticator& a,
                                                   const credentials& presented) {
  if (!near.cache) return std::nullopt;
  auto how = resolve(presented, a, clock::time_point::max());
  if (!how) return unauthorized<principal>();
  auto state = near.cache->get(how->scope, "principal");
  if (!state) return std::nullopt;
  near.count_hit();
  return principal_of(*state, how->matches, a.used.get());
}

}  // namespace vutf
