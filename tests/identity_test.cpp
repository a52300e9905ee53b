// Pure tests of the identity rules, password hashing and token validation.
// RAND_set_rand_method is deprecated in OpenSSL 3 but still routes RAND_bytes: the tests use it
// to see which generator the ids draw from.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "domain/identity.hpp"

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "domain/crypto.hpp"
#include "domain/ids.hpp"

namespace vutf {
namespace {

using identity::claims;

const std::string key = "0123456789abcdef0123456789abcdef-test-key";

claims sample(const std::string& typ = "access", int64_t now = 1'700'000'000) {
  return claims{"user-1", "session-1", typ, "jti-1", now, now + 600};
}

std::string b64(const std::string& s) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < s.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) v |= static_cast<unsigned char>(s[i + 2]);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    if (i + 1 < s.size()) out += a[(v >> 6) & 63];
    if (i + 2 < s.size()) out += a[v & 63];
  }
  return out;
}

TEST(tokens, a_signed_token_verifies_with_its_claims) {
  std::string t = identity::sign(sample(), key);
  auto c = identity::verify(t, key, "access", 1'700'000'100);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sub, "user-1");
  EXPECT_EQ(c->sid, "session-1");
  EXPECT_EQ(c->jti, "jti-1");
}

TEST(token_verifier, keeps_a_token_that_verified_and_checks_its_type_and_expiry_on_every_use) {
  identity::token_verifier tokens(key, 2);
  identity::claims c = sample();
  std::string t = identity::sign(c, key);
  ASSERT_TRUE(tokens.verify(t, "access", c.exp - 10));
  EXPECT_EQ(tokens.kept(), 1u);
  auto again = tokens.verify(t, "access", c.exp - 5);  // from what it kept
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sid, "session-1");
  EXPECT_FALSE(tokens.verify(t, "refresh", c.exp - 5));
  EXPECT_FALSE(tokens.verify(t, "access", c.exp)) << "expired while kept";
}

TEST(token_verifier, keeps_no_token_that_failed_and_starts_over_when_full) {
  identity::token_verifier tokens(key, 2);
  identity::claims c = sample();
  std::string t = identity::sign(c, key);
  std::string flipped = t;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(flipped, "access", c.exp - 10));
  EXPECT_FALSE(tokens.verify(identity::sign(c, key + "x"), "access", c.exp - 10));
  EXPECT_EQ(tokens.kept(), 0u);
  for (const char* jti : {"a", "b", "c"}) {
    c.jti = jti;
    EXPECT_TRUE(tokens.verify(identity::sign(c, key), "access", c.exp - 10));
  }
  EXPECT_EQ(tokens.kept(), 1u) << "full at two: the third started it over";
}

TEST(tokens, tampered_tokens_are_refused) {
  std::string t = identity::sign(sample(), key);
  size_t dot = t.find('.');
  std::string payload = t.substr(dot + 1, t.rfind('.') - dot - 1);
  std::string forged_payload = b64(R"({"exp":9999999999,"iat":1700000000,"iss":"violentutf-api",)"
                                   R"("jti":"x","sid":"session-1","sub":"admin","typ":"access"})");
  std::string forged = t.substr(0, dot + 1) + forged_payload + t.substr(t.rfind('.'));
  EXPECT_FALSE(identity::verify(forged, key, "access", 1'700'000'100));
  std::string flipped = t;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(identity::verify(flipped, key, "access", 1'700'000'100));
  EXPECT_FALSE(identity::verify(t, key + "x", "access", 1'700'000'100)) << "another key";
  EXPECT_FALSE(identity::verify(t + ".x", key, "access", 1'700'000'100));
  EXPECT_FALSE(identity::verify("", key, "access", 1'700'000'100));
  EXPECT_FALSE(identity::verify("a.b", key, "access", 1'700'000'100));
}

TEST(tokens, alg_none_and_other_algorithms_are_refused) {
  std::string t = identity::sign(sample(), key);
  std::string rest = t.substr(t.find('.'));
  std::string payload_only = rest.substr(0, rest.rfind('.'));
  for (const char* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"HS512","typ":"JWT"})",
                             R"({"alg":"RS256","typ":"JWT"})", R"({"typ":"JWT","alg":"HS256"})"}) {
    std::string h = b64(header);
    EXPECT_FALSE(identity::verify(h + payload_only + ".", key, "access", 1'700'000'100)) << header;
    EXPECT_FALSE(identity::verify(h + rest, key, "access", 1'700'000'100)) << header;
  }
}

TEST(tokens, expiry_type_and_issuer_are_enforced) {
  std::string t = identity::sign(sample(), key);
  EXPECT_FALSE(identity::verify(t, key, "access", 1'700'000'600)) << "expired at exp";
  EXPECT_FALSE(identity::verify(t, key, "refresh", 1'700'000'100)) << "wrong type";
  std::string refresh = identity::sign(sample("refresh"), key);
  EXPECT_FALSE(identity::verify(refresh, key, "access", 1'700'000'100));
  EXPECT_TRUE(identity::verify(refresh, key, "refresh", 1'700'000'100));
  EXPECT_FALSE(identity::verify(t, key, "access", 1'699'990'000)) << "issued in the future";
}

TEST(passwords, argon2id_hashes_verify_and_are_salted) {
  std::string a = identity::hash_password("correct horse 1");
  std::string b = identity::hash_password("correct horse 1");
  EXPECT_EQ(a.rfind("$argon2id$", 0), 0u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(identity::verify_password(a, "correct horse 1"));
  EXPECT_FALSE(identity::verify_password(a, "correct horse 2"));
  EXPECT_FALSE(identity::verify_password("garbage", "x"));
}

TEST(registration, the_contract_rules) {
  EXPECT_TRUE(validate_registration("alice_1.b-c", "a@b.co", "passw0rd").empty());
  auto fields = [](std::vector<field_error> e) {
    std::set<std::string> f;
    for (auto& x : e) f.insert(x.field);
    return f;
  };
  EXPECT_EQ(fields(validate_registration("al", "nope", "short1")),
            (std::set<std::string>{"username", "email", "password"}));
  EXPECT_EQ(fields(validate_registration("alice", "a@b.co", "onlyletters")),
            std::set<std::string>{"password"});
  EXPECT_EQ(fields(validate_registration("alice", "a@b.co", "12345678")),
            std::set<std::string>{"password"});
  EXPECT_EQ(fields(validate_registration("alice123", "a@b.co", "alice123")),
            std::set<std::string>{"password"});
  EXPECT_EQ(fields(validate_registration("bad name", "a@b.co", "passw0rd")),
            std::set<std::string>{"username"});
  EXPECT_EQ(fields(validate_registration(std::string(65, 'a'), "a@b.co", "passw0rd")),
            std::set<std::string>{"username"});
}

TEST(random, tokens_are_unique_base64url) {
  std::string a = identity::random_token(32), b = identity::random_token(32);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(identity::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A stand-in for OpenSSL's generator that yields only 0xab bytes.
int constant_bytes(unsigned char* out, int n) {
  std::fill(out, out + n, 0xab);
  return 1;
}
int always_ok() {
  return 1;
}

TEST(random, ids_and_tokens_are_drawn_from_the_openssl_csprng) {
  RAND_METHOD constant{};
  constant.bytes = constant_bytes;
  constant.pseudorand = constant_bytes;
  constant.status = always_ok;
  ASSERT_EQ(RAND_set_rand_method(&constant), 1);
  std::string uuid, ordered, token;
  // A new thread: nothing buffered from the real generator yet.
  std::thread([&] {
    uuid = make_uuid();
    ordered = make_time_ordered_uuid(1'700'000'000'000);
    token = identity::random_token(3);
  }).join();
  RAND_set_rand_method(nullptr);
  EXPECT_EQ(uuid, "abababab-abab-4bab-abab-abababababab");
  EXPECT_EQ(ordered.substr(19), "abab-abababababab");
  EXPECT_EQ(token, "q6ur");
  EXPECT_NE(make_uuid(), uuid);
}

TEST(random, a_forked_child_does_not_repeat_its_parents_ids) {
  make_uuid();  // the parent's thread now has random bytes in hand
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string id = make_uuid();
    ssize_t written = write(fds[1], id.data(), id.size());
    _exit(written == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  char buf[36];
  ssize_t got = read(fds[0], buf, sizeof buf);
  int status = 0;
  waitpid(child, &status, 0);
  close(fds[0]);
  close(fds[1]);
  ASSERT_EQ(got, 36);
  EXPECT_NE(std::string(buf, 36), make_uuid());
}

api_key key_with(std::vector<std::string> scopes, std::optional<int64_t> expires) {
  api_key k;
  k.scopes = std::move(scopes);
  k.expires_at_ms = expires;
  return k;
}

TEST(api_key_lineage, a_child_neither_out_scopes_nor_outlives_its_parent) {
  api_key parent = key_with({"write"}, 1'800'000'000'000);
  api_key wider = key_with({"read", "write"}, 1'700'000'000'000);
  auto refused = bound_by_parent(parent, wider, true);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, errc::forbidden);
  EXPECT_NE(refused->detail.find("read"), std::string::npos);

  api_key longer = key_with({"write"}, 1'800'000'000'001);
  refused = bound_by_parent(parent, longer, true);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, errc::validation_error);
  ASSERT_EQ(refused->errors.size(), 1u);
  EXPECT_EQ(refused->errors[0].field, "expires_in_days");

  api_key forever = key_with({"write"}, std::nullopt);
  EXPECT_FALSE(bound_by_parent(parent, forever, true));
  EXPECT_EQ(forever.expires_at_ms, parent.expires_at_ms) << "it takes the parent's expiry";
  api_key rotated = key_with({"write"}, std::nullopt);
  EXPECT_TRUE(bound_by_parent(parent, rotated, false));

  api_key same = key_with({"write"}, 1'800'000'000'000);
  EXPECT_FALSE(bound_by_parent(parent, same, true));
  api_key unbounded_parent = key_with({"read", "write"}, std::nullopt);
  api_key anything = key_with({"read"}, std::nullopt);
  EXPECT_FALSE(bound_by_parent(unbounded_parent, anything, true));
  EXPECT_FALSE(anything.expires_at_ms);
}

}  // namespace
}  // namespace vutf
