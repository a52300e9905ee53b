#include "actors/api_keys.hpp"

#include <caf/actor_system.hpp>

#include "actors/plumbing.hpp"
#include "config/time.hpp"
#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

api_key_created new_key(const std::string& user_id, const std::string& name,
                        const std::vector<std::string>& scopes,
                        std::optional<int64_t> expires_in_days) {
  api_key_created made;
  made.key = identity::make_api_key();
  api_key& k = made.record;
  k.created_at_ms = now_ms();
  k.id = make_time_ordered_uuid(k.created_at_ms);  // newest first, even in one millisecond
  k.user_id = user_id;
  k.name = name;
  k.prefix = made.key.substr(0, 12);
  k.key_hash = identity::sha256_hex(made.key);
  k.scopes = scopes;
  if (expires_in_days) k.expires_at_ms = k.created_at_ms + *expires_in_days * 86'400'000;
  return made;
}

// Why `child`, made by `who`, may not be made: a caller authenticated by an API key makes keys
// bound by that key (domain/identity.hpp, bound_by_parent) and revoked with it; a user's session
// makes any key.
std::optional<failure> unbounded(storage::session& s, const principal& who, api_key& child,
                                 bool inherit_expiry) {
  if (who.kind != "api_key") return std::nullopt;
  auto parent = storage::find_api_key(s, who.key_id, who.user_id);
  if (!parent) return failure{errc::unauthorized, "The API key was revoked.", {}};
  child.parent_id = parent->id;  // revoked with its parent
  return bound_by_parent(*parent, child, inherit_expiry);
}

api_keys_actor::behavior_type api_keys(api_keys_actor::pointer self, db_pool_actor pool,
                                       cache_actor cache) {
  plumbing<api_keys_actor::pointer> p{self, std::move(pool), std::move(cache), {}};
  return {
      [=](api_key_create& k) {
        api_key_created made = new_key(k.who.user_id, k.name, k.scopes, k.expires_in_days);
        db_task<result<api_key_created>> task{
            "api_key_insert", storage::access::write, k.deadline,
            [made, who = k.who](storage::session& s) mutable -> result<api_key_created> {
              if (auto refused = unbounded(s, who, made.record, true))
                return {std::move(refused), {}};
              storage::insert_api_key(s, made.record);
              return {{}, made};
            }};
        return p.write(written_by(std::move(task), k.who.user_id), {},
                       "An API key with this name already exists.");
      },
      [=](api_key_list& l) {
        return p.answer(replica_read(
            db_task<result<std::vector<api_key>>>{
                "api_key_list", storage::access::read, l.deadline,
                [id = l.who.user_id](storage::session& s) {
                  return result<std::vector<api_key>>{{}, storage::list_api_keys(s, id)};
                }},
            l.who.user_id));
      },
      [=](api_key_revoke& r) {
        return p.commit(written_by(
            db_task<result<touched<nothing>>>{
                "api_key_revoke", storage::access::write, r.deadline,
                [r](storage::session& s) -> result<touched<nothing>> {
                  // The keys made from it go too: their cached principals are invalidated with its.
                  auto scopes = storage::revoke_api_key(s, r.id, r.who.user_id, now_ms());
                  if (scopes.empty())
                    return result<touched<nothing>>::fail(errc::not_found, "API key not found.");
                  return {{}, {{}, std::move(scopes)}};
                }},
            r.who.user_id));
      },
      [=](api_key_rotate& r) {
        // The new key, answered once the old one's cached principal is invalidated.
        return p.commit(written_by(
            db_task<result<touched<api_key_created>>>{
                "api_key_rotate", storage::access::write, r.deadline,
                [r](storage::session& s) -> result<touched<api_key_created>> {
                  using answer = result<touched<api_key_created>>;
                  auto old = storage::find_api_key(s, r.id, r.who.user_id);
                  if (!old) return answer::fail(errc::not_found, "API key not found.");
                  api_key_created made = new_key(r.who.user_id, old->name, old->scopes, {});
                  made.record.expires_at_ms = old->expires_at_ms;
                  // Checked before anything is written: a refusal is not rolled back.
                  if (unbounded(s, r.who, made.record, false))
                    return answer::fail(
                        errc::forbidden,
                        "An API key cannot rotate a key with more scopes or a longer "
                        "life than its own.");
                  // The new key takes the old one's place in the lineage: its children stay live.
                  made.record.parent_id = old->parent_id;
                  storage::adopt_api_keys(s, old->id, made.record.id);
                  auto gone = storage::revoke_api_key(s, r.id, r.who.user_id, now_ms());
                  if (gone.empty()) return answer::fail(errc::not_found, "API key not found.");
                  storage::insert_api_key(s, made.record);
                  return {{}, {made, std::move(gone)}};
                }},
            r.who.user_id));
      },
  };
}

}  // namespace

api_keys_actor spawn_api_keys(caf::actor_system& sys, db_pool_actor pool, cache_actor cache) {
  return sys.spawn(api_keys, std::move(pool), std::move(cache));
}

}  // namespace vutf
