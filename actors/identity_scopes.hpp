// What the identity actors (authentication, accounts, API keys) share: the cache scopes a
// credential's principal is cached under, which every revocation bumps, and their replies.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "config/time.hpp"
#include "domain/crypto.hpp"

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

// API keys used since their last_used_at was last written, with when: noted by every actor that
// authenticates a key, written in one batch by the authentication actor.
class key_usage {
 public:
  void note(const std::string& key_id, int64_t at_ms) {
    std::lock_guard lock(m_);
    used_[key_id] = at_ms;
  }
  std::map<std::string, int64_t> take() {
    std::lock_guard lock(m_);
    std::map<std::string, int64_t> batch;
    batch.swap(used_);
    return batch;
  }

 private:
  std::mutex m_;
  std::map<std::string, int64_t> used_;
};

// What an actor needs to authenticate presented credentials (actors/principals.hpp).
struct authenticator {
  std::shared_ptr<identity::token_verifier> tokens;  // verifies access tokens (the secret key)
  std::shared_ptr<key_usage> used = std::make_shared<key_usage>();  // where API key use is noted
};

template <class T>
result<T> unauthorized(const char* detail = "Missing or invalid credentials.") {
  return result<T>::fail(errc::unauthorized, detail);
}

}  // namespace vutf
