// The HTTP API: liveness, health, readiness and the OpenAPI document.
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

TEST_F(api_test, health_and_ready_report_the_embedded_dependencies) {
  svc_->probe();
  json h = json::parse(call("GET", "/api/v1/health").body);
  EXPECT_EQ(h["status"], "healthy");
  EXPECT_EQ(h["checks"]["database"]["status"], "up");
  EXPECT_EQ(h["checks"]["cache"]["status"], "in-process");
  for (const char* key : {"timestamp", "service", "version", "environment", "uptime_seconds"})
    EXPECT_TRUE(h.contains(key)) << key;
  auto r = call("GET", "/api/v1/ready");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "ready");
  EXPECT_EQ(j["pools"]["database"]["size"], 5);
  EXPECT_EQ(j["pools"]["database"]["max_overflow"], 10);
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
