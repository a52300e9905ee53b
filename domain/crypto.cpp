#include "domain/crypto.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace vutf {
namespace identity {
namespace {

constexpr uint32_t argon_passes = 2;
constexpr uint32_t argon_memory_kib = 19456;
constexpr uint32_t argon_lanes = 1;
constexpr size_t argon_salt = 16;
constexpr size_t argon_hash = 32;

std::string base64url(const unsigned char* data, size_t n) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < n) out += alphabet[(v >> 6) & 63];
    if (i + 2 < n) out += alphabet[v & 63];
  }
  return out;
}

std::string base64url(const std::string& s) {
  return base64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// Strict: only the base64url alphabet, no padding, no leftover bits.
std::optional<std::string> unbase64url(const std::string& s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : s) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string random_bytes(size_t n) {
  std::string raw(n, '\0');
  identity::random_bytes(raw.data(), n);
  return raw;
}

const std::string token_header = base64url(R"({"alg":"HS256","typ":"JWT"})");

void fill_from_openssl(void* out, size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness");
}

// Bumped in every forked child, so no thread there hands out bytes its parent also buffered.
std::atomic<uint64_t> fork_generation{0};

struct random_buffer {
  static constexpr size_t size = 4096;
  unsigned char bytes[size];
  size_t used = size;  // empty until the first request
  uint64_t generation = 0;

  random_buffer() {
    static const int registered = pthread_atfork(nullptr, nullptr, [] { ++fork_generation; });
    (void)registered;
  }
  ~random_buffer() { OPENSSL_cleanse(bytes, size); }

  void take(unsigned char* out, size_t n) {
    uint64_t now = fork_generation.load(std::memory_order_relaxed);
    if (generation != now || size - used < n) {
      fill_from_openssl(bytes, size);
      used = 0;
      generation = now;
    }
    std::memcpy(out, bytes + used, n);
    OPENSSL_cleanse(bytes + used, n);  // what was handed out (key material too) is not kept
    used += n;
  }
};

// Requests above this go to OpenSSL directly: buffering pays off only for small ones.
constexpr size_t buffered_at_most = 64;

}  // namespace

std::string base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  size_t data_end = text.find_last_not_of('=');
  size_t pad = data_end == std::string::npos ? text.size() : text.size() - data_end - 1;
  if (text.empty() || text.size() % 4 != 0 || pad > 2 ||
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") <
          text.size() - pad)
    return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);  // DecodeBlock counts the padding as zero bytes
  return out;
}

void random_bytes(void* out, size_t n) {
  if (n > buffered_at_most) {
    fill_from_openssl(out, n);
    return;
  }
  thread_local random_buffer buffer;
  buffer.take(static_cast<unsigned char*>(out), n);
}

std::string hash_password(const std::string& password) {
  unsigned char salt[argon_salt];
  random_bytes(salt, sizeof salt);
  std::string encoded(argon2_encodedlen(argon_passes, argon_memory_kib, argon_lanes, argon_salt,
                                        argon_hash, Argon2_id),
                      '\0');
  int rc = argon2id_hash_encoded(argon_passes, argon_memory_kib, argon_lanes, password.data(),
                                 password.size(), salt, sizeof salt, argon_hash, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool verify_password(const std::string& encoded, const std::string& password) {
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string make_api_key() {
  return api_key_prefix + random_token(32);
}

std::string random_token(size_t bytes) {
  std::string raw(bytes, '\0');
  random_bytes(raw.data(), bytes);
  std::string token = base64url(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

namespace {
std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}
}  // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return hex(std::string(reinterpret_cast<char*>(digest), len));
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  return hex(hmac_sha256(key, data));
}

std::string make_webhook_secret() {
  return webhook_secret_prefix + base64(random_bytes(32));
}

std::string webhook_signature(const std::string& secret, const std::string& message_id,
                              int64_t timestamp_s, const std::string& body) {
  const std::string prefix = webhook_secret_prefix;
  if (secret.compare(0, prefix.size(), prefix) != 0) return "";
  auto key = unbase64(secret.substr(prefix.size()));
  if (!key || key->empty()) return "";
  std::string signed_content = message_id + "." + std::to_string(timestamp_s) + "." + body;
  return "v1," + base64(hmac_sha256(*key, signed_content));
}

std::string sign(const claims& c, const std::string& key) {
  nlohmann::json payload = {{"iss", issuer}, {"sub", c.sub}, {"sid", c.sid}, {"typ", c.typ},
                            {"jti", c.jti},  {"iat", c.iat}, {"exp", c.exp}};
  std::string signing_input = token_header + "." + base64url(payload.dump());
  return signing_input + "." + base64url(hmac_sha256(key, signing_input));
}

std::optional<claims> verify(const std::string& token, const std::string& key,
                             const std::string& expected_type, int64_t now_s) {
  if (token.size() > 4096) return std::nullopt;
  size_t first = token.find('.');
  size_t second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos)
    return std::nullopt;
  // The header must be exactly ours: no algorithm is negotiated, "none" never accepted.
  if (token.compare(0, first, token_header) != 0) return std::nullopt;
  std::string expected = hmac_sha256(key, token.substr(0, second));
  auto signature = unbase64url(token.substr(second + 1));
  if (!signature || signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
    return std::nullopt;
  auto payload_text = unbase64url(token.substr(first + 1, second - first - 1));
  if (!payload_text) return std::nullopt;
  auto payload = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!payload.is_object()) return std::nullopt;
  auto text = [&](const char* k) -> std::optional<std::string> {
    auto it = payload.find(k);
    if (it == payload.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto number = [&](const char* k) -> std::optional<int64_t> {
    auto it = payload.find(k);
    if (it == payload.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  auto iss = text("iss"), sub = text("sub"), sid = text("sid"), typ = text("typ"),
       jti = text("jti");
  auto iat = number("iat"), exp = number("exp");
  if (!iss || *iss != issuer || !sub || sub->empty() || !sid || sid->empty() || !typ ||
      *typ != expected_type || !jti || !iat || !exp)
    return std::nullopt;
  if (*exp <= now_s || *iat > now_s + 60) return std::nullopt;
  return claims{*sub, *sid, *typ, *jti, *iat, *exp};
}

std::optional<claims> token_verifier::verify(const std::string& token,
                                             const std::string& expected_type, int64_t now_s) {
  {
    std::lock_guard lock(m_);
    if (auto it = kept_.find(token); it != kept_.end()) {
      const claims& c = it->second;
      // iat was checked when it verified, and time only moves on.
      if (c.typ != expected_type || c.exp <= now_s) return std::nullopt;
      return c;
    }
  }
  auto c = identity::verify(token, key_, expected_type, now_s);
  if (!c || max_ == 0) return c;
  std::lock_guard lock(m_);
  if (kept_.size() >= max_) kept_.clear();
  kept_.emplace(token, *c);
  return c;
}

size_t token_verifier::kept() const {
  std::lock_guard lock(m_);
  return kept_.size();
}

}  // namespace identity
}  // namespace vutf
