#include "storage/user_store.hpp"

#include <deque>
#include <map>
#include <sstream>

#include "config/strings.hpp"

namespace vutf::storage {
namespace sql {

#define VUTF_USER_COLUMNS                                                                      \
  "u.id, u.username, u.email, u.full_name, u.password_hash, u.is_active, u.roles, u.version, " \
  "u.created_at, u.updated_at, u.last_login_at"

const statement user_insert{
    "user_insert",
    "INSERT INTO users (id, username, email, full_name, password_hash, is_active, roles, version, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"};
const statement user_get{"user_get", "SELECT " VUTF_USER_COLUMNS
                                     " FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL"};
const statement user_by_login{
    "user_by_login",
    "SELECT " VUTF_USER_COLUMNS
    " FROM users u WHERE (lower(u.username) = lower($1) OR lower(u.email) = lower($1)) "
    "AND u.deleted_at IS NULL"};
const statement user_record_login{"user_record_login",
                                  "UPDATE users SET last_login_at = $2 WHERE id = $1"};
const statement session_insert{
    "session_insert",
    "INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_seen_at, expires_at, ip, "
    "user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
const statement session_live{
    "session_live",
    "SELECT s.id, s.user_id, s.refresh_jti, s.created_at, s.last_seen_at, s.expires_at, s.ip, "
    "s.user_agent, " VUTF_USER_COLUMNS
    " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.revoked_at IS NULL "
    "AND s.expires_at > $2 AND u.deleted_at IS NULL AND u.is_active = 1"};
const statement session_rotate{
    "session_rotate",
    "UPDATE sessions SET refresh_jti = $3, last_seen_at = $4 WHERE id = $1 AND refresh_jti = $2 "
    "AND revoked_at IS NULL"};
const statement session_revoke{
    "session_revoke", "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"};
const statement sessions_of_user{
    "sessions_of_user",
    "SELECT id, user_id, refresh_jti, created_at, last_seen_at, expires_at, ip, user_agent "
    "FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 "
    "ORDER BY created_at DESC, id DESC"};
const statement user_update{
    "user_update",
    "UPDATE users SET email = $3, full_name = $4, password_hash = $5, is_active = $6, roles = $7, "
    "version = version + 1, updated_at = $8 WHERE id = $1 AND version = $2 AND deleted_at IS NULL"};
// $1 LIKE pattern over username and email ('' = any), $2 is_active (-1 = any), $3 role ('' =
// any; roles are stored comma-separated).
#define VUTF_USER_FILTER                                                                  \
  " FROM users u WHERE u.deleted_at IS NULL AND ($1 = '' OR lower(u.username) LIKE $1 "   \
  "ESCAPE '\\' OR lower(u.email) LIKE $1 ESCAPE '\\') AND ($2 = -1 OR u.is_active = $2) " \
  "AND ($3 = '' OR (',' || u.roles || ',') LIKE ('%,' || $3 || ',%'))"
const statement user_count{"user_count", "SELECT COUNT(*)" VUTF_USER_FILTER};
const statement user_delete{
    "user_delete",
    "UPDATE users SET deleted_at = $2, version = version + 1 WHERE id = $1 AND deleted_at IS NULL"};
const statement keys_of_user{
    "keys_of_user", "SELECT key_hash FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL"};
const statement keys_revoke_all{"keys_revoke_all",
                                "UPDATE api_keys SET revoked_at = $2 WHERE user_id = $1 AND "
                                "revoked_at IS NULL"};
const statement state_put{"state_put",
                          "INSERT INTO service_state (name, value) VALUES ($1, $2) "
                          "ON CONFLICT (name) DO NOTHING"};
const statement state_get{"state_get", "SELECT value FROM service_state WHERE name = $1"};

#define VUTF_KEY_COLUMNS                                                                  \
  "k.id, k.user_id, k.name, k.prefix, k.key_hash, k.scopes, k.created_at, k.expires_at, " \
  "k.last_used_at, k.parent_id"

const statement key_insert{
    "api_key_insert",
    "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, created_at, expires_at, "
    "parent_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};
const statement key_list{"api_key_list",
                         "SELECT " VUTF_KEY_COLUMNS
                         " FROM api_keys k WHERE k.user_id = $1 AND k.revoked_at IS NULL "
                         "ORDER BY k.created_at DESC, k.id DESC"};
const statement key_get{"api_key_get", "SELECT " VUTF_KEY_COLUMNS
                                       " FROM api_keys k WHERE k.id = $1 AND k.user_id = $2 AND "
                                       "k.revoked_at IS NULL"};
// The key and every live key made from it, however deep (a key's children are made by the same
// user, so the tree never leaves $2).
const statement key_revoke{
    "api_key_revoke",
    "WITH RECURSIVE tree(id) AS (SELECT id FROM api_keys WHERE id = $1 AND user_id = $2 AND "
    "revoked_at IS NULL UNION SELECT k.id FROM api_keys k JOIN tree t ON k.parent_id = t.id "
    "WHERE k.revoked_at IS NULL) "
    "UPDATE api_keys SET revoked_at = $3 WHERE id IN (SELECT id FROM tree) RETURNING key_hash"};
const statement key_adopt{"api_key_adopt",
                          "UPDATE api_keys SET parent_id = $2 WHERE parent_id = $1 AND "
                          "revoked_at IS NULL"};
const statement key_principal{
    "api_key_principal",
    "SELECT k.id, k.user_id, k.scopes, u.roles FROM api_keys k JOIN users u ON u.id = k.user_id "
    "WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > "
    "$2) "
    "AND u.deleted_at IS NULL AND u.is_active = 1"};
const statement key_touch{"api_key_touch",
                          "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND "
                          "(last_used_at IS NULL OR last_used_at < $2)"};

}  // namespace sql

namespace {

// Reads the VUTF_USER_COLUMNS starting at column `at`.
user user_from(const row& r, size_t at) {
  user u;
  u.id = r[at].value_or("");
  u.username = r[at + 1].value_or("");
  u.email = r[at + 2].value_or("");
  u.full_name = r[at + 3];
  u.password_hash = r[at + 4].value_or("");
  u.is_active = as_int(r[at + 5]) != 0;
  u.roles = split(r[at + 6].value_or("user"));
  u.version = as_int(r[at + 7]);
  u.created_at_ms = as_int(r[at + 8]);
  u.updated_at_ms = as_int(r[at + 9]);
  if (r[at + 10]) u.last_login_at_ms = as_int(r[at + 10]);
  return u;
}

}  // namespace

void insert_user(session& s, const user& u) {
  s.exec(sql::user_insert, {u.id, u.username, u.email, nullable(u.full_name), u.password_hash,
                            int64_t{u.is_active ? 1 : 0}, join(u.roles), u.version, u.created_at_ms,
                            u.updated_at_ms});
}

std::optional<user> find_user(session& s, const std::string& id) {
  rows r = s.exec(sql::user_get, {id});
  if (r.data.empty()) return std::nullopt;
  return user_from(r.data.front(), 0);
}

std::optional<user> find_user_by_login(session& s, const std::string& login) {
  rows r = s.exec(sql::user_by_login, {login});
  if (r.data.empty()) return std::nullopt;
  return user_from(r.data.front(), 0);
}

void record_login(session& s, const std::string& user_id, int64_t at_ms) {
  s.exec(sql::user_record_login, {user_id, at_ms});
}

void insert_session(session& s, const session_record& r) {
  s.exec(sql::session_insert, {r.id, r.user_id, r.refresh_jti, r.created_at_ms, r.last_seen_at_ms,
                               r.expires_at_ms, r.ip, r.user_agent});
}

std::optional<session_state> find_live_session(session& s, const std::string& id, int64_t now_ms) {
  rows r = s.exec(sql::session_live, {id, now_ms});
  if (r.data.empty()) return std::nullopt;
  const row& x = r.data.front();
  session_state st;
  st.record.id = x[0].value_or("");
  st.record.user_id = x[1].value_or("");
  st.record.refresh_jti = x[2].value_or("");
  st.record.created_at_ms = as_int(x[3]);
  st.record.last_seen_at_ms = as_int(x[4]);
  st.record.expires_at_ms = as_int(x[5]);
  st.record.ip = x[6].value_or("");
  st.record.user_agent = x[7].value_or("");
  st.owner = user_from(x, 8);
  return st;
}

bool rotate_refresh(session& s, const std::string& id, const std::string& expected_jti,
                    const std::string& next_jti, int64_t now_ms) {
  return s.exec(sql::session_rotate, {id, expected_jti, next_jti, now_ms}).affected == 1;
}

bool revoke_session(session& s, const std::string& id, int64_t at_ms) {
  return s.exec(sql::session_revoke, {id, at_ms}).affected == 1;
}

namespace {

api_key key_from(const row& r) {
  api_key k;
  k.id = r[0].value_or("");
  k.user_id = r[1].value_or("");
  k.name = r[2].value_or("");
  k.prefix = r[3].value_or("");
  k.key_hash = r[4].value_or("");
  k.scopes = split(r[5].value_or(""));
  k.created_at_ms = as_int(r[6]);
  if (r[7]) k.expires_at_ms = as_int(r[7]);
  if (r[8]) k.last_used_at_ms = as_int(r[8]);
  k.parent_id = r[9];
  return k;
}

// The cache scopes ("apikey:<hash>") of the keys whose hashes `rows` holds in its first column.
std::vector<std::string> key_scopes_of(const rows& found) {
  std::vector<std::string> scopes;
  for (const auto& r : found.data) scopes.push_back("apikey:" + r[0].value_or(""));
  return scopes;
}

}  // namespace

void insert_api_key(session& s, const api_key& k) {
  s.exec(sql::key_insert,
         {k.id, k.user_id, k.name, k.prefix, k.key_hash, join(k.scopes), k.created_at_ms,
          k.expires_at_ms ? value(*k.expires_at_ms) : value(nullptr), nullable(k.parent_id)});
}

std::vector<api_key> list_api_keys(session& s, const std::string& user_id) {
  std::vector<api_key> out;
  for (const auto& r : s.exec(sql::key_list, {user_id}).data) out.push_back(key_from(r));
  return out;
}

std::optional<api_key> find_api_key(session& s, const std::string& id, const std::string& user_id) {
  rows r = s.exec(sql::key_get, {id, user_id});
  if (r.data.empty()) return std::nullopt;
  return key_from(r.data.front());
}

std::vector<std::string> revoke_api_key(session& s, const std::string& id,
                                        const std::string& user_id, int64_t at_ms) {
  return key_scopes_of(s.exec(sql::key_revoke, {id, user_id, at_ms}));
}

void adopt_api_keys(session& s, const std::string& from_id, const std::string& to_id) {
  s.exec(sql::key_adopt, {from_id, to_id});
}

std::optional<principal> principal_for_key(session& s, const std::string& key_hash,
                                           int64_t now_ms) {
  rows r = s.exec(sql::key_principal, {key_hash, now_ms});
  if (r.data.empty()) return std::nullopt;
  const row& x = r.data.front();
  principal p;
  p.key_id = x[0].value_or("");
  p.user_id = x[1].value_or("");
  p.scopes = split(x[2].value_or(""));
  p.roles = split(x[3].value_or("user"));
  p.kind = "api_key";
  return p;
}

void touch_api_key(session& s, const std::string& id, int64_t at_ms) {
  s.exec(sql::key_touch, {id, at_ms});
}

std::vector<session_record> live_sessions(session& s, const std::string& user_id, int64_t now_ms) {
  std::vector<session_record> out;
  for (const auto& x : s.exec(sql::sessions_of_user, {user_id, now_ms}).data) {
    session_record r;
    r.id = x[0].value_or("");
    r.user_id = x[1].value_or("");
    r.created_at_ms = as_int(x[3]);
    r.last_seen_at_ms = as_int(x[4]);
    r.expires_at_ms = as_int(x[5]);
    r.ip = x[6].value_or("");
    r.user_agent = x[7].value_or("");
    out.push_back(std::move(r));  // refresh_jti stays inside the service
  }
  return out;
}

std::vector<std::string> revoke_sessions_except(session& s, const std::string& user_id,
                                                const std::string& keep, int64_t at_ms) {
  std::vector<std::string> revoked;
  for (const auto& r : live_sessions(s, user_id, at_ms))
    if (r.id != keep && revoke_session(s, r.id, at_ms)) revoked.push_back(r.id);
  return revoked;
}

bool update_user(session& s, const user& u) {
  return s.exec(sql::user_update,
                {u.id, u.version - 1, u.email, nullable(u.full_name), u.password_hash,
                 int64_t{u.is_active ? 1 : 0}, join(u.roles), u.updated_at_ms})
             .affected == 1;
}

namespace {

const statement& user_list_statement(const std::string& sort) {
  static const std::map<std::string, statement> by_sort = [] {
    std::map<std::string, statement> m;
    static std::deque<std::string> names;  // never moves its strings: c_str() stays valid
    for (const auto& key : user_sort_keys()) {
      for (bool desc : {false, true}) {
        std::string dir = desc ? " DESC" : " ASC";
        names.push_back("user_list_" + key + (desc ? "_desc" : "_asc"));
        m.emplace((desc ? "-" : "") + key,
                  statement{names.back().c_str(),
                            "SELECT " VUTF_USER_COLUMNS VUTF_USER_FILTER " ORDER BY u." + key +
                                dir + ", u.id" + dir + " LIMIT $4 OFFSET $5"});
      }
    }
    return m;
  }();
  auto it = by_sort.find(sort);
  return it != by_sort.end() ? it->second : by_sort.at("-created_at");
}

std::vector<value> user_filter(const user_query& q) {
  return {like_pattern(q.q), int64_t{q.is_active ? (*q.is_active ? 1 : 0) : -1}, q.role};
}

}  // namespace

int64_t count_users(session& s, const user_query& q) {
  return count_of(s, sql::user_count, user_filter(q));
}

std::vector<user> list_users(session& s, const user_query& q) {
  std::vector<user> out;
  for (const auto& r :
       s.exec(user_list_statement(q.sort), with_page(user_filter(q), q.page, q.per_page)).data)
    out.push_back(user_from(r, 0));
  return out;
}

namespace {
std::vector<std::string> key_scopes(session& s, const std::string& user_id) {
  return key_scopes_of(s.exec(sql::keys_of_user, {user_id}));
}
}  // namespace

std::vector<std::string> credential_scopes(session& s, const std::string& user_id, int64_t now_ms) {
  std::vector<std::string> scopes = key_scopes(s, user_id);
  for (const auto& r : live_sessions(s, user_id, now_ms)) scopes.push_back("session:" + r.id);
  return scopes;
}

std::vector<std::string> revoke_api_keys(session& s, const std::string& user_id, int64_t at_ms) {
  std::vector<std::string> scopes = key_scopes(s, user_id);
  s.exec(sql::keys_revoke_all, {user_id, at_ms});
  return scopes;
}

std::optional<std::vector<std::string>> delete_user(session& s, const std::string& id,
                                                    int64_t at_ms) {
  if (s.exec(sql::user_delete, {id, at_ms}).affected != 1) return std::nullopt;
  std::vector<std::string> scopes = revoke_api_keys(s, id, at_ms);
  for (const auto& sid : revoke_sessions_except(s, id, "", at_ms))
    scopes.push_back("session:" + sid);
  return scopes;
}

std::string get_or_put_state(session& s, const std::string& name, const std::string& value) {
  s.exec(sql::state_put, {name, value});
  rows r = s.exec(sql::state_get, {name});
  return r.data.empty() ? value : r.data.front()[0].value_or(value);
}

}  // namespace vutf::storage
