// The cache against a live Redis: versioned keys, Redis dying mid-run, reconnecting.
#include <gtest/gtest.h>
#include <hiredis.h>
#include <prometheus/counter.h>
#include <signal.h>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "storage/cache.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using test::sample_target;

std::optional<std::string> redis_get(const std::string& url, const std::string& key) {
  auto cache = storage::make_redis_cache(storage::parse_redis_url(url), std::chrono::seconds(1));
  return cache->get(key);
}

class cache_redistest : public ::testing::Test {
 protected:
  void SetUp() override { log::configure("error", "json"); }
  std::unique_ptr<service> start(const std::string& redis_url, env_map extra = {}) {
    env_map env = {{"DATABASE_URL", test::fresh_pg_database()}, {"REDIS_URL", redis_url}};
    for (const auto& [k, v] : extra) env[k] = v;
    return std::make_unique<service>(test::make_settings(env), metrics_);
  }
  std::shared_ptr<metrics> metrics_ = std::make_shared<metrics>();
};

TEST_F(cache_redistest, reads_are_served_from_redis_under_versioned_keys) {
  std::string url = test::required_env("VUTF_TEST_REDIS_URL");
  auto svc = start(url, {{"REDIS_MAX_CONNECTIONS", "3"}});
  auto created = svc->ask(target_create{test::someone(), sample_target("cached"), svc->deadline()});
  ASSERT_TRUE(created.ok());
  std::string id = created.value.id;
  ASSERT_TRUE(
      svc->ask(target_get{test::someone(), id, svc->deadline()}).ok());  // miss, then stored
  double hits = metrics_->cache_hits.Value();
  auto again = svc->ask(target_get{test::someone(), id, svc->deadline()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value.name, "cached");
  EXPECT_EQ(metrics_->cache_hits.Value(), hits + 1);
  auto version = redis_get(url, "global:target:" + id + ":version");
  ASSERT_TRUE(version.has_value());
  EXPECT_TRUE(redis_get(url, "global:target:" + id + ":" + *version + ":record").has_value());

  // A write bumps the version: the next read cannot see the old entry.
  target_patch p;
  p.name = "renamed";
  ASSERT_TRUE(svc->ask(target_update{test::someone(), id, p, std::nullopt, svc->deadline()}).ok());
  EXPECT_NE(redis_get(url, "global:target:" + id + ":version"), version);
  EXPECT_EQ(svc->ask(target_get{test::someone(), id, svc->deadline()}).value.name, "renamed");
  EXPECT_EQ(svc->cache_pool().size, 3);
}

TEST_F(cache_redistest, requests_keep_succeeding_while_redis_is_dead_and_it_reconnects) {
  test::redis_server redis;
  auto svc = start(redis.url(), {{"REDIS_TIMEOUT", "1"}});
  auto created =
      svc->ask(target_create{test::someone(), sample_target("survivor"), svc->deadline()});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(svc->probe().cache.status, "up");

  redis.kill();
  for (int i = 0; i < 20; ++i) {
    auto r = svc->ask(target_get{test::someone(), created.value.id, svc->deadline()});
    ASSERT_TRUE(r.ok()) << "request " << i << " failed while Redis was down";
    EXPECT_EQ(r.value.name, "survivor");
  }
  EXPECT_TRUE(
      svc->ask(target_create{test::someone(), sample_target("written-while-down"), svc->deadline()})
          .ok());
  EXPECT_GT(metrics_->cache_errors.Value(), 0);
  EXPECT_EQ(svc->probe().cache.status, "down");

  redis.start();
  EXPECT_TRUE(test::eventually([&] { return svc->probe().cache.status == "up"; }));
  double hits = metrics_->cache_hits.Value();
  EXPECT_TRUE(test::eventually([&] {
    svc->ask(target_get{test::someone(), created.value.id, svc->deadline()});
    return metrics_->cache_hits.Value() > hits;
  }));
}

TEST_F(cache_redistest, a_stalled_redis_is_a_miss_not_a_failure) {
  test::redis_server redis;
  auto svc = start(redis.url(), {{"REDIS_TIMEOUT", "1"}, {"REDIS_MAX_CONNECTIONS", "2"}});
  auto created = svc->ask(target_create{test::someone(), sample_target("slow"), svc->deadline()});
  ASSERT_TRUE(created.ok());
  redis.pause();
  for (int i = 0; i < 4; ++i) {
    auto r = svc->ask(target_get{test::someone(), created.value.id, svc->deadline()});
    EXPECT_TRUE(r.ok());
  }
  redis.resume();
  EXPECT_GT(metrics_->cache_errors.Value(), 0);
}

}  // namespace
}  // namespace vutf
