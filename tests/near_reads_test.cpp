// What a request thread answers from the near cache alone (no message): a caller's principal
// and a target record as that caller sees it, exactly as the actors would answer from the same
// entries, and nothing (ask the actors) when an entry is not held.
#include <gtest/gtest.h>

#include "actors/principals.hpp"
#include "actors/targets.hpp"
#include "domain/crypto.hpp"
#include "domain/encoding.hpp"
#include "metrics/metrics.hpp"
#include "storage/near_cache.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

constexpr const char* secret = "near-reads-secret-key-0123456789abcdef";

class near_reads : public ::testing::Test {
 protected:
  void SetUp() override {
    near_.cache = std::make_shared<storage::near_cache>(100, std::chrono::seconds(60), true);
    near_.m = std::make_shared<metrics>();
    near_.local = true;
  }

  // An access token of `user` for session `sid`, valid for an hour.
  static credentials bearer(const std::string& user, const std::string& sid) {
    identity::claims c{user, sid, "access", "jti-" + sid, now_s(), now_s() + 3600};
    return credentials{identity::sign(c, secret), ""};
  }
  static principal user(const std::string& id, std::vector<std::string> roles = {"user"}) {
    principal p;
    p.user_id = id;
    p.roles = std::move(roles);
    p.session_id = "s-" + id;
    p.kind = "user";
    return p;
  }
  void hold(const std::string& scope, const std::string& suffix, const std::string& value) {
    ASSERT_TRUE(
        near_.cache->fill(near_.cache->ticket(), near_.cache->generation(), scope, suffix, value));
  }
  double hits() const { return near_.m->near_cache_hits_total.Value(); }

  near_link near_;
  authenticator auth_{std::make_shared<identity::token_verifier>(secret, 16),
                      std::make_shared<key_usage>()};
};

TEST_F(near_reads, a_held_session_principal_authenticates_and_counts_one_hit) {
  hold("session:s-alice", "principal", encode(std::optional<principal>(user("alice"))));
  auto who = authenticate_near(near_, auth_, bearer("alice", "s-alice"));
  ASSERT_TRUE(who && who->ok());
  EXPECT_EQ(who->value.user_id, "alice");
  EXPECT_EQ(hits(), 1);
}

TEST_F(near_reads, what_is_not_held_is_left_to_the_actors) {
  EXPECT_FALSE(authenticate_near(near_, auth_, bearer("alice", "s-alice")));
  near_link none;  // no near cache at all (NEAR_CACHE_ENTRIES=0)
  EXPECT_FALSE(authenticate_near(none, auth_, bearer("alice", "s-alice")));
  hold("session:s-alice", "principal", encode(std::optional<principal>(user("alice"))));
  near_.cache->invalidate("session:s-alice");  // a logout on this or another instance
  EXPECT_FALSE(authenticate_near(near_, auth_, bearer("alice", "s-alice")));
  EXPECT_EQ(hits(), 0);
}

TEST_F(near_reads, credentials_that_resolve_to_nobody_are_unauthorized) {
  credentials garbage{"not-a-token", ""};
  auto refused = authenticate_near(near_, auth_, garbage);  // no cache entry needed for that
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error->code, errc::unauthorized);

  hold("session:s-gone", "principal", encode(std::optional<principal>()));  // an ended session
  auto ended = authenticate_near(near_, auth_, bearer("alice", "s-gone"));
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->error->code, errc::unauthorized);

  // A token whose subject is not the session's user.
  hold("session:s-bob", "principal", encode(std::optional<principal>(user("bob"))));
  auto mismatched = authenticate_near(near_, auth_, bearer("alice", "s-bob"));
  ASSERT_TRUE(mismatched);
  EXPECT_EQ(mismatched->error->code, errc::unauthorized);
}

TEST_F(near_reads, a_held_api_key_authenticates_and_its_use_is_noted) {
  principal key = user("alice");
  key.kind = "api_key";
  key.session_id.clear();
  key.key_id = "key-1";
  key.scopes = {"read"};
  hold("apikey:" + identity::sha256_hex("vutf_secret"), "principal",
       encode(std::optional<principal>(key)));
  auto who = authenticate_near(near_, auth_, credentials{"", "vutf_secret"});
  ASSERT_TRUE(who && who->ok());
  EXPECT_EQ(who->value.key_id, "key-1");
  EXPECT_EQ(auth_.used->take().count("key-1"), 1u);
}

TEST_F(near_reads, a_held_record_is_seen_by_its_owner_and_admins_only) {
  target t = test::sample_target("near");
  t.id = "t-1";
  t.owner_id = "alice";
  hold("target:t-1", "record", encode(t));
  auto own = get_target_near(near_, target_get{user("alice"), "t-1", {}});
  ASSERT_TRUE(own && own->ok());
  EXPECT_EQ(own->value.name, "near");
  auto admin = get_target_near(near_, target_get{user("root", {"user", "admin"}), "t-1", {}});
  ASSERT_TRUE(admin && admin->ok());
  auto other = get_target_near(near_, target_get{user("bob"), "t-1", {}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->error->code, errc::not_found);
  EXPECT_FALSE(get_target_near(near_, target_get{user("alice"), "t-2", {}}));
  EXPECT_EQ(hits(), 3);
}

}  // namespace
}  // namespace vutf
