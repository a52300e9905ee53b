// The accounts actor: registration, logins and token refreshes, the caller's sessions and
// account, and user administration. Passwords are hashed on the hasher pool; every change that
// ends sessions or alters a principal bumps its cache scopes before answering.
#pragma once

#include <caf/typed_actor.hpp>

#include "actors/cache.hpp"
#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/hasher.hpp"

namespace vutf {

using accounts_actor = caf::typed_actor<
    caf::replies_to<user_register>::with<result<user>>,        // hash, then create the account
    caf::replies_to<user_login>::with<result<token_pair>>,     // check a password, open a session
    caf::replies_to<token_refresh>::with<result<token_pair>>,  // single-use refresh; reuse revokes
    caf::replies_to<session_logout>::with<result<nothing>>,    // revoke the caller's session
    caf::replies_to<user_me>::with<result<user>>,              // the caller's account
    caf::replies_to<session_list>::with<result<std::vector<session_record>>>,  // live sessions
    caf::replies_to<session_revoke>::with<result<nothing>>,          // end one of the caller's
    caf::replies_to<sessions_revoke_others>::with<result<nothing>>,  // end all but the current
    caf::replies_to<user_update_me>::with<result<user>>,             // email, full name
    caf::replies_to<password_change>::with<result<nothing>>,         // and end other sessions
    caf::replies_to<user_list>::with<result<user_page>>,             // admin: search users
    caf::replies_to<user_get>::with<result<user>>,                   // admin: one user
    caf::replies_to<user_update>::with<result<user>>,                // admin: change a user
    caf::replies_to<user_delete>::with<result<nothing>>>;            // admin: soft delete

struct accounts_config {
  std::string secret_key;  // signs access and refresh tokens
  std::chrono::minutes access_ttl{30};
  std::chrono::hours refresh_ttl{24 * 7};
  std::string dummy_hash;  // verified when the user does not exist, so timing tells nothing
  int64_t login_max_failures = 10;  // LOGIN_MAX_FAILURES: failed logins per account in 15 min
};

accounts_actor spawn_accounts(caf::actor_system& sys, accounts_config cfg, db_pool_actor pool,
                              cache_actor cache, hasher_actor hasher);

}  // namespace vutf
