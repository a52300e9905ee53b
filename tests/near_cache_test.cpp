// The near cache's structure: bound, invalidation, and the tickets that keep a read that raced a
// write (or a lost invalidation connection) out of it; and, without Redis, the near cache as the
// service's cache, invalidated locally.
#include "storage/near_cache.hpp"

#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/support.hpp"

namespace vutf::storage {
namespace {

constexpr std::chrono::seconds minute{60};

TEST(near_cache, keeps_a_value_filled_with_a_fresh_ticket) {
  near_cache c(10, minute, true);
  EXPECT_FALSE(c.get("target:1", "record"));
  EXPECT_TRUE(c.fill(c.ticket(), c.generation(), "target:1", "record", "v1"));
  EXPECT_EQ(c.get("target:1", "record"), "v1");
  EXPECT_FALSE(c.get("target:1", "other")) << "the suffix is part of the key";
  EXPECT_FALSE(c.get("target:2", "record"));
}

TEST(near_cache, drops_the_least_recently_used_beyond_its_bound) {
  near_cache c(2, minute, true);
  c.fill(c.ticket(), 1, "a", "x", "1");
  c.fill(c.ticket(), 1, "b", "x", "2");
  EXPECT_TRUE(c.get("a", "x"));  // a is now the most recently used
  c.fill(c.ticket(), 1, "c", "x", "3");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_TRUE(c.get("a", "x"));
  EXPECT_FALSE(c.get("b", "x"));
  EXPECT_TRUE(c.get("c", "x"));
}

TEST(near_cache, a_bound_of_zero_keeps_nothing) {
  near_cache c(0, minute, true);
  EXPECT_FALSE(c.fill(c.ticket(), 1, "a", "x", "1"));
  EXPECT_FALSE(c.get("a", "x"));
}

TEST(near_cache, an_invalidation_drops_every_entry_of_its_scope_only) {
  near_cache c(10, minute, true);
  c.fill(c.ticket(), 1, "targets", "page1", "p1");
  c.fill(c.ticket(), 1, "targets", "page2", "p2");
  c.fill(c.ticket(), 1, "target:1", "record", "r");
  EXPECT_EQ(c.invalidate("targets"), 2u);
  EXPECT_FALSE(c.get("targets", "page1"));
  EXPECT_FALSE(c.get("targets", "page2"));
  EXPECT_EQ(c.get("target:1", "record"), "r");
  EXPECT_EQ(c.invalidate("targets"), 0u);
}

TEST(near_cache, a_read_that_raced_an_invalidation_is_refused) {
  near_cache c(10, minute, true);
  uint64_t before = c.ticket();  // a reader starts, reads the old value...
  c.invalidate("target:1");      // ...a write lands and its invalidation arrives first
  EXPECT_FALSE(c.fill(before, 1, "target:1", "record", "old"));
  EXPECT_FALSE(c.get("target:1", "record"));
  EXPECT_TRUE(c.fill(before, 1, "target:2", "record", "other scope")) << "only that scope";
  EXPECT_TRUE(c.fill(c.ticket(), 1, "target:1", "record", "new")) << "a read begun after it";
}

TEST(near_cache, forgotten_invalidations_refuse_every_older_ticket) {
  near_cache c(10, minute, true);
  uint64_t before = c.ticket();
  c.invalidate("target:1");
  for (int i = 0; i < 5000; ++i) c.invalidate("other:" + std::to_string(i));
  EXPECT_FALSE(c.fill(before, 1, "target:1", "record", "old"));
  EXPECT_FALSE(c.fill(before, 1, "never-invalidated", "record", "v")) << "cannot vouch for it";
  EXPECT_TRUE(c.fill(c.ticket(), 1, "target:1", "record", "new"));
}

TEST(near_cache, bypassed_it_serves_and_keeps_nothing_until_resumed) {
  near_cache c(10, minute, false);
  EXPECT_EQ(c.ticket(), 0u);
  EXPECT_FALSE(c.fill(c.ticket(), 0, "a", "x", "1"));
  c.resume(7);
  EXPECT_TRUE(c.active());
  uint64_t t = c.ticket();
  EXPECT_TRUE(c.fill(t, 7, "a", "x", "1"));
  EXPECT_EQ(c.get("a", "x"), "1");

  c.bypass();  // the invalidation connection is lost
  EXPECT_FALSE(c.get("a", "x"));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.fill(t, 7, "b", "x", "read before the loss"));
  c.resume(8);
  EXPECT_FALSE(c.get("a", "x")) << "what it held before the loss is gone";
  EXPECT_FALSE(c.fill(t, 8, "b", "x", "ticket from before the loss"));
  EXPECT_FALSE(c.fill(c.ticket(), 7, "b", "x", "tracked by the lost connection"));
  EXPECT_TRUE(c.fill(c.ticket(), 8, "b", "x", "tracked by the new one"));
}

TEST(near_cache, a_flush_refuses_reads_begun_before_it) {
  near_cache c(10, minute, true);
  c.fill(c.ticket(), 1, "a", "x", "1");
  uint64_t before = c.ticket();
  c.flush();
  EXPECT_FALSE(c.get("a", "x"));
  EXPECT_FALSE(c.fill(before, 1, "a", "x", "1"));
  EXPECT_TRUE(c.active());
}

TEST(near_cache, an_unsettled_fence_turns_hits_into_misses) {
  near_cache c(10, minute, true);
  bool settled = true;
  c.set_fence([&] { return settled; });
  c.fill(c.ticket(), 1, "a", "x", "1");
  EXPECT_TRUE(c.get("a", "x"));
  settled = false;  // an invalidation may be waiting on the socket
  EXPECT_FALSE(c.get("a", "x"));
  settled = true;
  EXPECT_TRUE(c.get("a", "x"));
}

TEST(near_cache, entries_live_at_most_their_ttl) {
  near_cache c(10, std::chrono::seconds(0), true);
  c.fill(c.ticket(), 1, "a", "x", "1");
  EXPECT_FALSE(c.get("a", "x"));
  EXPECT_EQ(c.size(), 0u);
}

// A service without Redis (its near cache is the cache) and a user logged in to it.
class near_cache_in_process : public ::testing::Test {
 protected:
  // Before the fixture's service starts, so its start-up is quiet.
  static void SetUpTestSuite() { log::configure("error", "json"); }
  void SetUp() override {
    ASSERT_TRUE(svc_.ask(user_register{"nina", "nina@example.com", "passw0rd-n", std::nullopt,
                                       svc_.deadline()})
                    .ok());
    auto tokens = svc_.ask(user_login{"nina", "passw0rd-n", {}, svc_.deadline()});
    ASSERT_TRUE(tokens.ok());
    bearer_ = credentials{tokens.value.access_token, ""};
    auto found = svc_.ask(authenticate{bearer_, svc_.deadline()});
    ASSERT_TRUE(found.ok());
    who_ = found;
  }

  std::shared_ptr<metrics> m_ = std::make_shared<metrics>();
  service svc_{test::make_settings({{"DATABASE_URL", "sqlite:///:memory:"}}), m_};
  credentials bearer_;
  result<principal> who_;
};

TEST_F(near_cache_in_process, serves_target_fetch_from_memory_and_drops_what_a_write_changed) {
  auto created = svc_.ask(target_create{who_.value, test::sample_target("near"), svc_.deadline()});
  ASSERT_TRUE(created.ok());
  auto fetch = [&] { return svc_.ask(target_fetch{bearer_, created.value.id, svc_.deadline()}); };

  ASSERT_EQ(fetch().reply.value.name, "near");
  double hits = m_->near_cache_hits_total.Value();
  auto again = fetch();
  ASSERT_TRUE(again.who && again.reply.ok());
  EXPECT_EQ(again.who->user_id, who_.value.user_id);
  EXPECT_EQ(again.reply.value.name, "near");
  EXPECT_EQ(m_->near_cache_hits_total.Value(), hits + 2) << "the principal and the record";

  target_patch p;
  p.name = "renamed";
  ASSERT_TRUE(
      svc_.ask(target_update{who_.value, created.value.id, p, std::nullopt, svc_.deadline()}).ok());
  EXPECT_EQ(fetch().reply.value.name, "renamed");
  ASSERT_TRUE(svc_.ask(session_logout{who_.value, svc_.deadline()}).ok());
  auto after = fetch();
  EXPECT_FALSE(after.who);
  ASSERT_FALSE(after.reply.ok());
  EXPECT_EQ(after.reply.error->code, errc::unauthorized);
}

TEST_F(near_cache_in_process, serves_a_list_page_from_memory_until_a_write_changes_the_list) {
  auto create = [&](const std::string& name) {
    ASSERT_TRUE(
        svc_.ask(target_create{who_.value, test::sample_target(name), svc_.deadline()}).ok());
  };
  auto list = [&] { return svc_.ask(target_list{who_.value, target_query{}, svc_.deadline()}); };

  create("first");
  ASSERT_EQ(list().value.total, 1);
  double hits = m_->near_cache_hits_total.Value();
  auto again = list();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again.value.items.size(), 1u);
  EXPECT_EQ(again.value.items[0].name, "first");
  EXPECT_EQ(m_->near_cache_hits_total.Value(), hits + 1) << "the page";

  create("second");
  auto after = list();
  EXPECT_EQ(after.value.total, 2);
  ASSERT_EQ(after.value.items.size(), 2u);
  EXPECT_EQ(after.value.items[0].name, "second");  // newest first
}

}  // namespace
}  // namespace vutf::storage
