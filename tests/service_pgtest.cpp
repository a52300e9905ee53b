// Black-box tests of the built binary against a live PostgreSQL: deadlines, graceful stop and
// durability of acknowledged writes.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "tests/support/support.hpp"

namespace vutf {
namespace {

const char* const target_body =
    R"({"name":"%s","kind":"openai-chat","endpoint_url":"http://127.0.0.1:9/v1"})";

std::string body_named(const std::string& name) {
  char buf[256];
  snprintf(buf, sizeof buf, target_body, name.c_str());
  return buf;
}

TEST(service_pg, a_request_past_request_timeout_gets_504_and_its_statement_is_cancelled) {
  std::string db = test::fresh_pg_database();
  test::service_process p(env_map{{"DATABASE_URL", db}, {"REQUEST_TIMEOUT", "10"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  pqxx::connection locker(db);
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE targets IN ACCESS EXCLUSIVE MODE");

  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "timeout"));
  c.set_read_timeout(60, 0);
  auto start = std::chrono::steady_clock::now();
  auto r = c.Post("/api/v1/targets", body_named("slow"), "application/json");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error_code"], "REQUEST_TIMEOUT");
  EXPECT_GE(took, std::chrono::seconds(9));
  EXPECT_LT(took, std::chrono::seconds(20));
  EXPECT_TRUE(test::eventually([&] { return test::pg_lock_waiters(db) == 0; }));
  lock.abort();
  EXPECT_EQ(test::pg_query(db, "SELECT count(*) FROM targets"), "0");  // rolled back, not stored
}

TEST(service_pg, sigterm_lets_in_flight_requests_finish_then_exits_0) {
  std::string db = test::fresh_pg_database();
  test::service_process p(env_map{{"DATABASE_URL", db}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  std::string token = test::login_over_http(p.api_port(), "draining");
  pqxx::connection locker(db);
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE targets IN ACCESS EXCLUSIVE MODE");

  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", p.api_port());
    c.set_bearer_token_auth(token);
    c.set_read_timeout(60, 0);
    auto r = c.Post("/api/v1/targets", body_named("in-flight"), "application/json");
    return r ? r->status : -1;
  });
  ASSERT_TRUE(test::eventually([&] { return test::pg_lock_waiters(db) > 0; }));
  p.signal(SIGTERM);
  // New connections are refused once the listener is closed; the in-flight one is not cut.
  EXPECT_TRUE(test::eventually([&] {
    httplib::Client probe("127.0.0.1", p.api_port());
    probe.set_connection_timeout(0, 200000);
    return !probe.Get("/api/v1/live");
  }));
  lock.abort();
  EXPECT_EQ(in_flight.get(), 201);
  EXPECT_EQ(p.wait_exit(), 0) << p.err();
  EXPECT_EQ(test::pg_query(db, "SELECT count(*) FROM targets"), "1");
}

TEST(service_pg, startup_waits_for_a_database_that_is_not_up_yet) {
  test::pg_server pg;
  pg.stop();
  test::service_process p(env_map{{"DATABASE_URL", pg.url()}});
  EXPECT_TRUE(test::eventually(
      [&] { return p.err().find("database not reachable yet; retrying") != std::string::npos; }));
  pg.start();
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "late"));
  auto r = c.Post("/api/v1/targets", body_named("late-db"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
}

TEST(service_pg, migrate_prepares_a_fresh_database_and_the_service_then_has_nothing_to_apply) {
  std::string db = test::fresh_pg_database();
  auto migrated = test::run_binary({{"DATABASE_URL", db}}, {"migrate"});
  ASSERT_EQ(migrated.code, 0) << migrated.err;
  EXPECT_EQ(migrated.out.rfind("database is at migration ", 0), 0u) << migrated.out;
  EXPECT_NE(migrated.err.find("applying migration"), std::string::npos) << migrated.err;
  EXPECT_NE(test::pg_query(db, "SELECT count(*) FROM schema_migrations"), "0");
  test::service_process p(env_map{{"DATABASE_URL", db}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  EXPECT_EQ(p.err().find("applying migration"), std::string::npos) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "migrated"));
  auto r = c.Post("/api/v1/targets", body_named("after-migrate"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
}

// Group commit acknowledges a create only after its transaction committed: however the process
// dies, every create a client got 201 for is in the database.
TEST(service_pg, no_acknowledged_create_is_lost_when_the_process_is_killed) {
  std::string db = test::fresh_pg_database();
  test::service_process p(env_map{{"DATABASE_URL", db}, {"RATE_LIMIT_ENABLED", "false"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  std::string token = test::login_over_http(p.api_port(), "killed");
  std::mutex mutex;
  std::vector<std::string> acknowledged;  // ids of the creates answered 201
  auto client = [&](int n) {
    httplib::Client c("127.0.0.1", p.api_port());
    c.set_bearer_token_auth(token);
    c.set_read_timeout(60, 0);
    // Until the process is gone: the request cut by the kill has no answer, the next no server.
    for (int i = 0;; ++i) {
      auto r = c.Post("/api/v1/targets", body_named(std::to_string(n) + "-" + std::to_string(i)),
                      "application/json");
      if (!r) return;
      if (r->status != 201) {
        ADD_FAILURE() << r->status << " " << r->body;
        return;
      }
      std::lock_guard<std::mutex> g(mutex);
      acknowledged.push_back(nlohmann::json::parse(r->body)["id"].get<std::string>());
    }
  };
  std::vector<std::thread> clients;
  for (int n = 0; n < 16; ++n) clients.emplace_back(client, n);
  // Mid-stream: after a good many acknowledged creates, while every client still sends.
  ASSERT_TRUE(test::eventually([&] {
    std::lock_guard<std::mutex> g(mutex);
    return acknowledged.size() >= 200;
  }));
  p.signal(SIGKILL);
  for (auto& t : clients) t.join();
  p.wait_exit();
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> g(mutex);
    ids = acknowledged;
  }
  pqxx::connection conn(db);
  pqxx::nontransaction tx(conn);
  size_t lost = 0;
  for (const auto& id : ids)
    lost += tx.exec_params("SELECT 1 FROM targets WHERE id = $1", id).empty();
  EXPECT_EQ(lost, 0u) << "of " << ids.size() << " acknowledged creates";
  EXPECT_GE(ids.size(), 200u);
}

}  // namespace
}  // namespace vutf
