// Scan schedules (in process, on SQLite): the routes with their audit, every bad field in one
// 422, owner isolation, and the scheduler driven by rounds at chosen times (no sleeps): a due
// run creates one scan, a run missed during downtime is caught up once, a disabled schedule
// runs never, a run that cannot create its scan records why and emits schedule.failed, and a
// scheduled scan with findings its previous run did not have emits scan.regressed.
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

using namespace std::chrono_literals;

constexpr int64_t hour_ms = int64_t{3600} * 1000;

class schedules_test : public api_test {
 protected:
  json create_schedule(const json& body) {
    auto r = call("POST", "/api/v1/schedules", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(header(r, "Location"), "/api/v1/schedules/" + json::parse(r.body).value("id", ""));
    return json::parse(r.body);
  }

  json get(const std::string& path) { return json::parse(call("GET", path).body); }

  // The fields a 422 names, in order.
  static std::vector<std::string> bad_fields(const api_response& r) {
    expect_problem(r, 422, "VALIDATION_ERROR");
    std::vector<std::string> names;
    json problem = json::parse(r.body);
    for (const auto& e : problem["errors"]) names.push_back(e["field"]);
    return names;
  }

  // The caller's scans a schedule created.
  json scans_of(const std::string& schedule_id) {
    json out = json::array();
    json page = json::parse(call("GET", "/api/v1/scans", "", {}, {{"per_page", "100"}}).body);
    for (const auto& s : page["items"])
      if (s["schedule_id"] == schedule_id) out.push_back(s);
    return out;
  }

  // Runs the schedule's slot at `at` and waits for the scan it created to end; its id.
  std::string run_to_end(const std::string& schedule_id, int64_t at) {
    EXPECT_EQ(svc_->run_schedules(at).created, 1);
    std::string id = get("/api/v1/schedules/" + schedule_id).value("last_scan_id", "");
    EXPECT_TRUE(test::eventually(
        [&] { return get("/api/v1/scans/" + id).value("status", "") == "completed"; }));
    return id;
  }

  // The types and scan ids of the webhook deliveries received so far.
  std::vector<std::pair<std::string, std::string>> deliveries() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& h : mock_.webhooks()) {
      json body = json::parse(h.body);
      out.emplace_back(body["type"], body["data"].value("id", ""));
    }
    return out;
  }

  mock::mock_target mock_{{"safe"}};
};

TEST_F(schedules_test, created_read_listed_changed_and_deleted_with_an_audit_trail) {
  std::string target = target_at(mock_.url());
  json s = create_schedule({{"target_id", target},
                            {"probes", {"jailbreak"}},
                            {"converters", {"base64"}},
                            {"cron", "0 3 * * MON"},
                            {"fail_on", {{"severity", "high"}}}});
  for (const char* key : {"id", "target_id", "probes", "converters", "fail_on", "cron",
                          "interval_seconds", "enabled", "next_run_at", "last_run_at",
                          "last_scan_id", "last_error", "created_at", "updated_at", "version"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s.size(), 15u) << s.dump();
  EXPECT_EQ(s["version"], 1);
  EXPECT_EQ(s["enabled"], true) << "enabled unless said otherwise";
  EXPECT_EQ(s["interval_seconds"], nullptr);
  EXPECT_EQ(s["fail_on"]["severity"], "high");
  EXPECT_NE(s["next_run_at"].get<std::string>().find("T03:00:00.000Z"), std::string::npos)
      << s.dump();
  std::string path = "/api/v1/schedules/" + s["id"].get<std::string>();
  EXPECT_EQ(get(path), s);
  json page = get("/api/v1/schedules");
  EXPECT_EQ(page["total"], 1);
  EXPECT_EQ(page["items"][0], s);

  // Switching to an interval clears the cron expression; disabling hides the next run.
  auto r = call("PATCH", path, json{{"interval_seconds", 3600}, {"enabled", false}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json changed = json::parse(r.body);
  EXPECT_EQ(changed["cron"], nullptr);
  EXPECT_EQ(changed["interval_seconds"], 3600);
  EXPECT_EQ(changed["enabled"], false);
  EXPECT_EQ(changed["next_run_at"], nullptr);
  EXPECT_EQ(changed["probes"], s["probes"]) << "what the PATCH leaves out stays";
  EXPECT_EQ(changed["version"], 2);
  EXPECT_EQ(header(r, "ETag"), "\"2\"");
  EXPECT_EQ(get(path), changed);

  EXPECT_EQ(call("DELETE", path).status, 204);
  expect_problem(call("GET", path), 404, "NOT_FOUND");
  expect_problem(call("DELETE", path), 404, "NOT_FOUND");

  http::header_list admin = {{"Authorization", "Bearer " + token_for("root")}};
  json audit;
  ASSERT_TRUE(test::eventually([&] {
    audit = json::parse(
        call("GET", "/api/v1/audit-logs", "", admin, {{"resource_type", "schedule"}}).body);
    return audit["total"] == 4;
  })) << audit.dump();
  std::vector<std::string> actions;
  for (const auto& a : audit["items"]) {
    actions.push_back(a["action"]);
    EXPECT_EQ(a["resource_id"], s["id"]) << a.dump();
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"schedule.delete", "schedule.delete",
                                               "schedule.update", "schedule.create"}));
}

TEST_F(schedules_test, every_bad_field_is_named_at_once) {
  std::string target = target_at(mock_.url());
  // Types and unknown fields, with the required ones missing.
  EXPECT_EQ(bad_fields(call("POST", "/api/v1/schedules",
                            R"({"cron": 5, "interval_seconds": "60", "enabled": "yes",
                                "fail_on": 1, "colour": "red"})")),
            (std::vector<std::string>{"colour", "cron", "enabled", "fail_on", "interval_seconds",
                                      "target_id", "probes"}));
  // Values: each rule of the timing and of the scan part (POST /scans' rules) in one answer.
  EXPECT_EQ(bad_fields(call("POST", "/api/v1/schedules",
                            json{{"target_id", make_uuid()},
                                 {"probes", {"no-such-set"}},
                                 {"converters", {"rot13", "no-such-converter"}},
                                 {"cron", "61 * * * *"},
                                 {"interval_seconds", 30},
                                 {"fail_on", {{"severity", "dire"}}}}
                                .dump())),
            (std::vector<std::string>{"interval_seconds", "interval_seconds", "cron",
                                      "converters[1]", "fail_on.severity", "probes", "target_id"}));
  json ok = {{"target_id", target}, {"probes", {"jailbreak"}}};
  auto with = [&](json extra) {
    json body = ok;
    body.update(extra);
    return bad_fields(call("POST", "/api/v1/schedules", body.dump()));
  };
  EXPECT_EQ(with(json::object()), std::vector<std::string>{"cron"}) << "neither cron nor interval";
  for (const char* cron : {"* * * *", "* * * * * *", "*/0 * * * *", "1-60 * * * *", "5-1 * * * *",
                           "1,,2 * * * *", "0 0 31 2 *", "0 0 * * FUNDAY"})
    EXPECT_EQ(with({{"cron", cron}}), std::vector<std::string>{"cron"}) << cron;
  EXPECT_EQ(with({{"interval_seconds", 59}}), std::vector<std::string>{"interval_seconds"});
  EXPECT_EQ(get("/api/v1/schedules")["total"], 0) << "nothing was created";

  // A PATCH is checked the same way, every field at once.
  json s =
      create_schedule({{"target_id", target}, {"probes", {"jailbreak"}}, {"cron", "0 * * * *"}});
  auto r = call("PATCH", "/api/v1/schedules/" + s["id"].get<std::string>(),
                json{{"cron", "0 0 30 2 *"}, {"probes", json::array()}}.dump());
  EXPECT_EQ(bad_fields(r), (std::vector<std::string>{"cron", "probes"}));
}

TEST_F(schedules_test, another_users_schedule_is_not_found) {
  json s = create_schedule(
      {{"target_id", target_at(mock_.url())}, {"probes", {"jailbreak"}}, {"cron", "0 * * * *"}});
  std::string path = "/api/v1/schedules/" + s["id"].get<std::string>();
  http::header_list other = {{"Authorization", "Bearer " + token_for("other")}};
  expect_problem(call("GET", path, "", other), 404, "NOT_FOUND");
  expect_problem(call("PATCH", path, R"({"enabled": false})", other), 404, "NOT_FOUND");
  expect_problem(call("DELETE", path, "", other), 404, "NOT_FOUND");
  EXPECT_EQ(json::parse(call("GET", "/api/v1/schedules", "", other).body)["total"], 0);
  // Nor may a schedule run a scan of another user's target.
  auto r = call(
      "POST", "/api/v1/schedules",
      json{{"target_id", s["target_id"]}, {"probes", {"jailbreak"}}, {"cron", "0 * * * *"}}.dump(),
      other);
  EXPECT_EQ(bad_fields(r), std::vector<std::string>{"target_id"});
  EXPECT_EQ(get(path)["enabled"], true) << "untouched";
}

TEST_F(schedules_test, a_due_run_creates_one_scan_and_a_long_downtime_one_catch_up_run) {
  int64_t created_at = now_ms();
  json s = create_schedule(
      {{"target_id", target_at(mock_.url())}, {"probes", {"jailbreak"}}, {"interval_seconds", 60}});
  std::string id = s["id"];
  schedule_round early = svc_->run_schedules(created_at);
  EXPECT_EQ(early.created, 0) << "not due yet";
  // Ten hours later (600 slots missed while nothing ran): one scan, not 600.
  int64_t later = created_at + 10 * hour_ms;
  schedule_round r = svc_->run_schedules(later);
  EXPECT_EQ(r.created, 1);
  EXPECT_EQ(r.failed, 0);
  EXPECT_EQ(svc_->run_schedules(later).created, 0) << "the next slot is ahead";
  json scans = scans_of(id);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(scans[0]["probes"], json{"jailbreak"});
  s = get("/api/v1/schedules/" + id);
  EXPECT_EQ(s["last_scan_id"], scans[0]["id"]);
  EXPECT_EQ(s["last_run_at"], format_timestamp(later));
  EXPECT_EQ(s["last_error"], nullptr);
  EXPECT_GT(s["next_run_at"].get<std::string>(), format_timestamp(later));
  EXPECT_LE(s["next_run_at"].get<std::string>(), format_timestamp(later + 60000));
  // The next slot runs once more; a scan started by hand has no schedule.
  EXPECT_EQ(svc_->run_schedules(later + 60000).created, 1);
  EXPECT_EQ(scans_of(id).size(), 2u);
  auto by_hand = call("POST", "/api/v1/scans",
                      json{{"target_id", s["target_id"]}, {"probes", {"jailbreak"}}}.dump());
  ASSERT_EQ(by_hand.status, 202) << by_hand.body;
  EXPECT_EQ(json::parse(by_hand.body)["schedule_id"], nullptr);
}

TEST_F(schedules_test, a_disabled_schedule_creates_no_scan_until_enabled) {
  json s = create_schedule({{"target_id", target_at(mock_.url())},
                            {"probes", {"jailbreak"}},
                            {"cron", "*/5 * * * *"},
                            {"enabled", false}});
  EXPECT_EQ(s["next_run_at"], nullptr);
  EXPECT_EQ(svc_->run_schedules(now_ms() + 24 * hour_ms).created, 0);
  EXPECT_TRUE(scans_of(s["id"]).empty());
  auto r = call("PATCH", "/api/v1/schedules/" + s["id"].get<std::string>(), R"({"enabled": true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(json::parse(r.body)["next_run_at"], nullptr);
  EXPECT_EQ(svc_->run_schedules(now_ms() + 24 * hour_ms).created, 1);
}

TEST_F(schedules_test, a_run_that_cannot_create_its_scan_records_why_and_emits_schedule_failed) {
  auto w = call("POST", "/api/v1/webhooks",
                json{{"url", mock_.url() + "/webhook"}, {"events", {"schedule.failed"}}}.dump());
  ASSERT_EQ(w.status, 201) << w.body;
  std::string target = target_at(mock_.url());
  json s = create_schedule(
      {{"target_id", target}, {"probes", {"jailbreak"}}, {"interval_seconds", 3600}});
  std::string id = s["id"];
  ASSERT_EQ(call("DELETE", "/api/v1/targets/" + target).status, 204);
  int64_t due = now_ms() + 2 * hour_ms;
  schedule_round r = svc_->run_schedules(due);
  EXPECT_EQ(r.created, 0);
  EXPECT_EQ(r.failed, 1);
  EXPECT_TRUE(scans_of(id).empty());
  s = get("/api/v1/schedules/" + id);
  ASSERT_TRUE(s["last_error"].is_string()) << s.dump();
  EXPECT_NE(s["last_error"].get<std::string>().find("target_id"), std::string::npos) << s.dump();
  EXPECT_GT(s["next_run_at"].get<std::string>(), format_timestamp(due)) << "moved on";
  EXPECT_EQ(svc_->run_schedules(due).failed, 0) << "one failure per due run";

  std::vector<mock::webhook> hooks;
  ASSERT_TRUE(test::eventually(
      [&] {
        hooks = mock_.webhooks();
        return !hooks.empty();
      },
      20s));
  json body = json::parse(hooks[0].body);
  EXPECT_EQ(body["type"], "schedule.failed");
  EXPECT_EQ(body["data"], s) << "data is the schedule as GET /schedules/{id} returns it";
  // The schedule stays enabled: a later run succeeds once its target is back.
  EXPECT_EQ(s["enabled"], true);
}

TEST_F(schedules_test, a_scheduled_scan_with_new_findings_emits_scan_regressed) {
  auto w =
      call("POST", "/api/v1/webhooks",
           json{{"url", mock_.url() + "/webhook"}, {"events", {"scan.completed", "scan.regressed"}}}
               .dump());
  ASSERT_EQ(w.status, 201) << w.body;
  std::string target = target_at(mock_.url());
  json s = create_schedule(
      {{"target_id", target}, {"probes", {"jailbreak"}}, {"interval_seconds", 3600}});
  std::string id = s["id"];
  int64_t t = now_ms();
  // First run: findings, but nothing to compare with. Second: none. Third: findings again,
  // new against the second run (the schedule's previous one), whatever the first had.
  mock_.set_mode("vulnerable");
  std::string first = run_to_end(id, t + 2 * hour_ms);
  mock_.set_mode("safe");
  std::string second = run_to_end(id, t + 4 * hour_ms);
  // A scan started by hand in between is no baseline of the schedule's scans.
  mock_.set_mode("vulnerable");
  scan_to_end({{"target_id", target}, {"probes", {"jailbreak"}}});
  std::string third = run_to_end(id, t + 6 * hour_ms);
  EXPECT_GT(get("/api/v1/scans/" + first)["summary"]["findings"], 0);
  EXPECT_EQ(get("/api/v1/scans/" + second)["summary"]["findings"], 0);

  ASSERT_TRUE(test::eventually(
      [&] {
        auto d = deliveries();
        return std::count(d.begin(), d.end(),
                          std::make_pair(std::string("scan.regressed"), third)) == 1;
      },
      20s));
  // Every scan's completion arrived; the only regression is the third run's.
  auto d = deliveries();
  for (const auto& scan_id : {first, second, third})
    EXPECT_EQ(
        std::count(d.begin(), d.end(), std::make_pair(std::string("scan.completed"), scan_id)), 1)
        << scan_id;
  EXPECT_EQ(
      std::count_if(d.begin(), d.end(), [](const auto& e) { return e.first == "scan.regressed"; }),
      1);
  // The diff without a baseline is against the schedule's previous run, too.
  json diff = get("/api/v1/scans/" + third + "/diff");
  EXPECT_EQ(diff["baseline"], second);
  EXPECT_FALSE(diff["new"].empty());
}

TEST_F(schedules_test, a_change_or_delete_with_a_stale_if_match_is_412_and_changes_nothing) {
  json s = create_schedule(
      {{"target_id", target_at(mock_.url())}, {"probes", {"jailbreak"}}, {"interval_seconds", 60}});
  std::string path = "/api/v1/schedules/" + s["id"].get<std::string>();
  auto read = call("GET", path);
  EXPECT_EQ(header(read, "ETag"), "\"1\"");
  auto first = call("PATCH", path, json{{"interval_seconds", 120}}.dump(), {{"If-Match", "\"1\""}});
  ASSERT_EQ(first.status, 200) << first.body;
  // A second client still holding version 1 is refused, for a change and for a delete.
  expect_problem(call("PATCH", path, json{{"enabled", false}}.dump(), {{"If-Match", "\"1\""}}), 412,
                 "PRECONDITION_FAILED");
  expect_problem(call("DELETE", path, "", {{"If-Match", "\"1\""}}), 412, "PRECONDITION_FAILED");
  EXPECT_EQ(get(path), json::parse(first.body));
  EXPECT_EQ(call("DELETE", path, "", {{"If-Match", "\"2\""}}).status, 204);
}

TEST_F(schedules_test, a_run_changes_the_version_its_record_shows) {
  json s = create_schedule(
      {{"target_id", target_at(mock_.url())}, {"probes", {"jailbreak"}}, {"interval_seconds", 60}});
  std::string path = "/api/v1/schedules/" + s["id"].get<std::string>();
  run_to_end(s["id"], now_ms() + hour_ms);
  json after = get(path);
  EXPECT_EQ(after["version"], 2) << "the record of a run changes what GET shows, so its ETag: "
                                 << after.dump();
  expect_problem(call("PATCH", path, json{{"enabled", false}}.dump(), {{"If-Match", "\"1\""}}), 412,
                 "PRECONDITION_FAILED");
}

class schedule_quota_test : public schedules_test {
 protected:
  void SetUp() override {
    extra_settings_ = {{"MAX_SCHEDULES_PER_USER", "2"}};
    schedules_test::SetUp();
  }
};

TEST_F(schedule_quota_test, the_quota_is_409_and_a_delete_frees_a_place) {
  json body = {
      {"target_id", target_at(mock_.url())}, {"probes", {"jailbreak"}}, {"interval_seconds", 3600}};
  create_schedule(body);
  std::string second = create_schedule(body)["id"];
  auto r = call("POST", "/api/v1/schedules", body.dump());
  expect_problem(r, 409, "QUOTA_EXCEEDED");
  EXPECT_EQ(json::parse(r.body)["detail"],
            "The quota MAX_SCHEDULES_PER_USER=2 is reached: delete a schedule first.");
  EXPECT_EQ(call("DELETE", "/api/v1/schedules/" + second).status, 204);
  create_schedule(body);
}

}  // namespace
}  // namespace vutf
