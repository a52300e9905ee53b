// The cache against a live Redis: versioned keys, Redis dying mid-run, reconnecting.
#include <gtest/gtest.h>
#include <hiredis.h>
#include <prometheus/counter.h>
#include <signal.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/cache.hpp"
#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "http/api.hpp"
#include "metrics/metrics.hpp"
#include "storage/cache.hpp"
#include "tests/support/json_request.hpp"
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

// The seconds until `key` expires: -1 when it never does, -2 when it does not exist.
long long redis_ttl(redisContext* c, const std::string& key) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "TTL %b", key.data(), key.size()));
  long long ttl = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -3;
  if (r) freeReplyObject(r);
  return ttl;
}

redisContext* redis_connect(const std::string& url) {
  auto u = storage::parse_redis_url(url);
  redisContext* c = redisConnect(u.host.c_str(), u.port);
  EXPECT_TRUE(c && !c->err);
  return c;
}

TEST(redis_backend, bump_adds_one_to_every_existing_key_at_once) {
  std::string url = test::required_env("VUTF_TEST_REDIS_URL");
  auto cache = storage::make_redis_cache(storage::parse_redis_url(url), std::chrono::seconds(1));
  std::string a = "bump-test:" + make_uuid(), b = "bump-test:" + make_uuid();
  auto minute = std::chrono::seconds(60);
  EXPECT_EQ(cache->versioned_get(a, 41, "bump-test:", "x", minute).first, 41);
  EXPECT_EQ(cache->bump({a, b}, std::chrono::seconds(120)), (std::vector<int64_t>{42, 0}))
      << "each key's new value, 0 for a missing one";
  EXPECT_EQ(cache->get(a), "42");
  EXPECT_FALSE(cache->get(b)) << "a missing version is not created at 1 by a bump";
  redisContext* c = redis_connect(url);
  EXPECT_GT(redis_ttl(c, a), 60) << "a bump gives the version its lifetime again";
  redisFree(c);
}

TEST(redis_backend, a_hit_taken_back_keeps_an_expiry) {
  std::string url = test::required_env("VUTF_TEST_REDIS_URL");
  auto cache = storage::make_redis_cache(storage::parse_redis_url(url), std::chrono::seconds(1));
  std::string k = "hit-test:" + make_uuid();
  auto counted = cache->hit(k, std::chrono::seconds(900), 1);
  EXPECT_EQ(counted.count, 1);
  EXPECT_EQ(counted.reset_s, 900);
  EXPECT_EQ(cache->hit(k, std::chrono::seconds(900), 1).count, 2);
  cache->del(k);  // the window ended just before the success took its attempt back
  EXPECT_EQ(cache->hit(k, std::chrono::seconds(900), -1).count, -1);
  redisContext* c = redis_connect(url);
  EXPECT_GT(redis_ttl(c, k), 0);
  redisFree(c);
}

// The shared write marks of read-your-writes: two instances racing leave the later time, and
// the key expires. The in-process cache keeps the same rule.
TEST(redis_backend, raise_keeps_the_larger_number_and_an_expiry) {
  std::string url = test::required_env("VUTF_TEST_REDIS_URL");
  auto redis = storage::make_redis_cache(storage::parse_redis_url(url), std::chrono::seconds(1));
  storage::memory_cache memory(1 << 20);
  std::string k = "raise-test:" + make_uuid();
  for (storage::cache_backend* cache :
       {redis.get(), static_cast<storage::cache_backend*>(&memory)}) {
    cache->raise(k, 1764600000123, std::chrono::seconds(30));
    cache->raise(k, 1764600000100, std::chrono::seconds(30));  // an earlier write, told later
    EXPECT_EQ(cache->get(k), "1764600000123");
    cache->raise(k, 1764600000200, std::chrono::seconds(30));
    EXPECT_EQ(cache->get(k), "1764600000200");
  }
  redisContext* c = redis_connect(url);
  EXPECT_GT(redis_ttl(c, k), 0);
  EXPECT_LE(redis_ttl(c, k), 30);
  redisFree(c);
}

TEST_F(cache_redistest, reads_are_served_from_redis_under_versioned_keys) {
  std::string url = test::required_env("VUTF_TEST_REDIS_URL");
  // Without a near cache: its hits count as cache hits and it is filled before Redis is, so a
  // hit would not mean the entry reached Redis (near_cache_redistest covers the near cache).
  auto svc = start(url, {{"REDIS_MAX_CONNECTIONS", "3"}, {"NEAR_CACHE_ENTRIES", "0"}});
  auto created = svc->ask(target_create{test::someone(), sample_target("cached"), svc->deadline()});
  ASSERT_TRUE(created.ok());
  std::string id = created.value.id;
  ASSERT_TRUE(
      svc->ask(target_get{test::someone(), id, svc->deadline()}).ok());  // miss, then stored
  // The entry is stored asynchronously after the miss: a later read is served from Redis.
  double hits = metrics_->cache_hits_total.Value();
  EXPECT_TRUE(test::eventually([&] {
    auto again = svc->ask(target_get{test::someone(), id, svc->deadline()});
    return again.ok() && again.value.name == "cached" && metrics_->cache_hits_total.Value() > hits;
  }));
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
  EXPECT_GT(metrics_->cache_errors_total.Value(), 0);
  EXPECT_EQ(svc->probe().cache.status, "down");

  redis.start();
  EXPECT_TRUE(test::eventually([&] { return svc->probe().cache.status == "up"; }));
  double hits = metrics_->cache_hits_total.Value();
  EXPECT_TRUE(test::eventually([&] {
    svc->ask(target_get{test::someone(), created.value.id, svc->deadline()});
    return metrics_->cache_hits_total.Value() > hits;
  }));
}

TEST_F(cache_redistest, a_stalled_redis_is_a_miss_not_a_failure) {
  test::redis_server redis;
  auto svc = start(redis.url(), {{"REDIS_TIMEOUT", "1"}, {"REDIS_MAX_CONNECTIONS", "2"}});
  auto created = svc->ask(target_create{test::someone(), sample_target("slow"), svc->deadline()});
  ASSERT_TRUE(created.ok()) << created.error->detail;
  redis.pause();
  for (int i = 0; i < 4; ++i) {
    auto r = svc->ask(target_get{test::someone(), created.value.id, svc->deadline()});
    EXPECT_TRUE(r.ok());
  }
  redis.resume();
  EXPECT_GT(metrics_->cache_errors_total.Value(), 0);
}

// Logins through `a`, as the API would see them from one client address.
http::api_response login_through(const http::api& a, const std::string& ip = "203.0.113.9") {
  // A name per address, so the per-account limit (LOGIN_MAX_FAILURES) of one run never meets
  // another's.
  std::string body = R"({"username":"nobody-)" + ip + R"(","password":"wrong-pass-1"})";
  return a.handle(test::json_request("POST", "/api/v1/auth/login", body, {}, ip));
}

// One request to `a` from `ip`, with `headers` and a JSON body when one is given.
http::api_response call_api(const http::api& a, const std::string& method, const std::string& path,
                            const std::string& body, http::header_list headers,
                            const std::string& ip = "198.51.100.20") {
  return a.handle(test::json_request(method, path, body, std::move(headers), ip));
}

// Registers `name` (password "passw0rd-1") through `a` and logs in: the bearer header. From an
// address of its own: registrations are limited per address and minute in the shared Redis,
// which every test process (and a --gtest_repeat) of the run shares.
http::header_list registered_bearer(const http::api& a, const std::string& name) {
  const std::string ip = "2001:db8::" + make_uuid().substr(32, 4);  // random hex digits
  auto made = call_api(a, "POST", "/api/v1/auth/register",
                       R"({"username":")" + name + R"(","email":")" + name +
                           R"(@example.com","password":"passw0rd-1"})",
                       {}, ip);
  EXPECT_EQ(made.status, 201) << made.body;
  auto login = call_api(a, "POST", "/api/v1/auth/login",
                        R"({"username":")" + name + R"(","password":"passw0rd-1"})", {}, ip);
  EXPECT_EQ(login.status, 200) << login.body;
  return {{"Authorization",
           "Bearer " + nlohmann::json::parse(login.body).value("access_token", std::string())}};
}

TEST(cache_bumps_redis, bumps_arriving_while_batches_are_out_go_as_one_each_with_its_versions) {
  test::redis_server redis;  // its own: the pause below holds every client's writes
  std::string url = redis.url();
  caf::actor_system_config system_cfg;
  caf::actor_system sys{system_cfg};
  auto m = std::make_shared<metrics>();
  cache_config cfg;
  cfg.redis_url = url;
  cfg.connections = 4;
  cfg.command_timeout = std::chrono::seconds(30);
  auto cache = spawn_cache(sys, cfg, m);
  caf::scoped_actor self(sys);
  std::string scope = "bump-batch:" + make_uuid();
  int64_t first = 0;
  self->request(cache, caf::infinite, cache_lookup{scope, "x"})
      .receive([&](cache_entry& e) { first = e.version.value_or(0); },
               [](caf::error&) { ADD_FAILURE() << "lookup failed"; });
  ASSERT_GT(first, 0);

  // Redis holds every write until unpaused, so the first bumps stay out while the others arrive
  // (a mailbox is in order: all of them are taken in before any answer).
  redisContext* admin = redis_connect(url);
  auto* paused = static_cast<redisReply*>(redisCommand(admin, "CLIENT PAUSE 10000 WRITE"));
  ASSERT_TRUE(paused && paused->type == REDIS_REPLY_STATUS && std::string(paused->str) == "OK")
      << "Redis 6.2 or later pauses writes alone";
  freeReplyObject(paused);
  constexpr int64_t writes = 600;
  using handle = decltype(self->request(cache, caf::infinite, cache_bump{}));
  std::vector<handle> bumps;
  for (int64_t i = 0; i < writes; ++i)  // each write's own scope, and one without a version
    bumps.push_back(
        self->request(cache, caf::infinite, cache_bump{{scope, "bump-batch-none:" + make_uuid()}}));
  freeReplyObject(redisCommand(admin, "CLIENT UNPAUSE"));
  redisFree(admin);

  std::vector<int64_t> versions;
  for (auto& b : bumps)
    b.receive(
        [&](cache_bumped& r) {
          ASSERT_EQ(r.versions.size(), 2u);
          versions.push_back(r.versions[0]);
          EXPECT_EQ(r.versions[1], 0) << "a scope without a version is not bumped";
        },
        [](caf::error&) { ADD_FAILURE() << "bump failed"; });
  std::sort(versions.begin(), versions.end());
  ASSERT_EQ(versions.size(), static_cast<size_t>(writes));
  for (int64_t i = 0; i < writes; ++i)
    EXPECT_EQ(versions[static_cast<size_t>(i)], first + 1 + i) << "every write its own version";
  // Two batches of one went out at once; the other 598 waited for them, then went 256 at most
  // to a script: 256, 256 and 86.
  EXPECT_EQ(m->cache_bump_batches_total.Value(), 3);
  EXPECT_EQ(m->cache_batched_bumps_total.Value(), writes - 2);
  caf::anon_send_exit(cache, caf::exit_reason::user_shutdown);
}

TEST(cache_bumps_redis, each_write_moves_the_list_index_by_its_version_as_redis_answers) {
  caf::actor_system_config system_cfg;
  caf::actor_system sys{system_cfg};
  cache_config cfg;
  cfg.redis_url = test::required_env("VUTF_TEST_REDIS_URL");
  cfg.connections = 4;
  cfg.lists = std::make_shared<storage::list_index>(size_t{1} << 16);
  auto cache = spawn_cache(sys, cfg, std::make_shared<metrics>());
  caf::scoped_actor self(sys);
  std::string owner = make_uuid(), scope = "list-move:" + owner;
  int64_t first = 0;
  self->request(cache, caf::infinite, cache_lookup{scope, "x"})
      .receive([&](cache_entry& e) { first = e.version.value_or(0); },
               [](caf::error&) { ADD_FAILURE() << "lookup failed"; });
  ASSERT_GT(first, 0);
  ASSERT_TRUE(cfg.lists->install(owner, first, cfg.lists->ticket(), {}));

  // Writes in flight together: their bumps go in batches, answered on different connections,
  // and nothing but the cache applies their changes.
  constexpr int64_t writes = 300;
  using handle = decltype(self->request(cache, caf::infinite, cache_bump{}));
  std::vector<handle> bumps;
  for (int64_t i = 0; i < writes; ++i) {
    storage::list_index::change add{storage::list_index::change::op::add, {i, make_uuid()}};
    add.before = add.after = cfg.lists->ticket();
    cfg.lists->bumping(owner);
    bumps.push_back(self->request(cache, caf::infinite,
                                  cache_bump{{"other:" + make_uuid(), scope}, {{owner, add, 1}}}));
  }
  for (auto& b : bumps)
    b.receive([](cache_bumped&) {}, [](caf::error&) { ADD_FAILURE() << "bump failed"; });
  auto page = cfg.lists->page(owner, first + writes, 0, false);
  ASSERT_TRUE(page) << "the keys follow every version up to the last write's";
  EXPECT_EQ(page->total, writes);
  EXPECT_EQ(page->first->created_at, 0);
  caf::anon_send_exit(cache, caf::exit_reason::user_shutdown);
}

TEST(redis_keys, every_key_the_service_writes_expires) {
  log::configure("error", "json");
  test::redis_server redis;  // its own: the keyspace holds only what this workload wrote
  settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                      {"REDIS_URL", redis.url()},
                                      {"RATE_LIMIT_ENABLED", "true"}});
  auto m = std::make_shared<metrics>();
  service svc(cfg, m);
  http::api a(svc, *m, cfg);
  http::header_list bearer = registered_bearer(a, "keys");
  EXPECT_EQ(call_api(a, "POST", "/api/v1/auth/login",
                     R"({"username":"keys","password":"wrong-pass-1"})", {})
                .status,
            401);
  // Random API keys: each is looked up (and its absence cached) under a scope of its own.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(
        call_api(a, "GET", "/api/v1/targets", "", {{"X-API-Key", "vutf_" + make_uuid()}}).status,
        401);
  auto target = call_api(a, "POST", "/api/v1/targets",
                         R"({"name":"t","kind":"openai-chat","model":"m",)"
                         R"("endpoint_url":"http://127.0.0.1:9/v1/chat/completions"})",
                         bearer);
  ASSERT_EQ(target.status, 201) << target.body;
  std::string id = nlohmann::json::parse(target.body)["id"];
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(call_api(a, "GET", "/api/v1/targets/" + id, "", bearer).status, 200);
    EXPECT_EQ(call_api(a, "GET", "/api/v1/targets", "", bearer).status, 200);
    EXPECT_EQ(call_api(a, "GET", "/api/v1/stats/overview", "", bearer).status, 200);
  }
  EXPECT_EQ(call_api(a, "PATCH", "/api/v1/targets/" + id, R"({"name":"t2"})", bearer).status, 200);
  auto key = call_api(a, "POST", "/api/v1/api-keys", R"({"name":"k","scopes":["read"]})", bearer);
  ASSERT_EQ(key.status, 201) << key.body;
  auto k = nlohmann::json::parse(key.body);
  EXPECT_EQ(call_api(a, "GET", "/api/v1/targets", "", {{"X-API-Key", k["key"]}}).status, 200);
  EXPECT_EQ(
      call_api(a, "DELETE", "/api/v1/api-keys/" + k["id"].get<std::string>(), "", bearer).status,
      204);
  EXPECT_EQ(call_api(a, "POST", "/api/v1/auth/logout", "", bearer).status, 204);

  redisContext* c = redis_connect(redis.url());
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto* r = static_cast<redisReply*>(redisCommand(c, "SCAN %s COUNT 1000", cursor.c_str()));
    ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cursor = r->element[0]->str;
    for (size_t i = 0; i < r->element[1]->elements; ++i)
      keys.emplace_back(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    freeReplyObject(r);
  } while (cursor != "0");
  EXPECT_GT(keys.size(), 10u);
  bool random_key_seen = false;
  for (const auto& key_name : keys) {
    random_key_seen = random_key_seen || key_name.rfind("global:apikey:", 0) == 0;
    EXPECT_NE(redis_ttl(c, key_name), -1) << key_name << " never expires";
  }
  EXPECT_TRUE(random_key_seen);
  redisFree(c);
}

TEST(rate_limits_redis, two_instances_behind_one_redis_share_the_limit) {
  log::configure("error", "json");
  test::redis_server redis;  // its own, so counts from other runs in this minute cannot leak in
  settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                      {"REDIS_URL", redis.url()},
                                      {"RATE_LIMIT_ENABLED", "true"}});
  auto m1 = std::make_shared<metrics>(), m2 = std::make_shared<metrics>();
  service one(cfg, m1), two(cfg, m2);
  http::api a(one, *m1, cfg), b(two, *m2, cfg);
  // Limits count in fixed one-minute windows: a run that straddles a window's end (logins are
  // slow under sanitizers) is run again from another address, in the new window.
  std::vector<int> statuses;
  for (int run = 0; run < 3; ++run) {
    int64_t window = now_ms() / 60000;
    std::string ip = "203.0.113." + std::to_string(10 + run);
    statuses.clear();
    for (int i = 0; i < 3; ++i) statuses.push_back(login_through(a, ip).status);
    for (int i = 0; i < 3; ++i) statuses.push_back(login_through(b, ip).status);
    if (now_ms() / 60000 == window) break;
  }
  EXPECT_EQ(statuses, (std::vector<int>{401, 401, 401, 401, 401, 429}));
  EXPECT_GE(m2->rate_limited_total.Value(), 1);
}

TEST(identity_redis, failed_logins_of_an_account_are_counted_across_instances) {
  log::configure("error", "json");
  test::redis_server redis;
  settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                      {"REDIS_URL", redis.url()},
                                      {"LOGIN_MAX_FAILURES", "3"}});
  auto m = std::make_shared<metrics>();
  service one(cfg, m), two(cfg, m);
  ASSERT_TRUE(one.ask(user_register{"target", "target@example.com", "passw0rd-t", std::nullopt,
                                    one.deadline()})
                  .ok());
  for (int i = 0; i < 3; ++i) {
    service& svc = i % 2 ? two : one;
    auto r = svc.ask(user_login{"target", "guess-no-1", {}, svc.deadline()});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error->code, errc::unauthorized);
  }
  auto locked = two.ask(user_login{"target", "passw0rd-t", {}, two.deadline()});
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error->code, errc::rate_limited);
  EXPECT_GT(locked.error->retry_after_s, 0);
}

TEST(identity_redis, a_logout_on_one_instance_stops_the_token_on_every_instance) {
  log::configure("error", "json");
  settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                      {"REDIS_URL", test::required_env("VUTF_TEST_REDIS_URL")},
                                      {"SECRET_KEY", "a-shared-secret-key-of-32-characters!"}});
  auto m = std::make_shared<metrics>();
  service one(cfg, m), two(cfg, m);
  ASSERT_TRUE(one.ask(user_register{"shared", "shared@example.com", "passw0rd-s", std::nullopt,
                                    one.deadline()})
                  .ok());
  auto tokens = one.ask(user_login{"shared", "passw0rd-s", {}, one.deadline()});
  ASSERT_TRUE(tokens.ok());
  credentials bearer{tokens.value.access_token, ""};
  auto on_two = two.ask(authenticate{bearer, two.deadline()});
  ASSERT_TRUE(on_two.ok());  // instance two now holds the session as active in the cache
  ASSERT_TRUE(one.ask(session_logout{on_two.value, one.deadline()}).ok());
  auto after = two.ask(authenticate{bearer, two.deadline()});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error->code, errc::unauthorized);
}

TEST(identity_redis, revoking_a_key_on_one_instance_stops_the_keys_made_from_it_on_every_instance) {
  log::configure("error", "json");
  settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                      {"REDIS_URL", test::required_env("VUTF_TEST_REDIS_URL")},
                                      {"SECRET_KEY", "a-shared-secret-key-of-32-characters!"}});
  auto m = std::make_shared<metrics>();
  service one(cfg, m), two(cfg, m);
  http::api a(one, *m, cfg), b(two, *m, cfg);
  http::header_list bearer = registered_bearer(a, "lineage");
  auto make = [&](const http::header_list& as) {
    auto r = call_api(a, "POST", "/api/v1/api-keys",
                      R"({"name":")" + make_uuid() + R"(","scopes":["write"]})", as);
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body);
  };
  auto as_key = [](const nlohmann::json& k) {
    return http::header_list{{"X-API-Key", k["key"].get<std::string>()}};
  };
  auto parent = make(bearer);
  auto child = make(as_key(parent));
  auto grandchild = make(as_key(child));
  // Instance two caches the principals of all three.
  for (const auto& k : {parent, child, grandchild})
    ASSERT_EQ(call_api(b, "GET", "/api/v1/targets", "", as_key(k)).status, 200);
  ASSERT_EQ(call_api(a, "DELETE", "/api/v1/api-keys/" + parent["id"].get<std::string>(), "", bearer)
                .status,
            204);
  for (const auto& k : {parent, child, grandchild})
    EXPECT_EQ(call_api(b, "GET", "/api/v1/targets", "", as_key(k)).status, 401) << k["name"];
}

TEST(rate_limits_redis, a_dead_redis_fails_open_and_is_counted) {
  log::configure("error", "json");
  test::redis_server redis;
  settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                      {"REDIS_URL", redis.url()},
                                      {"REDIS_TIMEOUT", "1"},
                                      {"RATE_LIMIT_ENABLED", "true"}});
  auto m = std::make_shared<metrics>();
  service svc(cfg, m);
  http::api a(svc, *m, cfg);
  redis.kill();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(login_through(a).status, 401) << "attempt " << i;
  EXPECT_GE(m->rate_limit_fail_open_total.Value(), 8);
}

}  // namespace
}  // namespace vutf
