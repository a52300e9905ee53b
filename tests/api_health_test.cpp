// The HTTP API: liveness, health, readiness and the OpenAPI document.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

TEST_F(api_test, live_answers_alive_with_a_timestamp) {
  auto r = call("GET", "/api/v1/live");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "alive");
  EXPECT_EQ(j["timestamp"].get<std::string>().size(), 24u);  // 2026-01-02T03:04:05.678Z
}

// The keys of `j`, sorted.
std::vector<std::string> keys_of(const json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

// The probes' checks as the contract gives them: a status and a latency in milliseconds.
void expect_checks(const json& checks, const std::string& cache_status) {
  EXPECT_EQ(keys_of(checks), (std::vector<std::string>{"cache", "database"}));
  EXPECT_EQ(checks["database"]["status"], "up");
  EXPECT_EQ(checks["cache"]["status"], cache_status);
  for (const char* name : {"database", "cache"}) {
    EXPECT_EQ(keys_of(checks[name]), (std::vector<std::string>{"latency_ms", "status"})) << name;
    EXPECT_TRUE(checks[name]["latency_ms"].is_number()) << name;
    EXPECT_GE(checks[name]["latency_ms"].get<double>(), 0) << name;
  }
}

TEST_F(api_test, health_and_ready_report_the_embedded_dependencies) {
  svc_->probe();
  auto health = call("GET", "/api/v1/health");
  ASSERT_EQ(health.status, 200);
  json h = json::parse(health.body);
  EXPECT_EQ(keys_of(h), (std::vector<std::string>{"checks", "environment", "service", "status",
                                                  "timestamp", "uptime_seconds", "version"}));
  EXPECT_EQ(h["status"], "healthy");
  EXPECT_EQ(h["service"], "violentutf-api");
  EXPECT_EQ(h["environment"], "development");
  EXPECT_EQ(h["timestamp"].get<std::string>().size(), 24u);
  EXPECT_TRUE(h["uptime_seconds"].is_number_integer());
  expect_checks(h["checks"], "in-process");

  auto r = call("GET", "/api/v1/ready");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(keys_of(j),
            (std::vector<std::string>{"checks", "pools", "status", "timestamp", "workers"}));
  EXPECT_EQ(j["status"], "ready");
  expect_checks(j["checks"], "in-process");
  EXPECT_EQ(keys_of(j["pools"]["database"]),
            (std::vector<std::string>{"idle", "in_use", "max_overflow", "overflow_in_use", "size",
                                      "waiting"}));
  EXPECT_EQ(j["pools"]["database"]["size"], 5);
  EXPECT_EQ(j["pools"]["database"]["max_overflow"], 10);
  EXPECT_EQ(keys_of(j["pools"]["cache"]), (std::vector<std::string>{"in_use", "size"}));
  EXPECT_EQ(j["workers"]["scheduler_threads"], svc_->scheduler_threads());
  EXPECT_EQ(j["workers"]["max_connections"], 256);
}

TEST_F(api_test, the_openapi_document_describes_every_route) {
  auto r = call("GET", "/api/v1/openapi.json", "", {{"Authorization", ""}});
  ASSERT_EQ(r.status, 200);
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  for (const auto& [method, pattern] : http::api::endpoints()) {
    std::string m = method;
    for (auto& ch : m) ch = static_cast<char>(std::tolower(ch));
    EXPECT_TRUE(doc["paths"].contains(pattern) && doc["paths"][pattern].contains(m))
        << method << " " << pattern << " is missing from http/openapi.json";
  }
  size_t documented = 0;
  for (const auto& [path, ops] : doc["paths"].items()) documented += ops.size();
  EXPECT_EQ(documented, http::api::endpoints().size())
      << "the document names routes that do not exist";
}

}  // namespace
}  // namespace vutf
