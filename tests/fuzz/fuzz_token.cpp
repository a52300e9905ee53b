// Token verification on arbitrary text. Each input is tried twice: as a whole token (header,
// encoding and signature checks) and as the payload of a token signed here with the right key
// (so the fuzzer also reaches the claim checks behind the signature). Only our format, of the
// expected type and unexpired at the fixed `now_s`, may yield claims.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/crypto.hpp"

namespace {

constexpr const char* key = "fuzz-secret-key-fuzz-secret-key-0123456789";
constexpr int64_t now_s = 1700000000;  // 2023-11-14

std::string base64url(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// header.payload.signature exactly as the service signs, around any payload text.
std::string signed_token(const std::string& payload) {
  std::string input = base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(std::char_traits<char>::length(key)),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url(std::string(reinterpret_cast<char*>(mac), len));
}

void check(const std::string& token) {
  using namespace vutf::identity;
  for (const char* type : {"access", "refresh"}) {
    auto c = verify(token, key, type, now_s);
    // Accepted claims are exactly what was asked for, and signing them again verifies.
    if (c && (c->typ != type || c->exp <= now_s || c->sub.empty() || c->sid.empty()))
      __builtin_trap();
    if (c && !verify(sign(*c, key), key, type, now_s)) __builtin_trap();
    if (verify(token, "another-key-another-key-another-key-0123", type, now_s)) __builtin_trap();
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  check(input);
  check(signed_token(input));
  return 0;
}
