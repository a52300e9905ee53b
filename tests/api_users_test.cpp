// The HTTP API: user administration.
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

// ---- user administration ----

TEST_F(api_test, admins_manage_users_and_others_are_forbidden) {
  expect_problem(call("GET", "/api/v1/users"), 403, "FORBIDDEN");
  std::string root = token_for("root");
  http::header_list admin = {{"Authorization", "Bearer " + root}};
  token_for("mallory");
  auto list = call("GET", "/api/v1/users", "", admin, {{"q", "MALL"}, {"sort", "username"}});
  ASSERT_EQ(list.status, 200) << list.body;
  json page = json::parse(list.body);
  ASSERT_EQ(page["total"], 1);
  std::string id = page["items"][0]["id"];
  EXPECT_EQ(json::parse(call("GET", "/api/v1/users", "", admin, {{"role", "admin"}}).body)["total"],
            1);
  EXPECT_EQ(call("GET", "/api/v1/users/" + id, "", admin).status, 200);
  expect_problem(call("GET", "/api/v1/users", "", admin, {{"is_active", "maybe"}}), 422,
                 "VALIDATION_ERROR");

  // Deactivation stops the user's existing tokens at once.
  std::string mallory = token_for("mallory");
  http::header_list as_mallory = {{"Authorization", "Bearer " + mallory}};
  ASSERT_EQ(call("GET", "/api/v1/users/me", "", as_mallory).status, 200);
  auto off = call("PATCH", "/api/v1/users/" + id, R"({"is_active":false})", admin);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(json::parse(off.body)["is_active"], false);
  expect_problem(call("GET", "/api/v1/users/me", "", as_mallory), 401, "UNAUTHORIZED");
  expect_problem(
      call("POST", "/api/v1/auth/login", R"({"username":"mallory","password":"passw0rd-mallory"})"),
      401, "UNAUTHORIZED");

  // Promotion takes effect on the next request, and a soft delete ends everything.
  ASSERT_EQ(
      call("PATCH", "/api/v1/users/" + id, R"({"is_active":true,"roles":["user","admin"]})", admin)
          .status,
      200);
  std::string promoted = token_for("mallory");
  http::header_list as_promoted = {{"Authorization", "Bearer " + promoted}};
  EXPECT_EQ(call("GET", "/api/v1/users", "", as_promoted).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + id, "", admin).status, 204);
  expect_problem(call("GET", "/api/v1/users/me", "", as_promoted), 401, "UNAUTHORIZED");
  expect_problem(call("GET", "/api/v1/users/" + id, "", admin), 404, "NOT_FOUND");
  expect_problem(call("PATCH", "/api/v1/users/" + id, R"({"roles":["root"]})", admin), 422,
                 "VALIDATION_ERROR");
}

TEST_F(api_test, users_me_is_not_users_id) {
  EXPECT_EQ(call("GET", "/api/v1/users/me").status, 200);
  auto r = call("DELETE", "/api/v1/users/me");
  expect_problem(r, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(header(r, "Allow"), "GET, PATCH, OPTIONS");
}

}  // namespace
}  // namespace vutf
