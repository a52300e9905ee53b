// The HTTP API: the audit trail and its streamed exports.
#include <set>

#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

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

// Behind the documented reverse proxy, so the records also show which address they name.
class proxied_audit_test : public api_test {
 protected:
  void SetUp() override {
    extra_settings_ = {{"TRUSTED_PROXIES", "10.0.0.0/8"}};
    api_test::SetUp();
  }
};

TEST_F(proxied_audit_test, logins_and_new_keys_name_their_actor_resource_and_client) {
  remote_ip_ = "10.0.0.2";  // the proxy
  http::header_list client = {{"X-Forwarded-For", "192.0.2.44"}};
  auto login = call("POST", "/api/v1/auth/login",
                    R"({"username":"owner","password":"passw0rd-owner"})", client);
  ASSERT_EQ(login.status, 200) << login.body;
  std::string owner = json::parse(call("GET", "/api/v1/users/me").body)["id"];
  auto key = call("POST", "/api/v1/api-keys", R"({"name":"audited","scopes":["read"]})", client);
  ASSERT_EQ(key.status, 201) << key.body;
  std::string key_id = json::parse(key.body)["id"];
  EXPECT_EQ(header(key, "Location"), "/api/v1/api-keys/" + key_id);

  http::header_list admin = {{"Authorization", "Bearer " + token_for("root")}};
  auto only = [&](const std::string& action) {
    json page;
    EXPECT_TRUE(test::eventually([&] {
      page = json::parse(
          call("GET", "/api/v1/audit-logs", "", admin, {{"action", action}, {"outcome", "success"}})
              .body);
      return page["total"] == 1;
    })) << action;
    return page["items"][0];
  };
  json logged_in = only("auth.login");
  EXPECT_EQ(logged_in["actor_type"], "user");
  EXPECT_EQ(logged_in["actor_id"], owner);
  EXPECT_EQ(logged_in["ip"], "192.0.2.44");
  json created = only("api_key.create");
  EXPECT_EQ(created["resource_id"], key_id);
  EXPECT_EQ(created["actor_id"], owner);
  EXPECT_EQ(created["ip"], "192.0.2.44");

  // The session opened through the proxy records the client's address too.
  std::string access = json::parse(login.body)["access_token"];
  json sessions = json::parse(
      call("GET", "/api/v1/sessions", "", {{"Authorization", "Bearer " + access}}).body);
  bool seen = false;
  for (const auto& s : sessions["items"]) seen = seen || (s["current"] && s["ip"] == "192.0.2.44");
  EXPECT_TRUE(seen) << sessions.dump();
}

TEST_F(api_test, audit_filters_take_only_ids_and_known_values) {
  std::string root = token_for("root");
  http::header_list admin = {{"Authorization", "Bearer " + root}};
  auto bad = call("GET", "/api/v1/audit-logs", "", admin,
                  {{"actor_id", "' OR 1=1 --"},
                   {"action", "target.create' --"},
                   {"resource_type", "targets"},
                   {"resource_id", "x"},
                   {"outcome", "maybe"}});
  expect_problem(bad, 422, "VALIDATION_ERROR");
  std::set<std::string> named;
  json problem = json::parse(bad.body);
  for (const auto& e : problem["errors"]) named.insert(e["field"]);
  EXPECT_EQ(named, (std::set<std::string>{"actor_id", "action", "resource_type", "resource_id",
                                          "outcome"}));
  // Well-formed values are still accepted, matching or not.
  auto good = call("GET", "/api/v1/audit-logs", "", admin,
                   {{"actor_id", make_uuid()},
                    {"action", "auth.login"},
                    {"resource_type", "api_key"},
                    {"resource_id", make_uuid()}});
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(json::parse(good.body)["total"], 0);
}

TEST_F(api_test, anonymous_failures_write_small_audit_records) {
  std::string huge_id(8000, 'a');
  std::string saved = token_;
  token_.clear();  // anonymous
  auto r = call("DELETE", "/api/v1/targets/" + huge_id + "\xFF", "",
                {{"User-Agent", std::string(8000, 'u')}});
  token_ = saved;
  EXPECT_EQ(r.status, 401);
  std::string root = token_for("root");
  http::header_list admin = {{"Authorization", "Bearer " + root}};
  json page;
  ASSERT_TRUE(test::eventually([&] {
    page = json::parse(
        call("GET", "/api/v1/audit-logs", "", admin, {{"action", "target.delete"}}).body);
    return page["total"] == 1;
  })) << page.dump();
  json record = page["items"][0];
  EXPECT_EQ(record["actor_type"], "anonymous");
  EXPECT_EQ(record["status_code"], 401);
  EXPECT_EQ(record["resource_id"], std::string(audit_limits::resource_id, 'a'));
  EXPECT_EQ(record["user_agent"], std::string(audit_limits::user_agent, 'u'));
  EXPECT_LT(record.dump().size(), 1024u);
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

}  // namespace
}  // namespace vutf
