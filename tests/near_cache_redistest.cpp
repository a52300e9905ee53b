// The near cache across instances: two services share PostgreSQL and a Redis of their own, and
// every write through one is seen by the very next request through the other, however warm its
// near cache was; with its invalidation connection gone an instance bypasses its near cache
// rather than serve what it holds, and serves from it again once the connection is back.
#include <gtest/gtest.h>
#include <hiredis.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <nlohmann/json.hpp>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "http/api.hpp"
#include "metrics/metrics.hpp"
#include "storage/cache.hpp"
#include "tests/support/json_request.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using nlohmann::json;

// One instance of the service and its HTTP API, with metrics of its own.
struct instance {
  explicit instance(const settings& s) : cfg(s), svc(cfg, m), api(svc, *m, cfg) {}

  http::api_response request(const std::string& method, const std::string& path,
                             http::header_list headers, const std::string& body = "") const {
    return api.handle(test::json_request(method, path, body, std::move(headers), "198.51.100.7"));
  }
  // The target's name as this instance answers it, or the status when it does not answer 200.
  std::string target_name(const std::string& id, const http::header_list& credentials) const {
    auto r = request("GET", "/api/v1/targets/" + id, credentials);
    return r.status == 200 ? json::parse(r.body)["name"].get<std::string>()
                           : std::to_string(r.status);
  }
  // The names on a page of the caller's targets, then the total: "b,a|2".
  std::string page(http::header_list query, const http::header_list& credentials) const {
    auto req = test::json_request("GET", "/api/v1/targets", "", credentials, "198.51.100.7");
    req.query = std::move(query);
    auto r = api.handle(std::move(req));
    if (r.status != 200) return std::to_string(r.status);
    auto body = json::parse(r.body);
    std::string out;
    for (const auto& t : body["items"])
      out += (out.empty() ? "" : ",") + t["name"].get<std::string>();
    return out + "|" + std::to_string(body["total"].get<int64_t>());
  }
  std::string create(const std::string& name, const http::header_list& credentials) const {
    auto r = request("POST", "/api/v1/targets", credentials,
                     R"({"name":")" + name +
                         R"(","kind":"openai-chat","model":"m",)"
                         R"("endpoint_url":"http://127.0.0.1:9/v1/chat/completions"})");
    return r.status == 201 ? json::parse(r.body)["id"].get<std::string>()
                           : std::to_string(r.status);
  }
  int remove(const std::string& id, const http::header_list& credentials) const {
    return request("DELETE", "/api/v1/targets/" + id, credentials).status;
  }
  double builds() const { return m->list_index_builds_total.Value(); }
  bool serving() { return svc.cache_pool().near_active; }
  double near_hits() const { return m->near_cache_hits_total.Value(); }

  settings cfg;
  std::shared_ptr<metrics> m = std::make_shared<metrics>();
  service svc;
  http::api api;
};

class near_cache_redistest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::configure("error", "json");
    settings cfg = test::make_settings({{"DATABASE_URL", test::fresh_pg_database()},
                                        {"REDIS_URL", redis_.url()},
                                        {"SECRET_KEY", "a-shared-secret-key-of-32-characters!"}});
    a_ = std::make_unique<instance>(cfg);
    b_ = std::make_unique<instance>(cfg);
    ASSERT_TRUE(test::eventually([&] { return a_->serving() && b_->serving(); }))
        << "both near caches subscribe to invalidations";
    auto registered = a_->svc.ask(user_register{"alice", "alice@example.com", "passw0rd-a",
                                                std::nullopt, a_->svc.deadline()});
    ASSERT_TRUE(registered.ok()) << registered.error->detail;
    bearer_ = {{"Authorization", "Bearer " + login()}};
    auto created = a_->request("POST", "/api/v1/targets", bearer_,
                               R"({"name":"first","kind":"openai-chat","model":"m",)"
                               R"("endpoint_url":"http://127.0.0.1:9/v1/chat/completions"})");
    ASSERT_EQ(created.status, 201) << created.body;
    id_ = json::parse(created.body)["id"];
  }

  std::string login() {
    auto t = a_->svc.ask(user_login{"alice", "passw0rd-a", {}, a_->svc.deadline()});
    EXPECT_TRUE(t.ok());
    return t.value.access_token;
  }

  // B's near cache holds what `credentials` see of the target: a second read is served from it.
  void warm_b(const http::header_list& credentials, const std::string& name) {
    ASSERT_EQ(b_->target_name(id_, credentials), name);
    double hits = b_->near_hits();
    ASSERT_EQ(b_->target_name(id_, credentials), name);
    ASSERT_GT(b_->near_hits(), hits) << "the second read is served from B's near cache";
  }

  void rename_on_a(const std::string& name) {
    auto r =
        a_->request("PATCH", "/api/v1/targets/" + id_, bearer_, R"({"name":")" + name + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // A command on the shared Redis, as an operator would type it.
  std::string redis_command(const std::vector<std::string>& args) {
    if (!admin_) {
      auto u = storage::parse_redis_url(redis_.url());
      admin_ = redisConnect(u.host.c_str(), u.port);
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(admin_, static_cast<int>(args.size()), argv.data(), lens.data()));
    std::string out = !r                              ? "no reply"
                      : r->type == REDIS_REPLY_ERROR  ? "error: " + std::string(r->str, r->len)
                      : r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len)
                      : r->type == REDIS_REPLY_STATUS ? std::string(r->str, r->len)
                                                      : std::to_string(r->integer);
    if (r) freeReplyObject(r);
    return out;
  }

  void TearDown() override {
    if (admin_) redisFree(admin_);
  }

  test::redis_server redis_;
  redisContext* admin_ = nullptr;
  std::unique_ptr<instance> a_, b_;
  http::header_list bearer_;
  std::string id_;
};

TEST_F(near_cache_redistest, a_target_changed_on_one_instance_is_seen_next_on_the_other) {
  warm_b(bearer_, "first");
  rename_on_a("second");
  EXPECT_EQ(b_->target_name(id_, bearer_), "second");
  warm_b(bearer_, "second");
  ASSERT_EQ(a_->request("DELETE", "/api/v1/targets/" + id_, bearer_).status, 204);
  EXPECT_EQ(b_->target_name(id_, bearer_), "404");
  EXPECT_GT(b_->m->near_cache_invalidations_total.Value(), 0);
}

TEST_F(near_cache_redistest, a_list_changed_on_one_instance_is_exact_next_on_the_other) {
  // A's list index holds alice's keys, and A's near cache her page.
  ASSERT_EQ(a_->page({{"per_page", "2"}}, bearer_), "first|1");
  EXPECT_EQ(a_->builds(), 1) << "the first page builds the index";
  ASSERT_EQ(a_->page({{"per_page", "2"}}, bearer_), "first|1");
  // B creates two and deletes one: A's next pages show exactly that, in both orders.
  std::string b1 = b_->create("b1", bearer_), b2 = b_->create("b2", bearer_);
  ASSERT_EQ(b_->remove(id_, bearer_), 204);
  EXPECT_EQ(a_->page({{"per_page", "2"}}, bearer_), "b2,b1|2");
  EXPECT_EQ(a_->page({{"per_page", "1"}, {"page", "2"}}, bearer_), "b1|2");
  EXPECT_EQ(a_->page({{"per_page", "1"}, {"page", "3"}}, bearer_), "|2");
  EXPECT_EQ(a_->page({{"per_page", "1"}, {"sort", "created_at"}}, bearer_), "b1|2");
  EXPECT_EQ(a_->builds(), 2) << "B's writes moved the version A's keys were exact for: rebuilt";
  // A's own writes carry its index forward without a rebuild; B sees them next too.
  std::string a1 = a_->create("a1", bearer_);
  EXPECT_EQ(a_->page({{"per_page", "2"}}, bearer_), "a1,b2|3");
  ASSERT_EQ(a_->remove(b2, bearer_), 204);
  EXPECT_EQ(a_->page({{"per_page", "2"}}, bearer_), "a1,b1|2");
  EXPECT_EQ(a_->page({{"per_page", "2"}, {"sort", "created_at"}}, bearer_), "b1,a1|2");
  EXPECT_EQ(a_->builds(), 2) << "A's own create and delete applied to its keys";
  EXPECT_EQ(b_->page({{"per_page", "2"}}, bearer_), "a1,b1|2");
  // A write B's bump did not reach A by: B's delete, then A's list, exact again.
  ASSERT_EQ(b_->remove(b1, bearer_), 204);
  EXPECT_EQ(a_->page({{"per_page", "2"}}, bearer_), "a1|1");
  EXPECT_EQ(a_->page({{"per_page", "2"}, {"page", "2"}}, bearer_), "|1");
}

TEST_F(near_cache_redistest, a_logout_on_one_instance_stops_the_token_next_on_the_other) {
  warm_b(bearer_, "first");
  ASSERT_EQ(a_->request("POST", "/api/v1/auth/logout", bearer_).status, 204);
  EXPECT_EQ(b_->target_name(id_, bearer_), "401");
}

TEST_F(near_cache_redistest, a_revoked_api_key_is_refused_next_on_the_other_instance) {
  auto made = a_->request("POST", "/api/v1/api-keys", bearer_, R"({"name":"k","scopes":["read"]})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto key = json::parse(made.body);
  http::header_list by_key = {{"X-API-Key", key["key"].get<std::string>()}};
  warm_b(by_key, "first");
  ASSERT_EQ(
      a_->request("DELETE", "/api/v1/api-keys/" + key["id"].get<std::string>(), bearer_).status,
      204);
  EXPECT_EQ(b_->target_name(id_, by_key), "401");
}

TEST_F(near_cache_redistest, a_password_change_on_one_instance_ends_other_sessions_everywhere) {
  std::string other = login();  // a second session, warm on B
  http::header_list by_other = {{"Authorization", "Bearer " + other}};
  warm_b(by_other, "first");
  auto changed = a_->request("POST", "/api/v1/users/me/password", bearer_,
                             R"({"current_password":"passw0rd-a","new_password":"passw0rd-b2"})");
  ASSERT_EQ(changed.status, 204) << changed.body;
  EXPECT_EQ(b_->target_name(id_, by_other), "401");
}

TEST_F(near_cache_redistest,
       without_its_invalidation_connection_an_instance_bypasses_then_recovers) {
  warm_b(bearer_, "first");
  // Kill B's invalidation connection and keep it from coming back: an invalidation connection
  // names itself first, and that one command is now refused; nothing else changes.
  int64_t client = b_->svc.cache_pool().invalidation_client;
  ASSERT_GT(client, 0);
  ASSERT_EQ(redis_command({"ACL", "SETUSER", "default", "-client|setname"}), "OK");
  ASSERT_EQ(redis_command({"CLIENT", "KILL", "ID", std::to_string(client)}), "1");
  ASSERT_TRUE(test::eventually([&] { return !b_->serving(); }));
  EXPECT_GE(b_->m->near_cache_flushes_total.Value(), 1);
  EXPECT_EQ(b_->m->near_cache_active.Value(), 0);

  // Bypassed: B reads through Redis, so it sees A's write, and keeps nothing near.
  double hits = b_->near_hits();
  rename_on_a("while-bypassed");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b_->target_name(id_, bearer_), "while-bypassed");
  EXPECT_EQ(b_->near_hits(), hits) << "nothing is served from a near cache that cannot be told";

  // Back: a new connection subscribes, B's reads are tracked under it, and invalidated by it.
  ASSERT_EQ(redis_command({"ACL", "SETUSER", "default", "+client|setname"}), "OK");
  ASSERT_TRUE(test::eventually([&] { return b_->serving(); }));
  EXPECT_NE(b_->svc.cache_pool().invalidation_client, client);
  warm_b(bearer_, "while-bypassed");
  rename_on_a("after-recovery");
  EXPECT_EQ(b_->target_name(id_, bearer_), "after-recovery");
}

}  // namespace
}  // namespace vutf
