#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/cidr.hpp"
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
  EXPECT_EQ(s.max_active_requests, 128);
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
  EXPECT_EQ(parse_settings({}, {{"MAX_ACTIVE_REQUESTS", "3"}}).problems.size(), 1u);
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

TEST(settings, trusted_proxies_and_login_failures) {
  auto defaults = parse_settings({}, {}).values;
  EXPECT_EQ(defaults.trusted_proxies, "");
  EXPECT_EQ(defaults.login_max_failures, 10);
  auto good = parse_settings({}, {{"TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8"},
                                  {"LOGIN_MAX_FAILURES", "3"}});
  EXPECT_TRUE(good.problems.empty());
  EXPECT_EQ(good.values.login_max_failures, 3);
  auto bad = parse_settings(
      {}, {{"TRUSTED_PROXIES", "10.0.0.0/33,proxy.example.com"}, {"LOGIN_MAX_FAILURES", "2"}});
  std::vector<std::string> expected = {
      "TRUSTED_PROXIES=10.0.0.0/33,proxy.example.com: must be comma-separated IPv4/IPv6 CIDRs "
      "such as 10.0.0.0/8, ::1 (default unset)",
      "LOGIN_MAX_FAILURES=2: must be an integer in 3..1000 (default 10)"};
  EXPECT_EQ(bad.problems, expected);
}

TEST(cidr, addresses_and_networks) {
  auto v4 = parse_ip("192.0.2.10");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->text(), "192.0.2.10");
  // A dual-stack socket's IPv4 peer is the IPv4 address.
  EXPECT_EQ(parse_ip("::ffff:192.0.2.10")->text(), "192.0.2.10");
  EXPECT_EQ(parse_ip("2001:0db8:0:0::1")->text(), "2001:db8::1") << "one spelling per address";
  for (const char* bad :
       {"", "192.0.2", "192.0.2.1:80", "[::1]", "fe80::1%eth0", "host", "1.2.3.4 "})
    EXPECT_FALSE(parse_ip(bad)) << bad;

  auto net = parse_cidr("10.1.0.0/16");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*parse_ip("10.1.255.3")));
  EXPECT_FALSE(net->contains(*parse_ip("10.2.0.1")));
  EXPECT_FALSE(net->contains(*parse_ip("::a01:1"))) << "IPv6 is never inside an IPv4 network";
  auto odd = parse_cidr("172.16.0.0/12");
  EXPECT_TRUE(odd->contains(*parse_ip("172.31.200.1")));
  EXPECT_FALSE(odd->contains(*parse_ip("172.32.0.1")));
  EXPECT_TRUE(parse_cidr("2001:db8::/32")->contains(*parse_ip("2001:db8:ffff::1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(*parse_ip("203.0.113.1")));
  EXPECT_TRUE(parse_cidr("::ffff:10.0.0.0/104")->contains(*parse_ip("10.9.9.9")));
  EXPECT_TRUE(parse_cidr("203.0.113.7")->contains(*parse_ip("203.0.113.7")));
  EXPECT_FALSE(parse_cidr("203.0.113.7")->contains(*parse_ip("203.0.113.8")));
  for (const char* bad :
       {"10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8/8", "::ffff:10.0.0.0/95"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  EXPECT_EQ(parse_cidr_list("")->size(), 0u);
  EXPECT_EQ(parse_cidr_list(" 10.0.0.0/8 , ::1 ")->size(), 2u);
  EXPECT_FALSE(parse_cidr_list("10.0.0.0/8,nope"));
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

// A file in a fresh temporary directory, removed with it.
class setting_files : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vutf-settings.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string file(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(setting_files, any_setting_can_come_from_a_file_without_its_trailing_newline) {
  std::string key(40, 'k');
  auto r = parse_settings({{"DATABASE_POOL_SIZE_FILE", file("pool", "7\n")}},
                          {{"SECRET_KEY_FILE", file("key", key + "\r\n")},
                           {"DATABASE_URL_FILE", file("url", "postgresql://app:s3cret@db/vutf")},
                           {"ENABLE_METRICS_FILE", file("metrics", "false\n\n")}});
  ASSERT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.values.database_pool_size, 7);
  EXPECT_EQ(r.values.secret_key, key);
  EXPECT_EQ(r.values.database_url, "postgresql://app:s3cret@db/vutf");
  EXPECT_FALSE(r.values.enable_metrics);
}

TEST_F(setting_files, both_forms_unreadable_files_and_bad_content_are_clear_problems) {
  std::string key = file("key", std::string(40, 'k'));
  std::string short_key = file("short", "tooshort\n");
  auto r = parse_settings({{"SECRET_KEY", std::string(40, 's')}},
                          {{"SECRET_KEY_FILE", key},
                           {"REDIS_URL_FILE", dir_ + "/missing"},
                           {"DATABASE_URL_FILE", dir_},
                           {"ADMIN_PASSWORD_FILE", file("big", std::string(70000, 'p'))},
                           {"CACHE_TTL_FILE", file("ttl", "5\n")},
                           {"SERVER_PORT", "8000"}});
  std::vector<std::string> expected = {
      "DATABASE_URL_FILE=" + dir_ + ": cannot be read (not a regular file)",
      "REDIS_URL_FILE=" + dir_ + "/missing: cannot be read (No such file or directory)",
      "CACHE_TTL_FILE=" + dir_ + "/ttl: must be an integer in 60..3600 (default 300)",
      "SECRET_KEY and SECRET_KEY_FILE are both set; set only one",
      "ADMIN_PASSWORD_FILE=" + dir_ + "/big: cannot be read (larger than 65536 bytes)",
  };
  EXPECT_EQ(r.problems, expected);
  // A secret read from a file is never echoed, even when it is wrong.
  auto bad = parse_settings({}, {{"SECRET_KEY_FILE", short_key}});
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_EQ(bad.problems[0],
            "SECRET_KEY_FILE=" + short_key + ": must be at least 32 characters (default unset)");
  auto production =
      parse_settings({}, {{"ENVIRONMENT", "production"}, {"SECRET_KEY_FILE", dir_ + "/missing"}});
  EXPECT_EQ(production.problems.size(), 1u);  // not also "SECRET_KEY is required"
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

TEST(settings, outbound_block_private_defaults_by_environment) {
  EXPECT_FALSE(parse_settings({}, {}).values.outbound_block_private);  // development
  for (const char* env : {"staging", "production"})
    EXPECT_TRUE(parse_settings({}, {{"ENVIRONMENT", env}, {"SECRET_KEY", std::string(32, 'k')}})
                    .values.outbound_block_private)
        << env;
  EXPECT_TRUE(
      parse_settings({}, {{"OUTBOUND_BLOCK_PRIVATE", "true"}}).values.outbound_block_private);
  EXPECT_FALSE(parse_settings({}, {{"ENVIRONMENT", "production"},
                                   {"SECRET_KEY", std::string(32, 'k')},
                                   {"OUTBOUND_BLOCK_PRIVATE", "false"}})
                   .values.outbound_block_private);
  EXPECT_TRUE(parse_settings(parse_dotenv("OUTBOUND_BLOCK_PRIVATE=yes\n"), {})
                  .values.outbound_block_private);
}

TEST(settings, outbound_values_are_checked_with_the_url_and_cidr_parsers) {
  auto r = parse_settings({}, {{"OUTBOUND_ALLOW_CIDRS", "10.0.0.0/8,10.0.0.0/33"},
                               {"OUTBOUND_PROXY", "https://p:1"},
                               {"HTTP_PROXY", "http://p:99999999999"},
                               {"NO_PROXY", "a b"},
                               {"OUTBOUND_BLOCK_PRIVATE", "maybe"}});
  const std::string proxy_rule = "must be an http URL: http://[user:password@]host[:port] ";
  std::vector<std::string> expected;
  expected.push_back("OUTBOUND_BLOCK_PRIVATE=maybe: must be true or false (default unset)");
  expected.push_back(
      "OUTBOUND_ALLOW_CIDRS=10.0.0.0/8,10.0.0.0/33: must be comma-separated IPv4/IPv6 CIDRs "
      "such as 10.0.0.0/8, ::1 (default unset)");
  expected.push_back("OUTBOUND_PROXY=https://p:1: " + proxy_rule +
                     "(only http:// proxies are supported) (default unset)");
  expected.push_back("HTTP_PROXY=http://p:99999999999: " + proxy_rule +
                     "(the port must be at most 65535) (default unset)");
  expected.push_back(
      "NO_PROXY=a b: must be comma-separated host names, IP addresses, CIDRs or * ('a b' is "
      "not a host name, IP address, CIDR or *) (default unset)");
  EXPECT_EQ(r.problems, expected);
  auto ok = parse_settings({}, {{"HTTPS_PROXY", "proxy.internal:3128"},
                                {"NO_PROXY", "localhost,127.0.0.1,.internal,*"},
                                {"OUTBOUND_ALLOW_CIDRS", " 127.0.0.0/8 , ::1 "}});
  EXPECT_TRUE(ok.problems.empty()) << ok.problems.front();
}

TEST(settings, print_config_masks_proxy_passwords) {
  auto r = parse_settings({}, {{"OUTBOUND_PROXY", "http://egress:pr0xy-pw@proxy:3128"},
                               {"HTTPS_PROXY", "http://u:other-pw@p2:3128"}});
  ASSERT_TRUE(r.problems.empty()) << r.problems.front();
  std::string text = print_config(r.values);
  EXPECT_EQ(text.find("pr0xy-pw"), std::string::npos);
  EXPECT_EQ(text.find("other-pw"), std::string::npos);
  EXPECT_NE(text.find("OUTBOUND_PROXY=http://egress:***@proxy:3128\n"), std::string::npos);
  EXPECT_NE(text.find("OUTBOUND_BLOCK_PRIVATE=false\n"), std::string::npos);
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
