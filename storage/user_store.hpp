// Users, sessions and service state in the database: each function runs inside a caller's
// transaction (session).
#pragma once

#include <optional>

#include "domain/identity.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

// Throws db_error(conflict) when the username or email is taken (case-insensitively).
void insert_user(session& s, const user& u);
std::optional<user> find_user(session& s, const std::string& id);
// By username or email, case-insensitively; live users only.
std::optional<user> find_user_by_login(session& s, const std::string& login);
void record_login(session& s, const std::string& user_id, int64_t at_ms);

void insert_session(session& s, const session_record& r);
// The live session and whether its user may still act (active, not deleted).
struct session_state {
  session_record record;
  user owner;
};
std::optional<session_state> find_live_session(session& s, const std::string& id, int64_t now_ms);
// Replaces the refresh token id only if `expected_jti` is still current; false otherwise.
bool rotate_refresh(session& s, const std::string& id, const std::string& expected_jti,
                    const std::string& next_jti, int64_t now_ms);
bool revoke_session(session& s, const std::string& id, int64_t at_ms);
std::vector<session_record> live_sessions(session& s, const std::string& user_id, int64_t now_ms);
// Revokes every live session of the user except `keep` (may be ""); returns the revoked ids.
std::vector<std::string> revoke_sessions_except(session& s, const std::string& user_id,
                                                const std::string& keep, int64_t at_ms);
// Replaces the user's profile fields and password hash if the stored version is still
// `u.version - 1`; false when it changed. Throws db_error(conflict) for a taken email.
bool update_user(session& s, const user& u);

// ---- API keys ----
void insert_api_key(session& s, const api_key& k);
std::vector<api_key> list_api_keys(session& s, const std::string& user_id);
std::optional<api_key> find_api_key(session& s, const std::string& id, const std::string& user_id);
// Revokes the live key `id` of `user_id` and every live key made from it, down the lineage;
// returns their cache scopes ("apikey:<hash>"), none when there was no such key.
std::vector<std::string> revoke_api_key(session& s, const std::string& id,
                                        const std::string& user_id, int64_t at_ms);
// The live keys made from `from_id` now descend from `to_id` (a rotation's new key).
void adopt_api_keys(session& s, const std::string& from_id, const std::string& to_id);
// The principal a live key stands for: not revoked, not expired, its user active.
std::optional<principal> principal_for_key(session& s, const std::string& key_hash, int64_t now_ms);
void touch_api_key(session& s, const std::string& id, int64_t at_ms);
// Revokes every live key of the user; returns their cache scopes ("apikey:<hash>").
std::vector<std::string> revoke_api_keys(session& s, const std::string& user_id, int64_t at_ms);

// ---- administration ----
int64_t count_users(session& s, const user_query& q);
std::vector<user> list_users(session& s, const user_query& q);
// Soft-deletes the user, revokes their sessions and keys; returns the cache scopes to bump
// ("session:<id>", "apikey:<hash>"), or nullopt when there is no such user.
std::optional<std::vector<std::string>> delete_user(session& s, const std::string& id,
                                                    int64_t at_ms);
// The cache scopes of every live session and key of the user (after a change of roles or
// activity, cached principals must be re-read).
std::vector<std::string> credential_scopes(session& s, const std::string& user_id, int64_t now_ms);

// The value stored under `name`, storing `value` first if there is none (first writer wins).
std::string get_or_put_state(session& s, const std::string& name, const std::string& value);

}  // namespace vutf::storage
