// The HTTP API: the probe sets.
#include "domain/probes.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

TEST_F(api_test, probe_sets_are_listed_for_authenticated_callers) {
  auto r = call("GET", "/api/v1/probes");
  ASSERT_EQ(r.status, 200) << r.body;
  json page = json::parse(r.body);
  EXPECT_EQ(page["total"], probe_sets().size());
  for (const auto& p : page["items"]) {
    EXPECT_GE(p["prompts"].size(), 10u) << p["id"];
    EXPECT_TRUE(p["detector"].contains("type"));
  }
  EXPECT_EQ(
      json::parse(call("GET", "/api/v1/probes", "", {}, {{"per_page", "2"}}).body)["items"].size(),
      2u);
  expect_problem(call("GET", "/api/v1/probes", "", {{"Authorization", ""}}), 401, "UNAUTHORIZED");
}

}  // namespace
}  // namespace vutf
