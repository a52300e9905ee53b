// The HTTP API, the conventions of every request: body rules, routing errors, request ids,
// security headers, gzip, rate limits, Idempotency-Key and CORS.
#include <set>

#include "config/instance.hpp"
#include "http/pipeline.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

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
    return http::body_read{};
  };
  expect_problem(api_->handle(r), 413, "PAYLOAD_TOO_LARGE");
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

TEST_F(api_test, every_response_names_the_instance_that_answered) {
  for (const auto& r : {call("GET", "/api/v1/live"), call("GET", "/api/v1/nope")})
    EXPECT_EQ(header(r, "X-Instance-Id"), instance_id());
  EXPECT_FALSE(instance_id().empty());
}

TEST(trace_context, a_w3c_traceparent_gives_its_trace_id_and_anything_else_nothing) {
  const std::string good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(http::trace_id_of(good), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(http::trace_id_of(std::nullopt), std::nullopt);
  for (const std::string& bad :
       {std::string(""), good + "-", good.substr(0, 54), std::string(good).replace(3, 1, "G"),
        std::string(good).replace(3, 1, "A"),                          // upper case
        std::string(good).replace(0, 2, "ff"),                         // invalid version
        std::string(good).replace(0, 2, "01"),                         // unknown version
        std::string(good).replace(3, 32, std::string(32, '0')),        // zero trace id
        std::string(good).replace(36, 16, std::string(16, '0')),       // zero parent id
        std::string(good).replace(35, 1, "_"), std::string(55, '-')})  // framing
    EXPECT_EQ(http::trace_id_of(bad), std::nullopt) << bad;
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

// ---- rate limits ----

class rate_limit_test : public api_test {
 protected:
  void SetUp() override {
    rate_limits_ = true;
    api_test::SetUp();
  }
};

// The response headers http/openapi.json declares for `status` of `method` `pattern` ($refs
// to shared responses and headers resolved).
std::set<std::string> declared_headers(const json& doc, const std::string& pattern,
                                       const std::string& method, int status) {
  auto resolve = [&](const json& node) {
    if (!node.contains("$ref")) return node;
    return doc.at(json::json_pointer(node["$ref"].get<std::string>().substr(1)));
  };
  json response = resolve(doc["paths"][pattern][method]["responses"][std::to_string(status)]);
  json headers = response.value("headers", json::object());
  std::set<std::string> names;
  for (const auto& [name, header] : headers.items()) names.insert(name);
  return names;
}

TEST_F(rate_limit_test, responses_carry_exactly_the_headers_the_openapi_document_declares) {
  json doc = json::parse(call("GET", "/api/v1/openapi.json").body);
  // The headers the document describes; others (CORS, security, Content-*) are not its subject.
  const std::set<std::string> described = {
      "ETag",        "Location",     "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
      "Retry-After", "X-Request-ID", "X-Instance-Id"};
  auto created = call("POST", "/api/v1/targets",
                      R"({"name":"doc","kind":"openai-chat","endpoint_url":"http://a.test/v1"})");
  ASSERT_EQ(created.status, 201);
  std::string id = json::parse(created.body)["id"];
  struct exchange {
    std::string pattern, method;
    api_response r;
  };
  std::vector<exchange> exchanges = {
      {"/api/v1/targets", "post", created},
      {"/api/v1/targets/{id}", "get", call("GET", "/api/v1/targets/" + id)},
      {"/api/v1/targets/{id}", "get",
       call("GET", "/api/v1/targets/00000000-0000-4000-8000-000000000000")},
      {"/api/v1/targets", "get", call("GET", "/api/v1/targets")},
      {"/api/v1/users/me", "get", call("GET", "/api/v1/users/me")},
      {"/api/v1/live", "get", call("GET", "/api/v1/live")}};
  for (const auto& [pattern, method, r] : exchanges) {
    std::set<std::string> declared = declared_headers(doc, pattern, method, r.status);
    EXPECT_FALSE(declared.empty()) << method << " " << pattern << " " << r.status;
    std::set<std::string> sent;
    for (const auto& [name, value] : r.headers)
      if (described.count(name)) sent.insert(name);
    EXPECT_EQ(sent, declared) << method << " " << pattern << " " << r.status;
  }
}

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
  other.read_body = http::body_from(body);
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

// Rate limits behind the documented reverse proxy (TRUSTED_PROXIES).
class proxied_rate_limit_test : public rate_limit_test {
 protected:
  void SetUp() override {
    extra_settings_ = {{"TRUSTED_PROXIES", "10.0.0.0/8"}};
    rate_limit_test::SetUp();
  }
  api_response bad_login(const std::string& user, const std::string& forwarded_for) {
    return call("POST", "/api/v1/auth/login",
                json{{"username", user}, {"password", "wrong-pass-1"}}.dump(),
                {{"X-Forwarded-For", forwarded_for}});
  }
};

TEST_F(proxied_rate_limit_test, clients_behind_a_trusted_proxy_are_limited_one_by_one) {
  remote_ip_ = "10.0.0.2";  // every request arrives from the proxy
  for (int i = 0; i < 6; ++i)
    expect_problem(bad_login("ghost-" + std::to_string(i), "198.51.100." + std::to_string(i)), 401,
                   "UNAUTHORIZED");
  // One client, through two proxies, still has its own limit.
  for (int i = 0; i < 5; ++i)
    expect_problem(bad_login("ghost-x", "203.0.113.9, 10.0.0.7"), 401, "UNAUTHORIZED");
  expect_problem(bad_login("ghost-x", "203.0.113.9, 10.0.0.7"), 429, "RATE_LIMITED");
}

TEST_F(proxied_rate_limit_test, forwarded_for_from_anyone_else_is_ignored) {
  remote_ip_ = "198.51.100.200";  // not a trusted proxy: rotating the header gains nothing
  for (int i = 0; i < 5; ++i)
    expect_problem(bad_login("ghost-" + std::to_string(i), "192.0.2." + std::to_string(i)), 401,
                   "UNAUTHORIZED");
  expect_problem(bad_login("ghost-5", "192.0.2.5"), 429, "RATE_LIMITED");
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

}  // namespace
}  // namespace vutf
