// Identity in the domain: users, sessions, API keys, principals and the rules of registration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/error.hpp"

namespace vutf {

struct user {
  std::string id;
  std::string username;
  std::string email;
  std::optional<std::string> full_name;
  std::string password_hash;  // Argon2id, encoded; never leaves the service
  bool is_active = true;
  std::vector<std::string> roles{"user"};
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> last_login_at_ms;
  bool is_admin() const;
};

struct user_query {
  std::string q;  // case-insensitive substring of username or email
  std::optional<bool> is_active;
  std::string role;  // "" = any
  std::string sort = "-created_at";
  int64_t page = 1;
  int64_t per_page = 20;
};

// Sortable fields of users.
const std::vector<std::string>& user_sort_keys();

struct session_record {
  std::string id;
  std::string user_id;
  std::string refresh_jti;  // the one refresh token of this session that still works
  int64_t created_at_ms = 0;
  int64_t last_seen_at_ms = 0;
  int64_t expires_at_ms = 0;
  std::optional<int64_t> revoked_at_ms;
  std::string ip;
  std::string user_agent;
};

struct api_key {
  std::string id;
  std::string user_id;
  std::string name;
  std::string prefix;               // the first characters of the key, to recognise it
  std::string key_hash;             // SHA-256 of the key; the key itself is never stored
  std::vector<std::string> scopes;  // "read", "write"
  int64_t created_at_ms = 0;
  std::optional<int64_t> expires_at_ms;
  std::optional<int64_t> last_used_at_ms;
  std::optional<std::string> parent_id;  // the live key it was made with; revoked with it
};

// A key as created: the record and, this once, the key itself.
struct api_key_created {
  api_key record;
  std::string key;
};

// Who is calling, once authenticated.
struct principal {
  std::string user_id;
  std::vector<std::string> roles;
  std::string session_id;           // "" for API keys
  std::string kind;                 // "user" | "api_key"
  std::vector<std::string> scopes;  // an API key's scopes; empty for users (everything)
  std::string key_id;               // the API key used, if any
  bool is_admin() const;
  // False only for an API key without the "write" scope.
  bool may_write() const;
};

// The lineage rule of API keys: a key made with an API key (`parent`) may neither out-scope it
// (FORBIDDEN naming the scopes it lacks) nor outlive it (VALIDATION_ERROR on expires_in_days).
// A `child` without an expiry takes the parent's when `inherit_expiry`; otherwise a parent that
// expires refuses a child that never does.
std::optional<failure> bound_by_parent(const api_key& parent, api_key& child, bool inherit_expiry);

// Field rules of the contract: username 3-64 of [A-Za-z0-9_.-]; a plausible email (at most 254);
// password 8-128 with at least one letter and one digit, not equal to the username.
std::vector<field_error> validate_registration(const std::string& username,
                                               const std::string& email,
                                               const std::string& password);
std::optional<field_error> check_email(const std::string& email);
std::optional<field_error> check_password(const std::string& password, const std::string& username,
                                          const char* field = "password");

}  // namespace vutf
