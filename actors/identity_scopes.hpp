// What the identity actors (authentication, accounts, API keys) share: the cache scopes a
// credential's principal is cached under, which every revocation bumps, and their replies.
#pragma once

#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "config/time.hpp"

namespace vutf {

// The scope of a session's cached principal.
inline std::string session_scope(const std::string& sid) {
  return "session:" + sid;
}

inline std::vector<std::string> session_scopes(const std::vector<std::string>& sids) {
  std::vector<std::string> scopes;
  for (const auto& sid : sids) scopes.push_back(session_scope(sid));
  return scopes;
}

// The scope of an API key's cached principal, by the key's SHA-256.
inline std::string key_scope(const std::string& hash) {
  return "apikey:" + hash;
}

// Token times are in seconds.
inline int64_t now_s() {
  return now_ms() / 1000;
}

template <class T>
result<T> unauthorized(const char* detail = "Missing or invalid credentials.") {
  return result<T>::fail(errc::unauthorized, detail);
}

}  // namespace vutf
