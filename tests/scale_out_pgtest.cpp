// Two instances of the built binary on one PostgreSQL database and the test Redis, behind nginx
// with the shipped deploy/nginx/violentutf-api.conf, driven through nginx as one service (issue
// 13): what one instance changes or counts, the other honours at once. Every step checks from
// the X-Instance-Id headers that both instances served it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "tests/mock_target/mock_target.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// RATE_LIMIT_PER_MINUTE of both instances: above what one test's caller spends on the other
// steps, low enough to reach quickly.
constexpr int per_minute = 30;

struct reply {
  int status = 0;
  std::string instance;  // X-Instance-Id
  std::string body;
  httplib::Headers headers;
  json doc() const { return json::parse(body.empty() ? "null" : body); }
  std::string header(const char* name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class scale_out : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::nginx_proxy::installed()) return;
    database = test::fresh_pg_database();
    env_map env = {{"DATABASE_URL", database},
                   {"REDIS_URL", test::required_env("VUTF_TEST_REDIS_URL")},
                   {"SECRET_KEY", "a-secret-key-both-instances-share-000"},
                   {"RATE_LIMIT_ENABLED", "true"},
                   {"RATE_LIMIT_PER_MINUTE", std::to_string(per_minute)},
                   // nginx on loopback is trusted: the client address comes from
                   // X-Forwarded-For, so each test is a caller of its own.
                   {"TRUSTED_PROXIES", "127.0.0.0/8"},
                   {"SCAN_WORKERS", "1"},
                   {"LOG_LEVEL", "warning"}};
    std::vector<int> ports;
    for (auto& i : instances) {
      i = std::make_unique<test::service_process>(env);
      if (!i->wait_listening()) return;
      ports.push_back(i->api_port());
    }
    proxy = std::make_unique<test::nginx_proxy>(ports);
    ready = proxy->wait_listening();
  }
  static void TearDownTestSuite() {
    proxy.reset();
    for (auto& i : instances) i.reset();
  }

  void SetUp() override {
    if (!test::nginx_proxy::installed())
      GTEST_SKIP() << test::nginx_proxy::binary
                   << " is missing: install nginx-light (scripts/install-deps.sh)";
    for (const auto& i : instances) ASSERT_TRUE(i && i->api_port() > 0) << (i ? i->err() : "");
    ASSERT_TRUE(proxy && ready) << (proxy ? proxy->err() : "nginx was not started");
    http_ = std::make_unique<httplib::Client>("127.0.0.1", proxy->port());
    http_->set_keep_alive(true);
    new_caller();
  }

  // A new client address (X-Forwarded-For, believed from nginx) with a new account, so the
  // per-address login and registration limits start afresh even when the test is rerun within
  // the same minute against the same Redis.
  void new_caller() {
    static std::mt19937 random{std::random_device{}()};
    address_ = "10." + std::to_string(random() % 256) + "." + std::to_string(random() % 256) + "." +
               std::to_string(1 + random() % 254);
    bearer_.clear();
    std::string name = "u" + std::to_string(random());
    json account = {
        {"username", name}, {"email", name + "@example.com"}, {"password", "passw0rd-" + name}};
    ASSERT_EQ(send("POST", "/api/v1/auth/register", {}, account.dump()).status, 201);
    auto login = send("POST", "/api/v1/auth/login", {},
                      json{{"username", name}, {"password", account["password"]}}.dump());
    ASSERT_EQ(login.status, 200) << login.body;
    bearer_ = "Bearer " + login.doc()["access_token"].get<std::string>();
  }

  // One GET, POST, PATCH or DELETE through nginx as the current caller (with its bearer token
  // unless `headers` carry credentials of their own).
  reply send(const std::string& method, const std::string& path, httplib::Headers headers = {},
             const std::string& body = "") {
    headers.emplace("X-Forwarded-For", address_);
    if (!bearer_.empty() && !headers.count("X-API-Key") && !headers.count("Authorization"))
      headers.emplace("Authorization", bearer_);
    auto call = [&]() -> httplib::Result {
      if (method == "GET") return http_->Get(path.c_str(), headers);
      if (method == "POST") return http_->Post(path.c_str(), headers, body, "application/json");
      if (method == "PATCH") return http_->Patch(path.c_str(), headers, body, "application/json");
      return http_->Delete(path.c_str(), headers);
    };
    httplib::Result r = call();
    reply out;
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no response from nginx";
      return out;
    }
    out.status = r->status;
    out.instance = r->get_header_value("X-Instance-Id");
    out.body = r->body;
    out.headers = r->headers;
    EXPECT_FALSE(out.instance.empty()) << method << " " << path << " " << r->status;
    return out;
  }

  // The same request sent through nginx until both instances have answered it (nginx takes
  // them in turn, so two tries usually do); every reply in order.
  std::vector<reply> on_both(const std::string& method, const std::string& path,
                             const httplib::Headers& headers = {}) {
    std::vector<reply> out;
    std::set<std::string> served;
    for (int i = 0; i < 6 && served.size() < 2; ++i) {
      out.push_back(send(method, path, headers));
      served.insert(out.back().instance);
    }
    EXPECT_EQ(served.size(), 2u) << "nginx sent every " << method << " " << path
                                 << " to one instance";
    return out;
  }

  static inline std::string database;
  static inline std::array<std::unique_ptr<test::service_process>, 2> instances;
  static inline std::unique_ptr<test::nginx_proxy> proxy;
  static inline bool ready = false;
  std::unique_ptr<httplib::Client> http_;
  std::string address_, bearer_;
};

TEST_F(scale_out, a_logout_through_one_instance_stops_the_token_on_the_other_at_once) {
  // Both instances have seen the session as valid (and keep it in their near caches).
  for (const auto& r : on_both("GET", "/api/v1/targets")) ASSERT_EQ(r.status, 200) << r.body;
  auto logout = send("POST", "/api/v1/auth/logout");
  ASSERT_EQ(logout.status, 204) << logout.body;
  // Right after it, with no TTL waited for, both instances refuse the token.
  for (const auto& r : on_both("GET", "/api/v1/targets"))
    EXPECT_EQ(r.status, 401) << "served by " << r.instance << " (logout by " << logout.instance
                             << ")";
}

TEST_F(scale_out, an_api_key_revoked_through_one_instance_is_refused_by_the_other_at_once) {
  auto created = send("POST", "/api/v1/api-keys", {}, R"({"name":"ci","scopes":["read"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  httplib::Headers key = {{"X-API-Key", created.doc()["key"].get<std::string>()}};
  for (const auto& r : on_both("GET", "/api/v1/targets", key)) ASSERT_EQ(r.status, 200) << r.body;
  auto revoked = send("DELETE", "/api/v1/api-keys/" + created.doc()["id"].get<std::string>());
  ASSERT_EQ(revoked.status, 204) << revoked.body;
  for (const auto& r : on_both("GET", "/api/v1/targets", key))
    EXPECT_EQ(r.status, 401) << "served by " << r.instance << " (revoked by " << revoked.instance
                             << ")";
}

TEST_F(scale_out, a_target_patched_through_one_instance_is_read_new_through_the_other) {
  auto created = send("POST", "/api/v1/targets", {},
                      R"({"name":"shared","kind":"openai-chat","endpoint_url":"http://a.test/"})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string path = "/api/v1/targets/" + created.doc()["id"].get<std::string>();
  for (const auto& r : on_both("GET", path)) {
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.header("ETag"), "\"1\"");
  }
  auto patched = send("PATCH", path, {{"If-Match", "\"1\""}}, R"({"description":"patched"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.header("ETag"), "\"2\"");
  for (const auto& r : on_both("GET", path)) {
    EXPECT_EQ(r.header("ETag"), "\"2\"") << "served by " << r.instance;
    EXPECT_EQ(r.doc()["version"], 2);
    EXPECT_EQ(r.doc()["description"], "patched");
  }
  // A writer still holding version 1 is refused on either instance.
  auto stale = send("PATCH", path, {{"If-Match", "\"1\""}}, R"({"description":"stale"})");
  EXPECT_EQ(stale.status, 412) << stale.body;
}

TEST_F(scale_out, rate_limits_count_across_both_instances) {
  // A minute window that turns over midway restarts the count; the attempt is then repeated
  // with a new caller (the next one starts early in its window).
  auto minute = [] {
    return std::chrono::duration_cast<std::chrono::minutes>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt > 0) new_caller();
    auto window = minute();
    std::vector<reply> allowed, refused;
    for (int i = 0; i < per_minute; ++i) allowed.push_back(send("GET", "/api/v1/targets"));
    for (int i = 0; i < 2; ++i) refused.push_back(send("GET", "/api/v1/targets"));
    if (minute() != window) continue;
    std::set<std::string> allowed_by, refused_by;
    for (const auto& r : allowed) {
      EXPECT_EQ(r.status, 200) << r.body;
      allowed_by.insert(r.instance);
    }
    for (const auto& r : refused) {
      EXPECT_EQ(r.status, 429) << "served by " << r.instance;
      EXPECT_FALSE(r.header("Retry-After").empty());
      refused_by.insert(r.instance);
    }
    // Each instance alone saw about half the requests, far below the limit.
    EXPECT_EQ(allowed_by.size(), 2u);
    EXPECT_EQ(refused_by.size(), 2u);
    EXPECT_EQ(allowed.back().header("RateLimit-Remaining"), "0");
    return;
  }
  FAIL() << "every attempt straddled a minute boundary";
}

TEST_F(scale_out, an_idempotent_post_replayed_through_the_other_instance_creates_one_target) {
  std::string body =
      R"({"name":"once","kind":"openai-chat","endpoint_url":"http://a.test/v1/chat/completions"})";
  httplib::Headers key = {{"Idempotency-Key", "create-once-" + address_}};
  auto first = send("POST", "/api/v1/targets", key, body);
  ASSERT_EQ(first.status, 201) << first.body;
  std::vector<reply> replays;
  do {
    replays.push_back(send("POST", "/api/v1/targets", key, body));
  } while (replays.size() < 4 && replays.back().instance == first.instance);
  EXPECT_NE(replays.back().instance, first.instance) << "no replay reached the other instance";
  for (const auto& r : replays) {
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body, first.body);
    EXPECT_EQ(r.header("Idempotent-Replayed"), "true");
  }
  std::string id = first.doc()["id"];
  EXPECT_EQ(test::pg_query(database,
                           "SELECT COUNT(*) FROM targets WHERE name = 'once' AND "
                           "owner_id = (SELECT owner_id FROM targets WHERE id = '" +
                               id + "')"),
            "1");
}

TEST_F(scale_out, scans_created_through_nginx_are_each_run_once_by_one_of_the_instances) {
  constexpr int scans = 6, prompts = 10;
  mock::mock_target mock({"slow", 20});
  json target = {{"name", "victim"},
                 {"kind", "openai-chat"},
                 {"endpoint_url", mock.url() + "/v1"},
                 {"max_concurrency", 4}};
  auto t = send("POST", "/api/v1/targets", {}, target.dump());
  ASSERT_EQ(t.status, 201) << t.body;
  std::vector<std::string> ids;
  std::set<std::string> created_by;
  for (int i = 0; i < scans; ++i) {
    json scan = {{"target_id", t.doc()["id"]},
                 {"probes", {"jailbreak"}},
                 {"max_prompts", prompts},
                 {"concurrency", 2}};
    auto s = send("POST", "/api/v1/scans", {}, scan.dump());
    ASSERT_EQ(s.status, 202) << s.body;
    ids.push_back(s.doc()["id"]);
    created_by.insert(s.instance);
  }
  EXPECT_EQ(created_by.size(), 2u);
  // Waited for in the database, so the caller's rate limit is not spent on polling.
  std::string in_list;
  for (const auto& id : ids) in_list += (in_list.empty() ? "'" : ",'") + id + "'";
  ASSERT_TRUE(test::eventually(
      [&] {
        return test::pg_query(database,
                              "SELECT COUNT(*) FROM scans WHERE status IN "
                              "('completed','failed','cancelled') AND id IN (" +
                                  in_list + ")") == std::to_string(scans);
      },
      30s));
  std::set<std::string> read_from;
  for (const auto& id : ids) {
    auto s = send("GET", "/api/v1/scans/" + id);
    ASSERT_EQ(s.status, 200) << s.body;
    EXPECT_EQ(s.doc()["status"], "completed") << s.body;
    EXPECT_EQ(s.doc()["progress"]["done"], prompts);
    read_from.insert(s.instance);
  }
  EXPECT_EQ(read_from.size(), 2u);
  // Claimed once each, never taken over; both instances ran some (claimed_by is
  // "host:pid:nonce", X-Instance-Id "host-pid").
  EXPECT_EQ(test::pg_query(database, "SELECT COUNT(*) FROM scans WHERE claim <> 1 AND id IN (" +
                                         in_list + ")"),
            "0");
  std::set<std::string> claimed_by;
  for (const auto& id : ids) {
    std::string by =
        test::pg_query(database, "SELECT claimed_by FROM scans WHERE id = '" + id + "'");
    size_t first = by.find(':'), second = by.find(':', first + 1);
    ASSERT_NE(second, std::string::npos) << by;
    claimed_by.insert(by.substr(0, first) + "-" + by.substr(first + 1, second - first - 1));
  }
  EXPECT_EQ(claimed_by, created_by);
  // Every prompt was sent and stored once.
  EXPECT_EQ(test::pg_query(database,
                           "SELECT COUNT(*) FROM scan_results WHERE scan_id IN (" + in_list + ")"),
            std::to_string(scans * prompts));
  EXPECT_EQ(test::pg_query(database,
                           "SELECT COUNT(DISTINCT (scan_id, seq)) FROM scan_results WHERE "
                           "scan_id IN (" +
                               in_list + ")"),
            std::to_string(scans * prompts));
  EXPECT_EQ(mock.stats().requests, scans * prompts);
}

}  // namespace
}  // namespace vutf
