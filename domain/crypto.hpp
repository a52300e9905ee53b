// The service's cryptography: password hashing (Argon2id), signed tokens (HS256, strictly
// validated), API key material, hashes and CSPRNG tokens (OpenSSL libcrypto).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace vutf {

namespace identity {

constexpr const char* api_key_prefix = "vutf_";

// A new API key: "vutf_" and 256 bits of CSPRNG output (base64url).
std::string make_api_key();

// Argon2id with OWASP's parameters (19 MiB, 2 passes); ~tens of ms: run it on the hasher pool.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& encoded, const std::string& password);

// Fills `out` with `n` bytes of OpenSSL's CSPRNG (RAND_bytes). Every id, token, key and salt
// comes from here. Small requests are served from a per-thread buffer refilled 4 KiB at a time,
// because one RAND_bytes call costs microseconds and ids are made on the hot write path; the
// bytes handed out are wiped from the buffer, and a forked child never reuses its parent's.
void random_bytes(void* out, size_t n);

// `bytes` of CSPRNG output, base64url without padding.
std::string random_token(size_t bytes);
std::string sha256_hex(const std::string& data);
std::string hmac_sha256(const std::string& key, const std::string& data);  // the raw 32 bytes
std::string hmac_sha256_hex(const std::string& key, const std::string& data);

// Standard base64 with padding (RFC 4648 section 4), as Standard Webhooks writes secrets and
// signatures (and the base64 prompt converter sends prompts). unbase64 is strict: whole quads of
// the standard alphabet, "=" only as the last one or two characters; nullopt otherwise.
std::string base64(const std::string& raw);
std::optional<std::string> unbase64(const std::string& text);

constexpr const char* webhook_secret_prefix = "whsec_";

// A new webhook secret: "whsec_" and standard base64 of 32 bytes of CSPRNG output (the Standard
// Webhooks form; the signing key is the decoded bytes).
std::string make_webhook_secret();

// The Standard Webhooks signature of one delivery: "v1," and the standard base64 of
// HMAC-SHA256(secret bytes, "<message_id>.<timestamp_s>.<body>"), where the secret bytes are the
// base64 decoding of the part after "whsec_". "" when `secret` is not of that form.
std::string webhook_signature(const std::string& secret, const std::string& message_id,
                              int64_t timestamp_s, const std::string& body);

struct claims {
  std::string sub;  // user id
  std::string sid;  // session id
  std::string typ;  // "access" | "refresh"
  std::string jti;  // token id
  int64_t iat = 0;  // seconds since the epoch
  int64_t exp = 0;
};

constexpr const char* issuer = "violentutf-api";

// header.payload.signature with {"alg":"HS256","typ":"JWT"}.
std::string sign(const claims& c, const std::string& key);

// The claims of a token only if it is exactly our format: HS256 (no "none", no other
// algorithm), a valid signature (constant-time compare), our issuer, the expected type, not
// expired at `now_s`. Anything else is nullopt, with no reason given to the caller.
std::optional<claims> verify(const std::string& token, const std::string& key,
                             const std::string& expected_type, int64_t now_s);

// verify() with one key, each token once: a check costs an HMAC, two base64 decodes and a JSON
// parse, and an access token comes with every request of its session. A token that verified is
// kept by its exact text and found again, its type and expiry checked on every use. Only tokens
// that verified are kept (at most `max_tokens`; when full it starts over), so forged ones cannot
// fill it. Thread-safe.
class token_verifier {
 public:
  token_verifier(std::string key, size_t max_tokens) : key_(std::move(key)), max_(max_tokens) {}
  std::optional<claims> verify(const std::string& token, const std::string& expected_type,
                               int64_t now_s);
  size_t kept() const;

 private:
  const std::string key_;
  const size_t max_;
  mutable std::mutex m_;
  std::unordered_map<std::string, claims> kept_;
};

}  // namespace identity

}  // namespace vutf
