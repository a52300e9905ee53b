// The HTTP API: registration, login, refresh, logout, sessions and the caller's account.
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

// ---- identity ----

class identity_api_test : public api_test {
 protected:
  void SetUp() override {
    api_test::SetUp();
    token_.clear();  // calls are anonymous unless a test says otherwise
  }
  json login(const std::string& user, const std::string& password) {
    auto r =
        call("POST", "/api/v1/auth/login", json{{"username", user}, {"password", password}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  api_response as(const std::string& token, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return call(method, path, body, {{"Authorization", "Bearer " + token}});
  }
  void register_user(const std::string& name) {
    auto r = call(
        "POST", "/api/v1/auth/register",
        json{{"username", name}, {"email", name + "@example.com"}, {"password", "passw0rd-" + name}}
            .dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
};

TEST_F(identity_api_test, register_login_me_and_logout) {
  register_user("alice");
  json tokens = login("alice", "passw0rd-alice");
  EXPECT_EQ(tokens["token_type"], "bearer");
  EXPECT_EQ(tokens["expires_in"], 30 * 60);
  std::string access = tokens["access_token"];
  auto me = as(access, "GET", "/api/v1/users/me");
  ASSERT_EQ(me.status, 200) << me.body;
  json u = json::parse(me.body);
  EXPECT_EQ(u["username"], "alice");
  EXPECT_EQ(u["roles"], json::array({"user"}));
  EXPECT_FALSE(u["last_login_at"].is_null());
  EXPECT_EQ(me.body.find("argon2"), std::string::npos);
  EXPECT_EQ(me.body.find("password"), std::string::npos);
  // Logging in with the email works too.
  login("alice@example.com", "passw0rd-alice");

  EXPECT_EQ(as(access, "POST", "/api/v1/auth/logout").status, 204);
  auto after = as(access, "GET", "/api/v1/users/me");
  expect_problem(after, 401, "UNAUTHORIZED");
  EXPECT_EQ(header(after, "WWW-Authenticate"), "Bearer");
}

TEST_F(identity_api_test, wrong_user_and_wrong_password_look_the_same) {
  register_user("bob");
  auto wrong_password =
      call("POST", "/api/v1/auth/login", R"({"username":"bob","password":"nope-nope-1"})");
  auto no_user =
      call("POST", "/api/v1/auth/login", R"({"username":"nobody","password":"nope-nope-1"})");
  expect_problem(wrong_password, 401, "UNAUTHORIZED");
  expect_problem(no_user, 401, "UNAUTHORIZED");
  EXPECT_EQ(json::parse(wrong_password.body)["detail"], json::parse(no_user.body)["detail"]);
}

TEST_F(identity_api_test, a_refresh_token_works_once_and_reuse_revokes_the_session) {
  register_user("carol");
  json first = login("carol", "passw0rd-carol");
  auto r1 =
      call("POST", "/api/v1/auth/refresh", json{{"refresh_token", first["refresh_token"]}}.dump());
  ASSERT_EQ(r1.status, 200) << r1.body;
  json second = json::parse(r1.body);
  EXPECT_EQ(as(second["access_token"], "GET", "/api/v1/users/me").status, 200);
  auto reuse =
      call("POST", "/api/v1/auth/refresh", json{{"refresh_token", first["refresh_token"]}}.dump());
  expect_problem(reuse, 401, "UNAUTHORIZED");
  // The whole session is gone: the newest tokens stop working too.
  expect_problem(as(second["access_token"], "GET", "/api/v1/users/me"), 401, "UNAUTHORIZED");
  expect_problem(
      call("POST", "/api/v1/auth/refresh", json{{"refresh_token", second["refresh_token"]}}.dump()),
      401, "UNAUTHORIZED");
  // An access token is not a refresh token.
  json third = login("carol", "passw0rd-carol");
  expect_problem(
      call("POST", "/api/v1/auth/refresh", json{{"refresh_token", third["access_token"]}}.dump()),
      401, "UNAUTHORIZED");
}

TEST_F(identity_api_test, registration_rules_and_duplicates) {
  auto bad = call("POST", "/api/v1/auth/register",
                  R"({"username":"x","email":"no","password":"short","role":"admin"})");
  expect_problem(bad, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(bad.body)["errors"].size(), 4u);
  register_user("dave");
  auto dup = call("POST", "/api/v1/auth/register",
                  R"({"username":"DAVE","email":"other@example.com","password":"passw0rd1"})");
  expect_problem(dup, 409, "CONFLICT");
  auto dup_mail = call("POST", "/api/v1/auth/register",
                       R"({"username":"dave2","email":"Dave@Example.com","password":"passw0rd1"})");
  expect_problem(dup_mail, 409, "CONFLICT");
}

TEST_F(identity_api_test, sessions_are_listed_and_revoked) {
  register_user("erin");
  std::string a = login("erin", "passw0rd-erin")["access_token"];
  std::string b = login("erin", "passw0rd-erin")["access_token"];
  std::string c = login("erin", "passw0rd-erin")["access_token"];
  auto list = as(a, "GET", "/api/v1/sessions");
  ASSERT_EQ(list.status, 200) << list.body;
  json sessions = json::parse(list.body);
  EXPECT_EQ(sessions["total"], 3);
  std::string current, other;
  for (const auto& s : sessions["items"]) {
    if (s["current"])
      current = s["id"];
    else
      other = s["id"];
    EXPECT_FALSE(s.contains("refresh_jti"));
  }
  ASSERT_FALSE(current.empty());
  // Revoke one other session: exactly one of b and c stops working.
  EXPECT_EQ(as(a, "DELETE", "/api/v1/sessions/" + other).status, 204);
  int alive = (as(b, "GET", "/api/v1/users/me").status == 200) +
              (as(c, "GET", "/api/v1/users/me").status == 200);
  EXPECT_EQ(alive, 1);
  // Someone else's session is not found.
  register_user("frank");
  std::string f = login("frank", "passw0rd-frank")["access_token"];
  expect_problem(as(f, "DELETE", "/api/v1/sessions/" + current), 404, "NOT_FOUND");
  // All but the current one.
  EXPECT_EQ(as(a, "DELETE", "/api/v1/sessions").status, 204);
  EXPECT_EQ(as(b, "GET", "/api/v1/users/me").status, 401);
  EXPECT_EQ(as(c, "GET", "/api/v1/users/me").status, 401);
  EXPECT_EQ(as(a, "GET", "/api/v1/users/me").status, 200);
}

TEST_F(identity_api_test, a_password_change_revokes_every_other_session) {
  register_user("gina");
  std::string keep = login("gina", "passw0rd-gina")["access_token"];
  std::string other = login("gina", "passw0rd-gina")["access_token"];
  auto wrong = as(keep, "POST", "/api/v1/users/me/password",
                  R"({"current_password":"nope-nope-1","new_password":"n3w-password"})");
  expect_problem(wrong, 422, "VALIDATION_ERROR");
  auto weak = as(keep, "POST", "/api/v1/users/me/password",
                 R"({"current_password":"passw0rd-gina","new_password":"short"})");
  expect_problem(weak, 422, "VALIDATION_ERROR");
  EXPECT_EQ(as(keep, "POST", "/api/v1/users/me/password",
               R"({"current_password":"passw0rd-gina","new_password":"n3w-password"})")
                .status,
            204);
  EXPECT_EQ(as(keep, "GET", "/api/v1/users/me").status, 200);
  expect_problem(as(other, "GET", "/api/v1/users/me"), 401, "UNAUTHORIZED");
  expect_problem(
      call("POST", "/api/v1/auth/login", R"({"username":"gina","password":"passw0rd-gina"})"), 401,
      "UNAUTHORIZED");
  login("gina", "n3w-password");
}

TEST_F(identity_api_test, patch_me_changes_profile_fields_only) {
  register_user("hank");
  std::string t = login("hank", "passw0rd-hank")["access_token"];
  auto escalate = as(t, "PATCH", "/api/v1/users/me", R"({"roles":["admin"],"is_active":true})");
  expect_problem(escalate, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(as(t, "GET", "/api/v1/users/me").body)["roles"], json::array({"user"}));
  auto ok =
      call("PATCH", "/api/v1/users/me", R"({"full_name":"Hank Hill","email":"h@example.com"})",
           {{"Authorization", "Bearer " + t}, {"If-Match", "\"1\""}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(header(ok, "ETag"), "\"2\"");
  json u = json::parse(ok.body);
  EXPECT_EQ(u["full_name"], "Hank Hill");
  EXPECT_EQ(u["email"], "h@example.com");
  auto stale = call("PATCH", "/api/v1/users/me", R"({"full_name":"x"})",
                    {{"Authorization", "Bearer " + t}, {"If-Match", "\"1\""}});
  expect_problem(stale, 412, "PRECONDITION_FAILED");
  register_user("ivy");
  expect_problem(as(t, "PATCH", "/api/v1/users/me", R"({"email":"IVY@example.com"})"), 409,
                 "CONFLICT");
}

// ---- failed logins per account (LOGIN_MAX_FAILURES) ----

class login_limit_test : public identity_api_test {
 protected:
  void SetUp() override {
    extra_settings_ = {{"LOGIN_MAX_FAILURES", "3"}};
    identity_api_test::SetUp();
  }
  api_response attempt(const std::string& user, const std::string& password) {
    return call("POST", "/api/v1/auth/login",
                json{{"username", user}, {"password", password}}.dump());
  }
};

TEST_F(login_limit_test, an_account_is_locked_after_its_failures_from_any_address) {
  register_user("victim");
  register_user("bystander");
  for (int i = 0; i < 3; ++i) {
    remote_ip_ = "198.51.100." + std::to_string(10 + i);  // a new address for every guess
    expect_problem(attempt("victim", "guess-no-" + std::to_string(i)), 401, "UNAUTHORIZED");
  }
  remote_ip_ = "198.51.100.99";
  auto locked = attempt("victim", "passw0rd-victim");
  expect_problem(locked, 429, "RATE_LIMITED");
  int retry = std::stoi(header(locked, "Retry-After"));
  EXPECT_GT(retry, 800);
  EXPECT_LE(retry, 900);
  // The username and the email are one account.
  expect_problem(attempt("VICTIM@example.com", "passw0rd-victim"), 429, "RATE_LIMITED");
  login("bystander", "passw0rd-bystander");
  // A name that is no account is throttled alike: a 429 does not tell that an account exists.
  for (int i = 0; i < 3; ++i)
    expect_problem(attempt("ghost", "guess-no-" + std::to_string(i)), 401, "UNAUTHORIZED");
  expect_problem(attempt("ghost", "guess-no-3"), 429, "RATE_LIMITED");
}

TEST_F(login_limit_test, successful_logins_do_not_count) {
  register_user("regular");
  for (int i = 0; i < 5; ++i) login("regular", "passw0rd-regular");
  expect_problem(attempt("regular", "typo-passw0rd"), 401, "UNAUTHORIZED");
  expect_problem(attempt("regular", "typo-passw0rd"), 401, "UNAUTHORIZED");
  login("regular", "passw0rd-regular");
}

TEST_F(identity_api_test, missing_or_garbage_credentials_get_401) {
  // Every route but health, OpenAPI, the console's files and the public auth routes needs
  // credentials.
  for (const auto& [method, pattern] : http::api::endpoints()) {
    if (pattern.find("/auth/register") != std::string::npos ||
        pattern.find("/auth/login") != std::string::npos ||
        pattern.find("/auth/refresh") != std::string::npos || pattern == "/api/v1/live" ||
        pattern == "/api/v1/health" || pattern == "/api/v1/ready" ||
        pattern == "/api/v1/openapi.json" || pattern.rfind("/console", 0) == 0)
      continue;
    std::string path = pattern;
    if (size_t at = path.find("{id}"); at != std::string::npos)
      path.replace(at, 4, "00000000-0000-4000-8000-000000000000");
    std::string body = method == "POST" || method == "PATCH" ? "{}" : "";
    expect_problem(call(method, path, body), 401, "UNAUTHORIZED");
  }
  expect_problem(call("GET", "/api/v1/users/me"), 401, "UNAUTHORIZED");
  expect_problem(as("not-a-token", "GET", "/api/v1/users/me"), 401, "UNAUTHORIZED");
  expect_problem(call("GET", "/api/v1/users/me", "", {{"Authorization", "Basic YTpi"}}), 401,
                 "UNAUTHORIZED");
}

}  // namespace
}  // namespace vutf
