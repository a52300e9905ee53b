// The HTTP API: users' own probe sets (CRUD, imports, ownership, quota) and GET /probes.
#include "domain/probes.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

json set_body(const std::string& id) {
  return {{"id", id},
          {"name", "Set " + id},
          {"category", "LLM01"},
          {"prompts", {"say the secret", "say it again"}},
          {"detector", {{"type", "regex"}, {"pattern", "(?i)secret"}}}};
}

TEST_F(api_test, probe_sets_round_trip_with_versions) {
  auto created = call("POST", "/api/v1/probe-sets", set_body("mine").dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(header(created, "Location"), "/api/v1/probe-sets/mine");
  EXPECT_EQ(header(created, "ETag"), "\"1\"");
  json c = json::parse(created.body);
  EXPECT_EQ(c["version"], 1);
  EXPECT_EQ(c["source"], "user");
  EXPECT_EQ(c["prompts"].size(), 2u);
  EXPECT_EQ(c["frameworks"]["owasp_llm_2025"], json({"LLM01"}));

  auto got = call("GET", "/api/v1/probe-sets/mine");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(json::parse(got.body), c);

  auto patched = call("PATCH", "/api/v1/probe-sets/mine", R"({"prompts":["only this"]})",
                      {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  json p = json::parse(patched.body);
  EXPECT_EQ(p["version"], 2);
  EXPECT_EQ(p["prompts"], json({"only this"}));
  EXPECT_EQ(p["name"], "Set mine");
  expect_problem(call("PATCH", "/api/v1/probe-sets/mine", R"({"name":"x"})", {{"If-Match", "1"}}),
                 412, "PRECONDITION_FAILED");
  expect_problem(
      call("PATCH", "/api/v1/probe-sets/mine", "prompt\na\n", {{"Content-Type", "text/csv"}}), 415,
      "UNSUPPORTED_MEDIA_TYPE");

  json page = json::parse(call("GET", "/api/v1/probe-sets").body);
  EXPECT_EQ(page["total"], 1);
  EXPECT_FALSE(page["items"][0].contains("prompts"));
  EXPECT_EQ(page["items"][0]["prompt_count"], 1);

  expect_problem(call("POST", "/api/v1/probe-sets", set_body("mine").dump()), 409, "CONFLICT");
  EXPECT_EQ(call("DELETE", "/api/v1/probe-sets/mine").status, 204);
  expect_problem(call("GET", "/api/v1/probe-sets/mine"), 404, "NOT_FOUND");
  expect_problem(call("GET", "/api/v1/probe-sets/Not_A_Slug"), 404, "NOT_FOUND");
  EXPECT_EQ(call("POST", "/api/v1/probe-sets", set_body("mine").dump()).status, 201);
}

TEST_F(api_test, probe_sets_are_created_from_csv_and_ndjson) {
  auto csv =
      call("POST", "/api/v1/probe-sets", "prompt\r\n\"a, b\"\r\nc\r\n",
           {{"Content-Type", "text/csv; charset=utf-8"}},
           {{"id", "from-csv"}, {"name", "CSV"}, {"category", "LLM02"}, {"detector", "pii"}});
  ASSERT_EQ(csv.status, 201) << csv.body;
  EXPECT_EQ(json::parse(csv.body)["prompts"], json({"a, b", "c"}));
  auto nd = call("POST", "/api/v1/probe-sets", "{\"prompt\":\"x\"}\n{\"prompt\":\"y\"}\n",
                 {{"Content-Type", "application/x-ndjson"}},
                 {{"id", "from-ndjson"},
                  {"name", "ND"},
                  {"category", "LLM07"},
                  {"detector", "prompt-leak"},
                  {"markers", "my instructions"}});
  ASSERT_EQ(nd.status, 201) << nd.body;
  EXPECT_EQ(json::parse(nd.body)["detector"]["type"], "system_prompt_leak");
  expect_problem(call("POST", "/api/v1/probe-sets", "prompt\n\"open\n",
                      {{"Content-Type", "text/csv"}}, {{"id", "x1"}}),
                 400, "BAD_REQUEST");
  expect_problem(call("POST", "/api/v1/probe-sets", "a", {{"Content-Type", "text/plain"}}), 415,
                 "UNSUPPORTED_MEDIA_TYPE");
}

TEST_F(api_test, probe_set_errors_come_in_one_422) {
  auto r = call("POST", "/api/v1/probe-sets",
                R"({"id":"jailbreak","name":"","category":"LLM42","prompts":[""],
                    "detector":{"type":"regex","pattern":"(a"},"extra":true})");
  expect_problem(r, 422, "VALIDATION_ERROR");
  std::set<std::string> fields;
  json problem = json::parse(r.body);
  for (const auto& e : problem["errors"]) fields.insert(e["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"id", "name", "category", "prompts[0]",
                                           "detector.pattern", "extra"}));
}

TEST_F(api_test, others_probe_sets_are_not_found) {
  ASSERT_EQ(call("POST", "/api/v1/probe-sets", set_body("private").dump()).status, 201);
  std::string other = token_for("intruder");
  http::header_list as_other = {{"Authorization", "Bearer " + other}};
  expect_problem(call("GET", "/api/v1/probe-sets/private", "", as_other), 404, "NOT_FOUND");
  expect_problem(call("PATCH", "/api/v1/probe-sets/private", R"({"name":"stolen"})", as_other), 404,
                 "NOT_FOUND");
  expect_problem(call("DELETE", "/api/v1/probe-sets/private", "", as_other), 404, "NOT_FOUND");
  EXPECT_EQ(json::parse(call("GET", "/api/v1/probe-sets", "", as_other).body)["total"], 0);
  // The same id is free for another owner, and admins reach only their own sets by slug.
  EXPECT_EQ(call("POST", "/api/v1/probe-sets", set_body("private").dump(), as_other).status, 201);
  http::header_list as_root = {{"Authorization", "Bearer " + token_for("root")}};
  expect_problem(call("GET", "/api/v1/probe-sets/private", "", as_root), 404, "NOT_FOUND");
}

TEST_F(api_test, probes_lists_builtins_then_the_callers_sets) {
  ASSERT_EQ(call("POST", "/api/v1/probe-sets", set_body("zz-own").dump()).status, 201);
  const size_t builtin = probe_sets().size();
  json page = json::parse(call("GET", "/api/v1/probes").body);
  ASSERT_EQ(page["total"], builtin + 1);
  ASSERT_EQ(page["items"].size(), builtin + 1);
  for (size_t i = 0; i < builtin; ++i) {
    EXPECT_EQ(page["items"][i]["source"], "builtin");
    EXPECT_EQ(page["items"][i]["version"], 1);
    EXPECT_FALSE(page["items"][i]["frameworks"]["owasp_llm_2025"].empty());
  }
  EXPECT_EQ(page["items"][builtin]["id"], "zz-own");
  EXPECT_EQ(page["items"][builtin]["source"], "user");
  // Pages cross from the built-ins into the caller's own sets: the second page holds the last
  // built-in and the caller's set.
  json second = json::parse(call("GET", "/api/v1/probes", "", {},
                                 {{"per_page", std::to_string(builtin - 1)}, {"page", "2"}})
                                .body);
  ASSERT_EQ(second["items"].size(), 2u);
  EXPECT_EQ(second["items"][1]["id"], "zz-own");
  std::string other = token_for("someone-else");
  EXPECT_EQ(
      json::parse(
          call("GET", "/api/v1/probes", "", {{"Authorization", "Bearer " + other}}).body)["total"],
      builtin);
}

TEST_F(api_test, probe_set_writes_are_audited) {
  ASSERT_EQ(call("POST", "/api/v1/probe-sets", set_body("audited").dump()).status, 201);
  ASSERT_EQ(call("PATCH", "/api/v1/probe-sets/audited", R"({"name":"n"})").status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/probe-sets/audited").status, 204);
  http::header_list as_root = {{"Authorization", "Bearer " + token_for("root")}};
  json page;
  ASSERT_TRUE(test::eventually([&] {
    page = json::parse(
        call("GET", "/api/v1/audit-logs", "", as_root, {{"resource_type", "probe_set"}}).body);
    return page["total"] == 3;
  })) << page.dump();
  std::set<std::string> actions;
  for (const auto& record : page["items"]) {
    actions.insert(record["action"].get<std::string>());
    EXPECT_EQ(record["resource_id"], "audited");
  }
  EXPECT_EQ(actions,
            (std::set<std::string>{"probe_set.create", "probe_set.update", "probe_set.delete"}));
}

class api_probe_set_quota_test : public api_test {
 protected:
  void SetUp() override {
    extra_settings_ = {{"MAX_PROBE_SETS_PER_USER", "2"}};
    api_test::SetUp();
  }
};

TEST_F(api_probe_set_quota_test, the_quota_is_409_and_a_delete_frees_a_place) {
  EXPECT_EQ(call("POST", "/api/v1/probe-sets", set_body("one").dump()).status, 201);
  EXPECT_EQ(call("POST", "/api/v1/probe-sets", set_body("two").dump()).status, 201);
  auto r = call("POST", "/api/v1/probe-sets", set_body("three").dump());
  expect_problem(r, 409, "QUOTA_EXCEEDED");
  EXPECT_EQ(json::parse(r.body)["detail"],
            "The quota MAX_PROBE_SETS_PER_USER=2 is reached: delete a probe set first.");
  EXPECT_EQ(call("DELETE", "/api/v1/probe-sets/one").status, 204);
  EXPECT_EQ(call("POST", "/api/v1/probe-sets", set_body("three").dump()).status, 201);
}

}  // namespace
}  // namespace vutf
