// The HTTP API without sockets: an in-process service on SQLite and api::handle().
#include "http/api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "http/gzip.hpp"
#include "metrics/metrics.hpp"
#include "storage/user_store.hpp"
#include "tests/support/support.hpp"
#include "domain/ids.hpp"
#include "domain/crypto.hpp"
#include "config/time.hpp"

namespace vutf {
namespace {

using http::api_request;
using http::api_response;
using nlohmann::json;

class api_test : public ::testing::Test {
 protected:
  void SetUp() override {
    log::configure("error", "json");
    char tmpl[] = "/tmp/vutf-api.XXXXXX";
    dir_ = mkdtemp(tmpl);
    cfg_ = test::make_settings(
        {{"DATABASE_URL", "sqlite:///" + dir_ + "/app.db"},
         {"ADMIN_USERNAME", "root"},
         {"ADMIN_EMAIL", "root@example.com"},
         {"ADMIN_PASSWORD", "r00t-password"},
         {"RATE_LIMIT_ENABLED", rate_limits_ ? "true" : "false"},
         {"ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000"}});
    metrics_ = std::make_shared<metrics>();
    svc_ = std::make_unique<service>(cfg_, metrics_);
    api_ = std::make_unique<http::api>(*svc_, *metrics_, cfg_);
    token_ = token_for("owner");
  }

  // Registers `name` (through the service) and returns an access token.
  std::string token_for(const std::string& name) {
    std::string password = "passw0rd-" + name;
    if (name != "root")
      svc_->ask(
          user_register{name, name + "@example.com", password, std::nullopt, svc_->deadline()});
    auto t = svc_->ask(
        user_login{name, name == "root" ? "r00t-password" : password, {}, svc_->deadline()});
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error->detail);
    return t.value.access_token;
  }
  void TearDown() override {
    api_.reset();
    svc_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }

  api_response call(const std::string& method, const std::string& path,
                    const std::string& body = "", http::header_list headers = {},
                    http::header_list query = {}) {
    api_request r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    r.headers = std::move(headers);
    bool authorized = false;
    for (const auto& [k, v] : r.headers) authorized = authorized || k == "Authorization";
    if (!authorized && !token_.empty()) r.headers.emplace_back("Authorization", "Bearer " + token_);
    if (!body.empty() || method == "POST" || method == "PATCH") {
      bool typed = false, sized = false;
      for (const auto& [k, v] : r.headers) {
        typed = typed || k == "Content-Type";
        sized = sized || k == "Content-Length" || k == "Transfer-Encoding";
      }
      if (!typed) r.headers.emplace_back("Content-Type", "application/json");
      if (!sized) r.headers.emplace_back("Content-Length", std::to_string(body.size()));
    }
    r.read_body = [body](size_t limit) -> std::optional<std::string> {
      if (body.size() > limit) return std::nullopt;
      return body;
    };
    return api_->handle(r);
  }

  static std::string header(const api_response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  json create(const json& body) {
    auto r = call("POST", "/api/v1/targets", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }

  static json target_body(const std::string& name) {
    return {{"name", name},
            {"kind", "openai-chat"},
            {"endpoint_url", "http://127.0.0.1:9/v1/chat/completions"},
            {"model", "m"},
            {"headers", {{"Authorization", "Bearer secret-value"}}}};
  }

  static void expect_problem(const api_response& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json; charset=utf-8");
    json p = json::parse(r.body);
    EXPECT_EQ(p["status"], status);
    EXPECT_EQ(p["error_code"], code);
    for (const char* key : {"type", "title", "detail", "instance", "request_id"})
      EXPECT_TRUE(p.contains(key)) << key;
    EXPECT_EQ(p["request_id"], header(r, "X-Request-ID"));
  }

  std::string dir_;
  std::string token_;         // sent as the bearer token of call() unless a test gives its own
  bool rate_limits_ = false;  // most tests make more requests than the limits allow
  settings cfg_;
  std::shared_ptr<metrics> metrics_;
  std::unique_ptr<service> svc_;
  std::unique_ptr<http::api> api_;
};

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

TEST_F(api_test, targets_round_trip_and_headers_are_write_only) {
  json created = create(target_body("alpha"));
  std::string id = created["id"];
  EXPECT_EQ(created["version"], 1);
  EXPECT_FALSE(created.contains("headers"));
  auto got = call("GET", "/api/v1/targets/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(header(got, "ETag"), "\"1\"");
  EXPECT_EQ(got.body.find("secret-value"), std::string::npos);
  EXPECT_EQ(json::parse(got.body), created);

  auto patched =
      call("PATCH", "/api/v1/targets/" + id, R"({"description":"d"})", {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body)["version"], 2);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/targets/" + id).body)["description"], "d");
  expect_problem(
      call("PATCH", "/api/v1/targets/" + id, R"({"description":"e"})", {{"If-Match", "\"1\""}}),
      412, "PRECONDITION_FAILED");

  EXPECT_EQ(call("DELETE", "/api/v1/targets/" + id).status, 204);
  expect_problem(call("GET", "/api/v1/targets/" + id), 404, "NOT_FOUND");
  // A deleted name can be used again.
  create(target_body("alpha"));
}

TEST_F(api_test, targets_belong_to_their_owner_and_admins_see_all) {
  std::string mine = create(target_body("mine"))["id"];
  std::string other = token_for("intruder");
  auto as_other = [&](const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return call(method, path, body, {{"Authorization", "Bearer " + other}});
  };
  expect_problem(as_other("GET", "/api/v1/targets/" + mine), 404, "NOT_FOUND");
  expect_problem(as_other("PATCH", "/api/v1/targets/" + mine, R"({"name":"stolen"})"), 404,
                 "NOT_FOUND");
  expect_problem(as_other("DELETE", "/api/v1/targets/" + mine), 404, "NOT_FOUND");
  EXPECT_EQ(json::parse(as_other("GET", "/api/v1/targets").body)["total"], 0);
  // Names are unique per owner: the other user may use the same name.
  EXPECT_EQ(as_other("POST", "/api/v1/targets", target_body("mine").dump()).status, 201);

  std::string root = token_for("root");
  auto as_root = [&](const std::string& method, const std::string& path) {
    return call(method, path, "", {{"Authorization", "Bearer " + root}});
  };
  EXPECT_EQ(as_root("GET", "/api/v1/targets/" + mine).status, 200);
  EXPECT_EQ(json::parse(as_root("GET", "/api/v1/targets").body)["total"], 2);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/targets").body)["total"], 1);
}

TEST_F(api_test, targets_need_credentials) {
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/targets"},
           {"GET", "/api/v1/targets/00000000-0000-4000-8000-000000000000"},
           {"DELETE", "/api/v1/targets/00000000-0000-4000-8000-000000000000"}}) {
    auto r = call(method, path, "", {{"Authorization", "Bearer forged"}});
    expect_problem(r, 401, "UNAUTHORIZED");
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
  }
  expect_problem(call("POST", "/api/v1/targets", target_body("x").dump(),
                      {{"Authorization", "Bearer forged"}}),
                 401, "UNAUTHORIZED");
}

TEST_F(api_test, duplicate_names_conflict) {
  create(target_body("same"));
  auto r = call("POST", "/api/v1/targets", target_body("same").dump());
  expect_problem(r, 409, "CONFLICT");
}

TEST_F(api_test, every_bad_field_is_listed) {
  auto r = call("POST", "/api/v1/targets",
                R"({"name":"","kind":"smtp","endpoint_url":"ftp://x","timeout_seconds":"10",
                    "max_concurrency":65,"colour":"red"})");
  expect_problem(r, 422, "VALIDATION_ERROR");
  std::set<std::string> fields;
  json problem = json::parse(r.body);
  for (const auto& e : problem["errors"]) fields.insert(e["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "kind", "endpoint_url", "timeout_seconds",
                                           "max_concurrency", "colour"}));
}

TEST_F(api_test, http_json_targets_need_a_template_and_a_path) {
  auto r = call("POST", "/api/v1/targets",
                R"({"name":"h","kind":"http-json","endpoint_url":"https://x.test/a"})");
  expect_problem(r, 422, "VALIDATION_ERROR");
  json ok = {{"name", "h"},
             {"kind", "http-json"},
             {"endpoint_url", "https://x.test/a"},
             {"request_template", {{"input", "{{prompt}}"}}},
             {"response_path", "output.text"}};
  json created = create(ok);
  EXPECT_EQ(created["request_template"], ok["request_template"]);
}

TEST_F(api_test, body_conventions) {
  expect_problem(call("POST", "/api/v1/targets", "{", {}), 400, "BAD_REQUEST");
  expect_problem(call("POST", "/api/v1/targets", "[1]", {}), 422, "VALIDATION_ERROR");
  expect_problem(call("POST", "/api/v1/targets", "x", {{"Content-Type", "text/plain"}}), 415,
                 "UNSUPPORTED_MEDIA_TYPE");
  api_request no_length;
  no_length.method = "POST";
  no_length.path = "/api/v1/targets";
  no_length.headers = {{"Content-Type", "application/json"}};
  expect_problem(api_->handle(no_length), 411, "LENGTH_REQUIRED");
  std::string deep(100, '[');
  expect_problem(call("POST", "/api/v1/targets", deep), 400, "BAD_REQUEST");
}

TEST_F(api_test, oversized_bodies_are_refused_without_reading_them) {
  bool read = false;
  api_request r;
  r.method = "POST";
  r.path = "/api/v1/targets";
  r.headers = {{"Content-Type", "application/json"},
               {"Content-Length", std::to_string(cfg_.max_request_size + 1)}};
  r.read_body = [&](size_t) {
    read = true;
    return std::optional<std::string>();
  };
  auto res = api_->handle(r);
  expect_problem(res, 413, "PAYLOAD_TOO_LARGE");
  EXPECT_TRUE(res.close_connection);
  EXPECT_FALSE(read);
}

TEST_F(api_test, routing_errors_are_problems) {
  expect_problem(call("GET", "/api/v1/nope"), 404, "NOT_FOUND");
  expect_problem(call("GET", "/api/v1/targets/not-a-uuid"), 404, "NOT_FOUND");
  auto r = call("PUT", "/api/v1/targets/00000000-0000-4000-8000-000000000000", "{}");
  expect_problem(r, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(header(r, "Allow"), "GET, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(r.route, "/api/v1/targets/{id}");
}

TEST_F(api_test, request_ids_are_kept_when_valid_and_replaced_otherwise) {
  EXPECT_EQ(
      header(call("GET", "/api/v1/live", "", {{"X-Request-ID", "abc-1.2_3"}}), "X-Request-ID"),
      "abc-1.2_3");
  std::string made =
      header(call("GET", "/api/v1/live", "", {{"X-Request-ID", "bad id!"}}), "X-Request-ID");
  EXPECT_TRUE(is_uuid(made)) << made;
  made = header(call("GET", "/api/v1/live", "", {{"X-Request-ID", std::string(129, 'a')}}),
                "X-Request-ID");
  EXPECT_TRUE(is_uuid(made)) << made;
}

TEST_F(api_test, security_headers_on_every_response) {
  for (const auto& r : {call("GET", "/api/v1/live"), call("GET", "/api/v1/nope")}) {
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
    EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(header(r, "Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'");
    EXPECT_EQ(header(r, "Strict-Transport-Security"), "");  // development
  }
}

TEST_F(api_test, gzip_exactly_from_gzip_min_size) {
  ASSERT_EQ(cfg_.gzip_min_size, 1000);
  // Pad two targets' descriptions so their JSON is exactly 999 and 1000 bytes.
  json probe = target_body("gz-0000");
  probe["description"] = "";
  std::string id = create(probe)["id"];
  size_t base = call("GET", "/api/v1/targets/" + id).body.size();
  ASSERT_LT(base, 999u);
  for (size_t size : {999u, 1000u}) {
    json body = target_body(size == 999 ? "gz-0999" : "gz-1000");  // as long as the probe's
    body["description"] = std::string(size - base, 'x');
    std::string path = "/api/v1/targets/" + create(body)["id"].get<std::string>();
    ASSERT_EQ(call("GET", path).body.size(), size);
    auto r = call("GET", path, "", {{"Accept-Encoding", "gzip, deflate"}});
    EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
    EXPECT_EQ(header(r, "Content-Encoding"), size == 1000 ? "gzip" : "") << size;
    if (size == 1000) {
      EXPECT_EQ(r.body.substr(0, 2), std::string("\x1f\x8b"));
      EXPECT_LT(r.body.size(), size);
    }
  }
}

TEST_F(api_test, lists_paginate_sort_and_filter) {
  for (int i = 0; i < 25; ++i) create(target_body("t" + std::to_string(100 + i)));
  json page = json::parse(
      call("GET", "/api/v1/targets", "", {}, {{"page", "2"}, {"per_page", "10"}, {"sort", "name"}})
          .body);
  EXPECT_EQ(page["total"], 25);
  EXPECT_EQ(page["pages"], 3);
  EXPECT_EQ(page["page"], 2);
  ASSERT_EQ(page["items"].size(), 10u);
  EXPECT_EQ(page["items"][0]["name"], "t110");
  json desc = json::parse(call("GET", "/api/v1/targets", "", {}, {{"sort", "-name"}}).body);
  EXPECT_EQ(desc["items"][0]["name"], "t124");
  EXPECT_EQ(desc["per_page"], 20);
  json q = json::parse(call("GET", "/api/v1/targets", "", {}, {{"q", "T12"}}).body);
  EXPECT_EQ(q["total"], 5);
  // A write is visible to the next list (versioned cache keys).
  create(target_body("t999"));
  EXPECT_EQ(json::parse(call("GET", "/api/v1/targets", "", {}, {{"q", "t999"}}).body)["total"], 1);
  auto bad = call("GET", "/api/v1/targets", "", {},
                  {{"per_page", "101"}, {"sort", "secret"}, {"pgae", "1"}, {"page", "0"}});
  expect_problem(bad, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(bad.body)["errors"].size(), 4u);
}

TEST_F(api_test, sql_metacharacters_in_every_search_and_sort_parameter_are_inert) {
  const std::string nasty = "x' OR '1'='1'; DROP TABLE users; -- %_\\";
  // Sort keys come from a whitelist: anything else is a 422, never SQL.
  expect_problem(call("GET", "/api/v1/targets", "", {}, {{"sort", "name; DROP TABLE targets"}}),
                 422, "VALIDATION_ERROR");
  std::string root = token_for("root");
  http::header_list admin = {{"Authorization", "Bearer " + root}};
  expect_problem(call("GET", "/api/v1/users", "", admin, {{"sort", "id DESC--"}}), 422,
                 "VALIDATION_ERROR");
  for (const char* key : {"q", "kind"}) {
    auto r = call("GET", "/api/v1/targets", "", {}, {{key, nasty}});
    EXPECT_TRUE(r.status == 200 || r.status == 422) << key << ": " << r.status;
  }
  EXPECT_EQ(json::parse(call("GET", "/api/v1/users", "", admin, {{"q", nasty}}).body)["total"], 0);
  for (const char* key : {"actor_id", "action", "resource_type", "resource_id"})
    EXPECT_EQ(call("GET", "/api/v1/audit-logs", "", admin, {{key, nasty}}).status, 200) << key;
  // Stored and returned verbatim in every free-text field.
  json body = target_body(nasty.substr(0, 100));
  body["description"] = nasty;
  body["model"] = nasty;
  body["response_path"] = nullptr;
  json created = create(body);
  json got = json::parse(call("GET", "/api/v1/targets/" + created["id"].get<std::string>()).body);
  EXPECT_EQ(got["description"], nasty);
  EXPECT_EQ(got["model"], nasty);
  EXPECT_EQ(json::parse(
                call("GET", "/api/v1/targets", "", {}, {{"q", "DROP TABLE users"}}).body)["total"],
            1);
  auto profile = call("PATCH", "/api/v1/users/me", json{{"full_name", nasty}}.dump());
  EXPECT_EQ(json::parse(profile.body)["full_name"], nasty);
  auto key = call("POST", "/api/v1/api-keys", json{{"name", nasty}, {"scopes", {"read"}}}.dump());
  EXPECT_EQ(json::parse(key.body)["name"], nasty);
  EXPECT_EQ(call("GET", "/api/v1/users/me").status, 200);  // the tables are all still there
}

TEST_F(api_test, sql_metacharacters_are_plain_text) {
  json body = target_body("x'; DROP TABLE targets; --");
  body["description"] = "100% _real_ \\ \"quoted\"";
  json created = create(body);
  json got = json::parse(call("GET", "/api/v1/targets/" + created["id"].get<std::string>()).body);
  EXPECT_EQ(got["name"], body["name"]);
  EXPECT_EQ(got["description"], body["description"]);
  json found = json::parse(call("GET", "/api/v1/targets", "", {}, {{"q", "100%"}}).body);
  EXPECT_EQ(found["total"], 1);
  json none = json::parse(call("GET", "/api/v1/targets", "", {}, {{"q", "%"}}).body);
  EXPECT_EQ(none["total"], 1);  // '%' is a literal character, not a wildcard
}

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

TEST_F(identity_api_test, missing_or_garbage_credentials_get_401) {
  // Every route but health, OpenAPI and the public auth routes needs credentials.
  for (const auto& [method, pattern] : http::api::endpoints()) {
    if (pattern.find("/auth/register") != std::string::npos ||
        pattern.find("/auth/login") != std::string::npos ||
        pattern.find("/auth/refresh") != std::string::npos || pattern == "/api/v1/live" ||
        pattern == "/api/v1/health" || pattern == "/api/v1/ready" ||
        pattern == "/api/v1/openapi.json")
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

// ---- rate limits ----

class rate_limit_test : public api_test {
 protected:
  void SetUp() override {
    rate_limits_ = true;
    api_test::SetUp();
  }
};

TEST_F(rate_limit_test, login_is_limited_to_5_per_minute_per_address_with_headers) {
  api_response last;
  for (int i = 0; i < 5; ++i) {
    last = call("POST", "/api/v1/auth/login", R"({"username":"owner","password":"wrong-pass-1"})");
    EXPECT_EQ(last.status, 401);
  }
  // token_for("owner") in SetUp was the first login of this window.
  EXPECT_EQ(header(last, "RateLimit-Limit"), "5");
  EXPECT_EQ(header(last, "RateLimit-Remaining"), "0");
  auto over =
      call("POST", "/api/v1/auth/login", R"({"username":"owner","password":"passw0rd-owner"})");
  expect_problem(over, 429, "RATE_LIMITED");
  int reset = std::stoi(header(over, "RateLimit-Reset"));
  EXPECT_GE(reset, 1);
  EXPECT_LE(reset, 60);
  EXPECT_EQ(header(over, "Retry-After"), header(over, "RateLimit-Reset"));
  // Another address has its own window.
  api_request other;
  other.method = "POST";
  other.path = "/api/v1/auth/login";
  other.remote_ip = "198.51.100.7";
  std::string body = R"({"username":"owner","password":"passw0rd-owner"})";
  other.headers = {{"Content-Type", "application/json"},
                   {"Content-Length", std::to_string(body.size())}};
  other.read_body = [body](size_t) { return std::optional<std::string>(body); };
  EXPECT_EQ(api_->handle(other).status, 200);
  // Health routes are never limited.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(call("GET", "/api/v1/live").status, 200);
  EXPECT_EQ(header(call("GET", "/api/v1/live"), "RateLimit-Limit"), "");
}

TEST_F(rate_limit_test, callers_are_counted_as_themselves_under_the_default_limit) {
  int limit = static_cast<int>(cfg_.rate_limit_per_minute);
  api_response r;
  for (int i = 0; i < limit; ++i) r = call("GET", "/api/v1/targets");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "RateLimit-Remaining"), "0");
  expect_problem(call("GET", "/api/v1/targets"), 429, "RATE_LIMITED");
  // Another user is not affected.
  std::string other = token_for("other");
  EXPECT_EQ(call("GET", "/api/v1/targets", "", {{"Authorization", "Bearer " + other}}).status, 200);
}

// ---- idempotency ----

TEST_F(api_test, idempotent_posts_are_replayed_for_the_same_caller) {
  std::string body = target_body("once").dump();
  auto first = call("POST", "/api/v1/targets", body, {{"Idempotency-Key", "create-once-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(header(first, "Idempotent-Replayed"), "");
  auto again = call("POST", "/api/v1/targets", body, {{"Idempotency-Key", "create-once-1"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(header(again, "Location"), header(first, "Location"));
  EXPECT_EQ(json::parse(call("GET", "/api/v1/targets").body)["total"], 1);

  auto other_body = call("POST", "/api/v1/targets", target_body("twice").dump(),
                         {{"Idempotency-Key", "create-once-1"}});
  expect_problem(other_body, 422, "IDEMPOTENCY_KEY_REUSED");

  // Another caller's key space is its own.
  std::string other = token_for("neighbour");
  auto theirs = call("POST", "/api/v1/targets", body,
                     {{"Idempotency-Key", "create-once-1"}, {"Authorization", "Bearer " + other}});
  EXPECT_EQ(theirs.status, 201);
  EXPECT_EQ(header(theirs, "Idempotent-Replayed"), "");

  expect_problem(
      call("POST", "/api/v1/targets", body, {{"Idempotency-Key", std::string(256, 'k')}}), 422,
      "VALIDATION_ERROR");
}

TEST_F(api_test, failed_attempts_are_not_kept_and_secrets_are_never_replayed) {
  // A 4xx is the answer to keep; a retry gets the same one.
  auto bad = call("POST", "/api/v1/targets", R"({"name":""})", {{"Idempotency-Key", "k-bad"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(
      header(call("POST", "/api/v1/targets", R"({"name":""})", {{"Idempotency-Key", "k-bad"}}),
             "Idempotent-Replayed"),
      "true");
  // Login ignores the header: every login opens a new session with new tokens.
  std::string login = R"({"username":"owner","password":"passw0rd-owner"})";
  auto a = call("POST", "/api/v1/auth/login", login, {{"Idempotency-Key", "login-1"}});
  auto b = call("POST", "/api/v1/auth/login", login, {{"Idempotency-Key", "login-1"}});
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_NE(json::parse(a.body)["access_token"], json::parse(b.body)["access_token"]);
  EXPECT_EQ(header(b, "Idempotent-Replayed"), "");
}

// ---- audit trail ----

std::string drain(const api_response& r) {
  std::string all, chunk;
  http::stream_step step;
  do {
    step = r.stream(chunk);
    EXPECT_NE(step, http::stream_step::failed);
    all += chunk;
  } while (step == http::stream_step::more);
  return all;
}

TEST(paged_stream, head_pages_then_tail_and_failure_is_reported) {
  int pages = 0;
  auto three = http::paged_stream(
      "head|",
      [&](std::string& out) -> std::optional<bool> {
        out += "page" + std::to_string(++pages) + "|";
        return pages < 3;
      },
      [] { return std::string("tail"); });
  std::string chunk;
  EXPECT_EQ(three(chunk), http::stream_step::more);
  EXPECT_EQ(chunk, "head|page1|");
  EXPECT_EQ(three(chunk), http::stream_step::more);
  EXPECT_EQ(chunk, "page2|");
  EXPECT_EQ(three(chunk), http::stream_step::last);
  EXPECT_EQ(chunk, "page3|tail");
  auto broken = http::paged_stream(
      "head", [](std::string&) -> std::optional<bool> { return std::nullopt; },
      [] { return std::string("tail"); });
  EXPECT_EQ(broken(chunk), http::stream_step::failed);
}

TEST_F(api_test, state_changes_and_auth_events_are_audited_for_admins) {
  std::string id = create(target_body("audited"))["id"];
  call("GET", "/api/v1/targets/" + id);  // reads are not audited
  call("DELETE", "/api/v1/targets/" + id, "", {{"X-Request-ID", "delete-req-1"}});
  call("POST", "/api/v1/auth/login", R"({"username":"owner","password":"wrong-pass-1"})");
  std::string root = token_for("root");
  http::header_list admin = {{"Authorization", "Bearer " + root}};

  json page;
  ASSERT_TRUE(test::eventually([&] {
    page = json::parse(
        call("GET", "/api/v1/audit-logs", "", admin, {{"resource_type", "target"}}).body);
    return page["total"] == 2;
  })) << page.dump();
  json deleted = page["items"][0];  // newest first
  EXPECT_EQ(deleted["action"], "target.delete");
  EXPECT_EQ(deleted["resource_id"], id);
  EXPECT_EQ(deleted["request_id"], "delete-req-1");
  EXPECT_EQ(deleted["outcome"], "success");
  EXPECT_EQ(deleted["status_code"], 204);
  EXPECT_EQ(deleted["actor_type"], "user");
  EXPECT_EQ(page["items"][1]["action"], "target.create");
  EXPECT_EQ(page["items"][1]["resource_id"], id);

  ASSERT_TRUE(test::eventually([&] {
    json failed = json::parse(call("GET", "/api/v1/audit-logs", "", admin,
                                   {{"action", "auth.login"}, {"outcome", "failure"}})
                                  .body);
    return failed["total"] == 1 && failed["items"][0]["actor_type"] == "anonymous";
  }));
  std::string record = deleted["id"];
  EXPECT_EQ(json::parse(call("GET", "/api/v1/audit-logs/" + record, "", admin).body)["action"],
            "target.delete");

  json stats = json::parse(call("GET", "/api/v1/audit-logs/stats", "", admin).body);
  EXPECT_EQ(stats["total"], 3);  // create, delete, failed login (the fixture logs in in-process)
  EXPECT_EQ(stats["by_action"]["target.create"], 1);
  EXPECT_GE(stats["by_outcome"]["failure"], 1);
  ASSERT_EQ(stats["by_day"].size(), 1u);
  EXPECT_EQ(stats["by_day"][0]["date"], format_timestamp(now_ms()).substr(0, 10));

  // Admins only.
  expect_problem(call("GET", "/api/v1/audit-logs"), 403, "FORBIDDEN");
  expect_problem(call("GET", "/api/v1/audit-logs/export"), 403, "FORBIDDEN");
  expect_problem(call("GET", "/api/v1/audit-logs", "", admin, {{"since", "yesterday"}}), 422,
                 "VALIDATION_ERROR");
}

TEST_F(api_test, audit_exports_stream_csv_and_ndjson) {
  for (int i = 0; i < 3; ++i) create(target_body("export-" + std::to_string(i)));
  std::string root = token_for("root");
  http::header_list admin = {{"Authorization", "Bearer " + root}};
  ASSERT_TRUE(test::eventually([&] {
    return json::parse(call("GET", "/api/v1/audit-logs", "", admin, {{"action", "target.create"}})
                           .body)["total"] == 3;
  }));
  auto csv = call("GET", "/api/v1/audit-logs/export", "", admin, {{"format", "csv"}});
  ASSERT_EQ(csv.status, 200) << csv.body;
  ASSERT_TRUE(csv.stream);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  std::string text = drain(csv);
  EXPECT_EQ(text.rfind("id,timestamp,request_id,", 0), 0u);
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_GE(lines, 1u + 3u);
  auto nd = call("GET", "/api/v1/audit-logs/export", "", admin,
                 {{"format", "ndjson"}, {"since", "2000-01-01T00:00:00.000Z"}});
  std::string body = drain(nd);
  std::stringstream in(body);
  std::string line;
  int creates = 0;
  while (std::getline(in, line)) creates += json::parse(line)["action"] == "target.create";
  EXPECT_EQ(creates, 3);
  auto none = call("GET", "/api/v1/audit-logs/export", "", admin,
                   {{"format", "ndjson"}, {"until", "2000-01-01T00:00:00Z"}});
  EXPECT_EQ(drain(none), "");
}

TEST_F(api_test, probe_sets_are_listed_for_authenticated_callers) {
  auto r = call("GET", "/api/v1/probes");
  ASSERT_EQ(r.status, 200) << r.body;
  json page = json::parse(r.body);
  EXPECT_EQ(page["total"], 5);
  for (const auto& p : page["items"]) {
    EXPECT_GE(p["prompts"].size(), 10u) << p["id"];
    EXPECT_TRUE(p["detector"].contains("type"));
  }
  EXPECT_EQ(
      json::parse(call("GET", "/api/v1/probes", "", {}, {{"per_page", "2"}}).body)["items"].size(),
      2u);
  expect_problem(call("GET", "/api/v1/probes", "", {{"Authorization", ""}}), 401, "UNAUTHORIZED");
}

TEST_F(api_test, the_openapi_document_describes_every_route) {
  auto r = call("GET", "/api/v1/openapi.json", "", {{"Authorization", ""}});
  ASSERT_EQ(r.status, 200);
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
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

// ---- CORS ----

TEST_F(api_test, cors_answers_preflights_for_allowed_origins_only) {
  auto pre = call("OPTIONS", "/api/v1/targets", "",
                  {{"Origin", "https://app.example.com"},
                   {"Access-Control-Request-Method", "POST"},
                   {"Authorization", ""}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(header(pre, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(header(pre, "Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  EXPECT_NE(header(pre, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  auto simple = call("GET", "/api/v1/targets", "", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(header(simple, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_NE(header(simple, "Access-Control-Expose-Headers").find("ETag"), std::string::npos);
  auto evil = call("OPTIONS", "/api/v1/targets", "",
                   {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(header(evil, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(header(evil, "Vary"), "Origin");
}

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

// ---- API keys ----

TEST_F(api_test, api_keys_are_shown_once_and_authenticate) {
  auto created = call("POST", "/api/v1/api-keys", R"({"name":"ci","scopes":["read","write"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  json k = json::parse(created.body);
  std::string key = k["key"];
  EXPECT_EQ(key.rfind("vutf_", 0), 0u);
  EXPECT_GE(key.size(), 5u + 43u);  // 256 bits of base64url
  EXPECT_EQ(k["prefix"], key.substr(0, 12));
  EXPECT_TRUE(k["expires_at"].is_null());
  auto list = call("GET", "/api/v1/api-keys");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key), std::string::npos) << "the key is shown only once";
  EXPECT_EQ(json::parse(list.body)["total"], 1);

  auto with_key = [&](const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return call(method, path, body, {{"X-API-Key", key}, {"Authorization", ""}});
  };
  EXPECT_EQ(json::parse(with_key("GET", "/api/v1/users/me").body)["username"], "owner");
  EXPECT_EQ(with_key("POST", "/api/v1/targets", target_body("by-key").dump()).status, 201);
  expect_problem(call("POST", "/api/v1/api-keys", R"({"name":"ci","scopes":["read"]})"), 409,
                 "CONFLICT");
}

TEST_F(api_test, a_read_only_key_cannot_write) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"ro","scopes":["read"]})").body);
  http::header_list h = {{"X-API-Key", k["key"]}, {"Authorization", ""}};
  EXPECT_EQ(call("GET", "/api/v1/targets", "", h).status, 200);
  expect_problem(call("POST", "/api/v1/targets", target_body("nope").dump(), h), 403, "FORBIDDEN");
  expect_problem(call("DELETE", "/api/v1/targets/00000000-0000-4000-8000-000000000000", "", h), 403,
                 "FORBIDDEN");
}

TEST_F(api_test, revoked_rotated_and_expired_keys_stop_working_at_once) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"r","scopes":["read"]})").body);
  http::header_list h = {{"X-API-Key", k["key"]}, {"Authorization", ""}};
  ASSERT_EQ(call("GET", "/api/v1/users/me", "", h).status, 200);  // now cached as valid
  auto rotated = call("POST", "/api/v1/api-keys/" + k["id"].get<std::string>() + "/rotate");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  json next = json::parse(rotated.body);
  EXPECT_NE(next["key"], k["key"]);
  EXPECT_EQ(next["name"], "r");
  expect_problem(call("GET", "/api/v1/users/me", "", h), 401, "UNAUTHORIZED");
  http::header_list h2 = {{"X-API-Key", next["key"]}, {"Authorization", ""}};
  ASSERT_EQ(call("GET", "/api/v1/users/me", "", h2).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/api-keys/" + next["id"].get<std::string>()).status, 204);
  expect_problem(call("GET", "/api/v1/users/me", "", h2), 401, "UNAUTHORIZED");
  expect_problem(call("DELETE", "/api/v1/api-keys/" + next["id"].get<std::string>()), 404,
                 "NOT_FOUND");

  // An expired key (written straight into the database) is refused.
  std::string expired = identity::make_api_key();
  auto conn = storage::connect(storage::parse_database_url(cfg_.database_url), {});
  conn->transact(storage::access::write, clock::now() + std::chrono::seconds(5),
                 [&](storage::session& s) {
                   api_key old;
                   old.id = make_uuid();
                   old.user_id = json::parse(call("GET", "/api/v1/users/me").body)["id"];
                   old.name = "expired";
                   old.prefix = expired.substr(0, 12);
                   old.key_hash = identity::sha256_hex(expired);
                   old.scopes = {"read"};
                   old.created_at_ms = now_ms() - 10'000;
                   old.expires_at_ms = now_ms() - 1'000;
                   storage::insert_api_key(s, old);
                 });
  expect_problem(
      call("GET", "/api/v1/users/me", "", {{"X-API-Key", expired}, {"Authorization", ""}}), 401,
      "UNAUTHORIZED");
}

TEST_F(api_test, last_used_at_is_recorded_off_the_request_path) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"u","scopes":["read"]})").body);
  EXPECT_TRUE(k["last_used_at"].is_null());
  ASSERT_EQ(
      call("GET", "/api/v1/targets", "", {{"X-API-Key", k["key"]}, {"Authorization", ""}}).status,
      200);
  EXPECT_TRUE(test::eventually(
      [&] {
        json list = json::parse(call("GET", "/api/v1/api-keys").body);
        return !list["items"][0]["last_used_at"].is_null();
      },
      std::chrono::seconds(15)));
}

TEST_F(api_test, api_key_requests_are_validated) {
  auto bad = call("POST", "/api/v1/api-keys",
                  R"({"name":"","scopes":["admin"],"expires_in_days":0,"extra":1})");
  expect_problem(bad, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(bad.body)["errors"].size(), 4u);
  json k = json::parse(
      call("POST", "/api/v1/api-keys", R"({"name":"exp","scopes":["write"],"expires_in_days":30})")
          .body);
  EXPECT_FALSE(k["expires_at"].is_null());
}

}  // namespace
}  // namespace vutf
