// Black-box tests of the built violentutf-api binary.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "storage/database.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using test::run_binary;

// Creates `n` targets named `prefix`0.. through `c` (logged in); each must answer 201.
void create_targets(httplib::Client& c, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = c.Post("/api/v1/targets",
                    R"({"name":")" + prefix + std::to_string(i) +
                        R"(","kind":"openai-chat","endpoint_url":"http://a.test/"})",
                    "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
}

TEST(binary, bad_settings_exit_2_with_every_problem_named) {
  auto r = run_binary({{"DATABASE_POOL_SIZE", "50"}, {"GZIP_LEVEL", "0"}}, {});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "GZIP_LEVEL=0: must be an integer in 1..9 (default 6)\n"
            "DATABASE_POOL_SIZE=50: must be an integer in 1..20 (default 5)\n");
}

TEST(binary, check_config_validates_and_exits) {
  EXPECT_EQ(run_binary({}, {"--check-config"}).code, 0);
  EXPECT_EQ(run_binary({{"KEEPALIVE", "-1"}}, {"--check-config"}).code, 2);
}

TEST(binary, print_config_masks_the_database_password) {
  auto r = run_binary({{"DATABASE_URL", "postgresql://vutf:topsecret@db.internal:5432/vutf"}},
                      {"--print-config"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find("topsecret"), std::string::npos);
  EXPECT_NE(r.out.find("DATABASE_URL=postgresql://vutf:***@db.internal:5432/vutf\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("DATABASE_POOL_SIZE=5\n"), std::string::npos);
}

TEST(binary, dotenv_is_read_and_the_environment_overrides_it) {
  auto r = run_binary({{"MAX_WORKERS", "3"}}, {"--print-config"},
                      "# tuned for the test\nDATABASE_POOL_SIZE=7\nMAX_WORKERS=9\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("DATABASE_POOL_SIZE=7\n"), std::string::npos);
  EXPECT_NE(r.out.find("MAX_WORKERS=3\n"), std::string::npos);
  auto bad = run_binary({}, {"--check-config"}, "CACHE_TTL=5\n");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "CACHE_TTL=5: must be an integer in 60..3600 (default 300)\n");
}

TEST(binary, settings_can_come_from_files) {
  char tmpl[] = "/tmp/vutf-setting-file.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string pool = dir + "/pool";
  std::ofstream(pool) << "7\n";
  auto r = run_binary({{"DATABASE_POOL_SIZE_FILE", pool}}, {"--print-config"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("DATABASE_POOL_SIZE=7\n"), std::string::npos);
  auto both =
      run_binary({{"DATABASE_POOL_SIZE_FILE", pool}}, {"--check-config"}, "DATABASE_POOL_SIZE=7\n");
  EXPECT_EQ(both.code, 2);
  EXPECT_EQ(both.err,
            "DATABASE_POOL_SIZE and DATABASE_POOL_SIZE_FILE are both set; set only one\n");
  auto missing = run_binary({{"SECRET_KEY_FILE", dir + "/missing"}}, {});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err,
            "SECRET_KEY_FILE=" + dir + "/missing: cannot be read (No such file or directory)\n");
  std::system(("rm -rf " + dir).c_str());
}

TEST(binary, help_and_version) {
  auto help = run_binary({}, {"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--print-config"), std::string::npos);
  auto version = run_binary({}, {"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_TRUE(std::regex_match(version.out, std::regex("violentutf-api \\d+\\.\\d+\\.\\d+\n")));
  EXPECT_EQ(run_binary({}, {"--bogus"}).code, 2);
}

// The schema version a fully migrated database is at, as `migrate` reports it.
std::string migrated_line() {
  return "database is at migration " + std::to_string(storage::migrations().back().version) + "\n";
}

TEST(binary, migrate_creates_a_fresh_sqlite_database_and_is_idempotent) {
  char tmpl[] = "/tmp/vutf-migrate.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  env_map env{{"DATABASE_URL", "sqlite:///" + dir + "/fresh.db"}};
  auto first = run_binary(env, {"migrate"});
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(first.out, migrated_line());
  EXPECT_NE(first.err.find("applying migration"), std::string::npos) << first.err;
  auto conn = storage::connect(storage::parse_database_url(env["DATABASE_URL"]), {});
  int64_t applied = 0;
  conn->transact(storage::access::read, storage::clock::now() + std::chrono::seconds(10),
                 [&](storage::session& s) {
                   applied = storage::count_of(
                       s, {"count_migrations", "SELECT count(*) FROM schema_migrations"}, {});
                 });
  EXPECT_EQ(applied, static_cast<int64_t>(storage::migrations().size()));
  auto again = run_binary(env, {"migrate"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, migrated_line());
  EXPECT_EQ(again.err.find("applying migration"), std::string::npos) << again.err;
  std::system(("rm -rf " + dir).c_str());
}

TEST(binary, migrate_on_an_unusable_database_exits_1_without_the_password) {
  auto pg = run_binary({{"DATABASE_URL", "postgresql://vutf:topsecret@127.0.0.1:" +
                                             std::to_string(test::free_port()) + "/vutf"}},
                       {"migrate"});
  EXPECT_EQ(pg.code, 1);
  EXPECT_EQ(pg.err.rfind("migrate: database not usable: ", 0), 0u) << pg.err;
  EXPECT_EQ(pg.err.find("topsecret"), std::string::npos) << pg.err;
  auto sqlite = run_binary({{"DATABASE_URL", "sqlite:///nonexistent-dir/app.db"}}, {"migrate"});
  EXPECT_EQ(sqlite.code, 1);
  EXPECT_NE(sqlite.err.find("nonexistent-dir/app.db"), std::string::npos) << sqlite.err;
  auto bad = run_binary({{"DATABASE_URL", "mysql://db/vutf"}}, {"migrate"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err.rfind("DATABASE_URL=mysql://db/vutf: ", 0), 0u) << bad.err;
}

TEST(binary, starts_on_sqlite_with_no_settings_and_stops_cleanly_on_sigterm) {
  test::service_process p(env_map{});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "starter"));
  auto live = c.Get("/api/v1/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  const char* trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto created = c.Post("/api/v1/targets", {{"traceparent", trace}},
                        R"({"name":"b","kind":"openai-chat","endpoint_url":"http://a.test/"})",
                        "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  std::string instance = created->get_header_value("X-Instance-Id");
  EXPECT_FALSE(instance.empty());
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(), 0) << p.err();
  EXPECT_NE(p.err().find("\"msg\":\"stopped\""), std::string::npos);
  // Every line is JSON naming the service and its version; numbers are numbers.
  std::istringstream lines(p.err());
  bool logged_create = false;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["service"], "violentutf-api") << line;
    EXPECT_TRUE(j["version"].is_string()) << line;
    EXPECT_EQ(j["instance"], instance) << line;
    if (j["msg"] == "request" && j["route"] == "/api/v1/targets") {
      logged_create = true;
      EXPECT_EQ(j["status"], 201) << line;
      EXPECT_TRUE(j["duration_ms"].is_number()) << line;
      EXPECT_EQ(j["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736") << line;
    } else if (j["msg"] == "request") {
      EXPECT_FALSE(j.contains("trace_id")) << line;
    }
  }
  EXPECT_TRUE(logged_create) << p.err();
}

TEST(binary, sighup_does_not_stop_the_service) {
  test::service_process p(env_map{});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  p.signal(SIGHUP);
  ASSERT_TRUE(test::eventually([&] { return p.err().find("SIGHUP") != std::string::npos; }))
      << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  auto live = c.Get("/api/v1/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(), 0) << p.err();
}

TEST(binary, an_in_memory_sqlite_database_is_shared_by_the_pool) {
  test::service_process p(env_map{{"DATABASE_URL", "sqlite:///:memory:"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "memory"));
  ASSERT_NO_FATAL_FAILURE(create_targets(c, "m", 8));
  auto list = c.Get("/api/v1/targets");
  ASSERT_TRUE(list);
  EXPECT_EQ(nlohmann::json::parse(list->body)["total"], 8);
}

TEST(binary, every_audited_request_is_written_before_exit) {
  const int n = 40;
  test::service_process p(env_map{{"DATABASE_URL", "sqlite:///./audit.db"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "auditor"));
  for (int i = 0; i < n; ++i) {
    auto r = c.Post("/api/v1/targets",
                    R"({"name":"a)" + std::to_string(i) +
                        R"(","kind":"openai-chat","endpoint_url":"http://a.test/"})",
                    "application/json");
    ASSERT_TRUE(r && r->status == 201);
  }
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait_exit(), 0) << p.err();
  auto db =
      storage::connect(storage::parse_database_url("sqlite:///" + p.workdir() + "/audit.db"), {});
  int64_t written = -1;
  db->transact(storage::access::read, std::chrono::steady_clock::now() + std::chrono::seconds(5),
               [&](storage::session& s) {
                 written = std::stoll(*s.exec({"count_creates",
                                               "SELECT COUNT(*) FROM audit_logs WHERE action = "
                                               "'target.create'"},
                                              {})
                                           .data.front()[0]);
               });
  EXPECT_EQ(written, n);
}

TEST(binary, no_password_token_key_or_hash_ever_reaches_a_log_line) {
  test::service_process p(env_map{{"LOG_LEVEL", "debug"},
                                  {"ADMIN_USERNAME", "root"},
                                  {"ADMIN_EMAIL", "root@example.com"},
                                  {"ADMIN_PASSWORD", "Adm1n-secret-pw"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  std::string password = "Sup3r-secret-pw";
  auto reg =
      c.Post("/api/v1/auth/register",
             R"({"username":"leaky","email":"leaky@example.com","password":")" + password + R"("})",
             "application/json");
  ASSERT_TRUE(reg && reg->status == 201);
  auto login =
      c.Post("/api/v1/auth/login", R"({"username":"leaky","password":")" + password + R"("})",
             "application/json");
  ASSERT_TRUE(login && login->status == 200);
  auto tokens = nlohmann::json::parse(login->body);
  std::string access = tokens["access_token"], refresh = tokens["refresh_token"];
  c.set_bearer_token_auth(access);
  auto key = c.Post("/api/v1/api-keys", R"({"name":"k","scopes":["read"]})", "application/json");
  ASSERT_TRUE(key && key->status == 201);
  std::string api_key = nlohmann::json::parse(key->body)["key"];
  httplib::Client by_key("127.0.0.1", p.api_port());
  by_key.set_default_headers({{"X-API-Key", api_key}});
  EXPECT_EQ(by_key.Get("/api/v1/users/me")->status, 200);
  c.Post("/api/v1/auth/refresh", R"({"refresh_token":")" + refresh + R"("})", "application/json");
  c.Post("/api/v1/auth/login", R"({"username":"leaky","password":"wrong-Pass-1"})",
         "application/json");
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait_exit(), 0);
  std::string logs = p.err() + p.out();
  EXPECT_NE(logs.find("\"route\":\"/api/v1/auth/login\""), std::string::npos)
      << "access log expected";
  for (const std::string& secret : {password, std::string("Adm1n-secret-pw"), access, refresh,
                                    api_key, std::string("$argon2"), std::string("wrong-Pass-1")})
    EXPECT_EQ(logs.find(secret), std::string::npos)
        << "a secret reached the logs: " << secret.substr(0, 12);
  EXPECT_EQ(key->body.find("$argon2"), std::string::npos);
}

TEST(binary, a_restart_keeps_sessions_valid_with_the_generated_development_key) {
  char dir_template[] = "/tmp/vutf-restart.XXXXXX";
  std::string dir = mkdtemp(dir_template);
  env_map env = {{"DATABASE_URL", "sqlite:///" + dir + "/app.db"}};
  std::string token;
  {
    test::service_process first(env);
    ASSERT_TRUE(first.wait_listening()) << first.err();
    token = test::login_over_http(first.api_port(), "survivor");
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait_exit(), 0);
  }
  test::service_process second(env);
  ASSERT_TRUE(second.wait_listening()) << second.err();
  httplib::Client c("127.0.0.1", second.api_port());
  c.set_bearer_token_auth(token);
  auto me = c.Get("/api/v1/users/me");
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
  std::system(("rm -rf " + dir).c_str());
}

TEST(binary, production_refuses_to_start_without_a_secret_key) {
  auto r = run_binary({{"ENVIRONMENT", "production"}}, {});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "SECRET_KEY is required when ENVIRONMENT=production\n");
}

TEST(binary, metrics_count_requests_by_route_pattern) {
  test::service_process p(env_map{});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  std::string id = "00000000-0000-4000-8000-000000000000";
  for (int i = 0; i < 3; ++i) c.Get(("/api/v1/targets/" + id).c_str());
  c.Get("/api/v1/does-not-exist");
  c.Post("/api/v1/targets", std::string(20, 'x'), "text/plain");
  httplib::Client m("127.0.0.1", p.metrics_port());
  auto scrape = m.Get("/metrics");
  ASSERT_TRUE(scrape);
  const std::string& text = scrape->body;
  EXPECT_NE(
      text.find(R"(http_requests_total{method="GET",route="/api/v1/targets/{id}",status="401"} 3)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(http_requests_total{method="GET",route="unmatched",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(
      text.find(R"(http_requests_total{method="POST",route="/api/v1/targets",status="415"} 1)"),
      std::string::npos);
  EXPECT_EQ(text.find(id), std::string::npos) << "a raw path leaked into a label";
  for (const char* name :
       {"http_request_duration_seconds_bucket", "http_requests_in_progress", "db_pool_size",
        "db_pool_in_use", "db_pool_idle", "db_pool_overflow_in_use", "db_pool_waiting",
        "db_pool_timeouts_total", "cache_hits_total", "cache_misses_total", "cache_errors_total",
        "cache_pool_in_use", "scheduler_threads", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_start_time_seconds",
        "health_check_duration_seconds", "build_info{version=\""})
    EXPECT_NE(text.find(name), std::string::npos) << name;
  EXPECT_TRUE(test::eventually([&] {
    auto again = m.Get("/metrics");
    return again && again->body.find(R"(actor_mailbox_size{actor="db_pool"})") != std::string::npos;
  }));
}

TEST(binary, gauges_show_what_the_near_cache_and_the_list_index_hold) {
  test::service_process p(env_map{});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  c.set_bearer_token_auth(test::login_over_http(p.api_port(), "gauges"));
  ASSERT_NO_FATAL_FAILURE(create_targets(c, "g", 3));
  auto list = c.Get("/api/v1/targets");  // an owner's list: its keys enter the list index
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  httplib::Client m("127.0.0.1", p.metrics_port());
  std::string text;
  EXPECT_TRUE(test::eventually([&] {  // the sampler sets them once a second
    auto scrape = m.Get("/metrics");
    text = scrape ? scrape->body : "";
    return text.find("\nlist_index_keys 3\n") != std::string::npos;
  })) << text;
  EXPECT_EQ(text.find("\nnear_cache_entries 0\n"), std::string::npos) << "the page is held";
}

TEST(binary, nothing_listens_for_metrics_when_disabled) {
  test::service_process p(env_map{{"ENABLE_METRICS", "false"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  EXPECT_NE(p.out().find("metrics=disabled"), std::string::npos);
  EXPECT_EQ(p.metrics_port(), 0);
}

TEST(binary, scheduler_threads_follow_the_settings_in_the_running_system) {
  test::service_process p(env_map{{"WORKERS_PER_CORE", "4"}, {"MAX_WORKERS", "3"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  httplib::Client c("127.0.0.1", p.api_port());
  auto ready = c.Get("/api/v1/ready");
  ASSERT_TRUE(ready);
  auto j = nlohmann::json::parse(ready->body);
  int64_t expected = std::min<int64_t>(usable_cores() * 4, 3);
  EXPECT_EQ(j["workers"]["scheduler_threads"], expected);
}

}  // namespace
}  // namespace vutf
