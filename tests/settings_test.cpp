#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/support.hpp"

namespace vutf {
namespace {

TEST(settings, defaults_match_the_spec) {
  auto r = parse_settings({}, {});
  ASSERT_TRUE(r.problems.empty());
  const settings& s = r.values;
  EXPECT_EQ(s.server_host, "127.0.0.1");
  EXPECT_EQ(s.server_port, 8000);
  EXPECT_EQ(s.workers_per_core, 1);
  EXPECT_EQ(s.max_workers, 10);
  EXPECT_EQ(s.max_connections, 256);
  EXPECT_EQ(s.keepalive, 5);
  EXPECT_EQ(s.max_request_size, 10485760);
  EXPECT_EQ(s.request_timeout, 60);
  EXPECT_EQ(s.gzip_min_size, 1000);
  EXPECT_EQ(s.gzip_level, 6);
  EXPECT_EQ(s.database_url, "sqlite:///./app.db");
  EXPECT_EQ(s.database_pool_size, 5);
  EXPECT_EQ(s.database_max_overflow, 10);
  EXPECT_EQ(s.database_pool_timeout, 30);
  EXPECT_EQ(s.database_pool_recycle_idle, 60);
  EXPECT_EQ(s.database_statement_timeout, 30);
  EXPECT_EQ(s.redis_url, "");
  EXPECT_EQ(s.cache_ttl, 300);
  EXPECT_EQ(s.redis_max_connections, 20);
  EXPECT_EQ(s.redis_timeout, 2);
  EXPECT_TRUE(s.enable_metrics);
  EXPECT_EQ(s.metrics_port, 9090);
  EXPECT_EQ(s.log_level, "info");
  EXPECT_EQ(s.log_format, "json");
  EXPECT_EQ(s.environment, "development");
}

TEST(settings, every_problem_is_reported_at_once_with_the_exact_message) {
  auto r = parse_settings({}, {{"DATABASE_POOL_SIZE", "50"},
                               {"WORKERS_PER_CORE", "abc"},
                               {"ENABLE_METRICS", "maybe"},
                               {"LOG_LEVEL", "loud"},
                               {"DATABASE_URL", "mysql://x"}});
  const std::string database_url_problem =
      "DATABASE_URL=mysql://x: must be postgresql://, postgresql+asyncpg://, postgres://, "
      "sqlite:///PATH, sqlite+aiosqlite:///PATH or sqlite:///:memory: (default "
      "sqlite:///./app.db)";
  std::vector<std::string> expected = {
      "WORKERS_PER_CORE=abc: must be an integer in 1..4 (default 1)",
      database_url_problem,
      "DATABASE_POOL_SIZE=50: must be an integer in 1..20 (default 5)",
      "ENABLE_METRICS=maybe: must be true or false (default true)",
      "LOG_LEVEL=loud: must be one of debug, info, warning, error (default info)",
  };
  EXPECT_EQ(r.problems, expected);
}

TEST(settings, ranges_are_inclusive) {
  EXPECT_TRUE(parse_settings({}, {{"DATABASE_POOL_SIZE", "20"}, {"REQUEST_TIMEOUT", "10"}})
                  .problems.empty());
  EXPECT_EQ(parse_settings({}, {{"DATABASE_POOL_SIZE", "0"}}).problems.size(), 1u);
  EXPECT_EQ(parse_settings({}, {{"REQUEST_TIMEOUT", "301"}}).problems.size(), 1u);
  EXPECT_EQ(parse_settings({}, {{"MAX_CONNECTIONS", "7"}}).problems.size(), 1u);
}

// Found by tests/fuzz/fuzz_settings: 19 digits past INT64_MAX made std::stoll throw out of
// parse_settings (which promises never to throw) and killed the process at startup.
TEST(settings, integers_past_int64_are_a_problem_not_an_exception) {
  for (const char* huge : {"9999999999990000000", "-9999999999990000000", "+9223372036854775808"}) {
    auto r = parse_settings({}, {{"SERVER_PORT", huge}});
    EXPECT_EQ(r.problems.size(), 1u) << huge;
  }
  EXPECT_EQ(parse_settings({}, {{"SERVER_PORT", "+8000"}}).values.server_port, 8000);
}

TEST(settings, rediss_is_refused_with_a_reason) {
  auto r = parse_settings({}, {{"REDIS_URL", "rediss://h:6380"}});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("rediss:// is not supported"), std::string::npos);
}

TEST(settings, database_url_forms_from_the_guide_are_accepted) {
  for (const char* url :
       {"postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h/db", "postgres://h/db",
        "sqlite:///./app.db", "sqlite+aiosqlite:///./app.db", "sqlite:///:memory:"})
    EXPECT_TRUE(parse_settings({}, {{"DATABASE_URL", url}}).problems.empty()) << url;
}

TEST(settings, environment_overrides_dotenv) {
  env_map dotenv = parse_dotenv(
      "# comment\nDATABASE_POOL_SIZE=10  # trailing comment\nexport CACHE_TTL=\"600\"\n"
      "MAX_WORKERS='8'\n");
  auto r = parse_settings(dotenv, {{"MAX_WORKERS", "4"}});
  ASSERT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.values.database_pool_size, 10);
  EXPECT_EQ(r.values.cache_ttl, 600);
  EXPECT_EQ(r.values.max_workers, 4);
}

TEST(settings, print_config_masks_passwords) {
  auto r = parse_settings({}, {{"DATABASE_URL", "postgresql://app:s3cret@db:5432/vutf"},
                               {"REDIS_URL", "redis://:hunter2@cache:6379/0"}});
  std::string text = print_config(r.values);
  EXPECT_EQ(text.find("s3cret"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_NE(text.find("DATABASE_URL=postgresql://app:***@db:5432/vutf\n"), std::string::npos);
  EXPECT_NE(text.find("REDIS_URL=redis://:***@cache:6379/0\n"), std::string::npos);
}

TEST(settings, scheduler_threads_follow_the_guide_formula) {
  settings s = test::make_settings({{"WORKERS_PER_CORE", "2"}, {"MAX_WORKERS", "4"}});
  EXPECT_EQ(scheduler_threads(s, 1), 2);
  EXPECT_EQ(scheduler_threads(s, 2), 4);
  EXPECT_EQ(scheduler_threads(s, 8), 4);
  EXPECT_GE(usable_cores(), 1);
}

TEST(settings, committed_configuration_docs_are_generated_from_the_table) {
  std::ifstream f(std::string(VUTF_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), configuration_markdown())
      << "docs/configuration.md is stale: run build/violentutf-api --config-docs > "
         "docs/configuration.md";
}

}  // namespace
}  // namespace vutf
