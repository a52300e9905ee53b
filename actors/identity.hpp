// The identity actor: accounts, sessions and tokens. Passwords are hashed on the hasher pool;
// a token is checked on every request against its session (through the versioned cache), so a
// logout or a revoked session stops its tokens at once on every instance.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/hasher.hpp"

namespace vutf {

using identity_actor = caf::typed_actor<
    caf::replies_to<user_register>::with<result<user>>,        // hash, then create the account
    caf::replies_to<user_login>::with<result<token_pair>>,     // check a password, open a session
    caf::replies_to<token_refresh>::with<result<token_pair>>,  // single-use refresh; reuse revokes
    caf::replies_to<authenticate>::with<result<principal>>,    // who presents these credentials
    caf::replies_to<session_logout>::with<result<nothing>>,    // revoke the caller's session
    caf::replies_to<user_me>::with<result<user>>,              // the caller's account
    caf::replies_to<session_list>::with<result<std::vector<session_record>>>,  // live sessions
    caf::replies_to<session_revoke>::with<result<nothing>>,             // end one of the caller's
    caf::replies_to<sessions_revoke_others>::with<result<nothing>>,     // end all but the current
    caf::replies_to<user_update_me>::with<result<user>>,                // email, full name
    caf::replies_to<password_change>::with<result<nothing>>,            // and end other sessions
    caf::replies_to<user_list>::with<result<user_page>>,                // admin: search users
    caf::replies_to<user_get>::with<result<user>>,                      // admin: one user
    caf::replies_to<user_update>::with<result<user>>,                   // admin: change a user
    caf::replies_to<user_delete>::with<result<nothing>>,                // admin: soft delete
    caf::replies_to<api_key_create>::with<result<api_key_created>>,     // a key, shown once
    caf::replies_to<api_key_list>::with<result<std::vector<api_key>>>,  // the caller's live keys
    caf::replies_to<api_key_revoke>::with<result<nothing>>,             // revoke at once
    caf::replies_to<api_key_rotate>::with<result<api_key_created>>,     // new key, old revoked
    caf::reacts_to<tick_atom>>;  // internal: write the keys' last_used_at in one batch

struct identity_config {
  std::string secret_key;
  std::chrono::minutes access_ttl{30};
  std::chrono::hours refresh_ttl{24 * 7};
  std::chrono::seconds cache_ttl{300};
  std::string dummy_hash;  // verified when the user does not exist, so timing tells nothing
};

identity_actor spawn_identity(caf::actor_system& sys, identity_config cfg, db_pool_actor pool,
                              cache_actor cache, hasher_actor hasher);

}  // namespace vutf
