// Resources against a live PostgreSQL, where the failures showed: hostile bytes in a request no
// longer stop the audit trail, a record the database refuses is dropped alone, and the per-user
// quotas hold under concurrent creates.
#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "http/api.hpp"
#include "metrics/metrics.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using nlohmann::json;

principal admin() {
  principal p = test::someone("auditor");
  p.roles = {"user", "admin"};
  return p;
}

audit_page audit_of(service& svc, const std::string& action) {
  audit_query q;
  q.action = action;
  q.per_page = 100;
  return svc.ask(audit_list{admin(), q, svc.deadline()}).value;
}

http::api_request anonymous(const std::string& method, const std::string& path,
                            http::header_list headers) {
  http::api_request r;
  r.method = method;
  r.path = path;
  r.headers = std::move(headers);
  r.remote_ip = "127.0.0.1";
  r.read_body = http::body_from("");
  return r;
}

struct pg_service {
  explicit pg_service(env_map env = {}) {
    log::configure("error", "json");
    env["DATABASE_URL"] = test::fresh_pg_database();
    env["RATE_LIMIT_ENABLED"] = "false";
    url = env["DATABASE_URL"];
    cfg = test::make_settings(env);
    svc = std::make_unique<service>(cfg, m);
  }
  std::string url;
  settings cfg;
  std::shared_ptr<metrics> m = std::make_shared<metrics>();
  std::unique_ptr<service> svc;
};

// Issue 9: `%FF` in a path or 0xFF in User-Agent made every later batch insert fail.
TEST(audit_pg, hostile_bytes_in_a_request_do_not_stop_the_audit_trail) {
  pg_service pg;
  http::api api(*pg.svc, *pg.m, pg.cfg);
  // cpp-httplib hands the path over percent-decoded: %FF arrives as the byte 0xFF.
  EXPECT_EQ(api.handle(anonymous("DELETE", "/api/v1/targets/\xFF%00",
                                 {{"User-Agent", std::string("agent\xFF\xC0\xAF", 8) +
                                                     std::string(1, '\0') + "x"}}))
                .status,
            401);
  EXPECT_EQ(api.handle(anonymous("DELETE", "/api/v1/targets/plain", {})).status, 401);
  audit_page page;
  ASSERT_TRUE(test::eventually([&] {
    page = audit_of(*pg.svc, "target.delete");
    return page.total == 2;
  })) << "audit records stored: "
      << page.total;
  const audit_record& hostile = page.items[1];  // newest first
  EXPECT_EQ(hostile.resource_id, "\xEF\xBF\xBD%00");
  EXPECT_EQ(hostile.user_agent, "agent\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(page.items[0].resource_id, "plain");
  EXPECT_EQ(pg.m->audit_records_rejected_total.Value(), 0);
}

// Whatever else the database may refuse, one record must not hold the others back.
TEST(audit_pg, a_record_the_database_refuses_is_dropped_alone) {
  pg_service pg;
  audit_record first;
  first.timestamp_ms = now_ms();
  first.id = make_time_ordered_uuid(first.timestamp_ms);
  first.request_id = "first";
  first.actor_type = "anonymous";
  first.action = "auth.login";
  first.outcome = "failure";
  first.status_code = 401;
  pg.svc->record(first);
  ASSERT_TRUE(test::eventually([&] { return audit_of(*pg.svc, "auth.login").total == 1; }));

  audit_record duplicate = first;  // the same id: the primary key refuses it
  duplicate.request_id = "duplicate";
  audit_record next = first;
  next.id = make_time_ordered_uuid(now_ms());
  next.request_id = "next";
  pg.svc->record(duplicate);
  pg.svc->record(next);
  audit_page page;
  ASSERT_TRUE(test::eventually([&] {
    page = audit_of(*pg.svc, "auth.login");
    return page.total == 2;
  })) << "audit records stored: "
      << page.total;
  EXPECT_EQ(page.items[0].request_id, "next");
  EXPECT_EQ(page.items[1].request_id, "first");
  EXPECT_EQ(pg.m->audit_records_rejected_total.Value(), 1);
}

// Runs `attempt` on `n` threads at once; returns how many succeeded, and fails the test on any
// answer other than success or QUOTA_EXCEEDED.
template <class Attempt>
int at_once(int n, Attempt attempt) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto r = attempt(i);
      if (r.ok())
        ++ok;
      else
        EXPECT_EQ(r.error->code, errc::quota_exceeded) << r.error->detail;
    });
  for (auto& t : threads) t.join();
  return ok;
}

TEST(quota_pg, concurrent_target_creates_never_pass_max_targets_per_user) {
  pg_service pg(env_map{{"MAX_TARGETS_PER_USER", "3"}, {"DATABASE_POOL_SIZE", "10"}});
  service& svc = *pg.svc;
  principal who = test::someone("many-targets");
  int created = at_once(16, [&](int i) {
    return svc.ask(
        target_create{who, test::sample_target("t" + std::to_string(i)), svc.deadline()});
  });
  EXPECT_EQ(created, 3);
  EXPECT_EQ(test::pg_query(pg.url, "SELECT COUNT(*) FROM targets WHERE owner_id = 'many-targets'"),
            "3");
  auto refused = svc.ask(target_create{who, test::sample_target("one more"), svc.deadline()});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, errc::quota_exceeded);
  EXPECT_NE(refused.error->detail.find("MAX_TARGETS_PER_USER=3"), std::string::npos);
  // The quota is per user, and a deleted target frees its place.
  EXPECT_TRUE(
      svc.ask(target_create{test::someone("other"), test::sample_target("t0"), svc.deadline()})
          .ok());
  auto mine = svc.ask(target_list{who, {}, svc.deadline()});
  ASSERT_EQ(mine.value.items.size(), 3u);
  ASSERT_TRUE(
      svc.ask(target_delete{who, mine.value.items[0].id, std::nullopt, svc.deadline()}).ok());
  // A create refused for its name is rolled back with the place it took.
  auto taken = svc.ask(target_create{who, mine.value.items[1], svc.deadline()});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error->code, errc::conflict);
  EXPECT_TRUE(
      svc.ask(target_create{who, test::sample_target("after delete"), svc.deadline()}).ok());
  EXPECT_FALSE(svc.ask(target_create{who, test::sample_target("full"), svc.deadline()}).ok());
  // An admin's delete frees the owner's place too; the kept count is the live rows'.
  principal admin = test::someone("root");
  admin.roles = {"admin"};
  ASSERT_TRUE(
      svc.ask(target_delete{admin, mine.value.items[1].id, std::nullopt, svc.deadline()}).ok());
  EXPECT_EQ(test::pg_query(pg.url, "SELECT n FROM owner_counts WHERE owner_id = 'many-targets'"),
            test::pg_query(pg.url,
                           "SELECT COUNT(*) FROM targets WHERE owner_id = 'many-targets' "
                           "AND deleted_at IS NULL"));
  EXPECT_TRUE(svc.ask(target_create{who, test::sample_target("freed"), svc.deadline()}).ok());
}

TEST(quota_pg, concurrent_scan_creates_never_pass_max_active_scans_per_user) {
  pg_service pg(env_map{{"MAX_ACTIVE_SCANS_PER_USER", "2"}, {"DATABASE_POOL_SIZE", "10"}});
  service& svc = *pg.svc;
  // Slow replies keep the accepted scans running for the whole test.
  mock::mock_target mock({"slow", 3000});
  principal who = test::someone("many-scans");
  target t = test::sample_target("slow");
  t.endpoint_url = mock.url() + "/v1";
  auto created = svc.ask(target_create{who, t, svc.deadline()});
  ASSERT_TRUE(created.ok());
  scan_request r{created.value.id, {"jailbreak"}, 20, 1, std::nullopt, {},
                 std::nullopt,     std::nullopt};
  int queued = at_once(10, [&](int) { return svc.ask(scan_create{who, r, svc.deadline()}); });
  EXPECT_EQ(queued, 2);
  EXPECT_EQ(test::pg_query(pg.url, "SELECT COUNT(*) FROM scans WHERE owner_id = 'many-scans'"),
            "2");
  auto refused = svc.ask(scan_create{who, r, svc.deadline()});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, errc::quota_exceeded);
  EXPECT_NE(refused.error->detail.find("MAX_ACTIVE_SCANS_PER_USER=2"), std::string::npos);
  // A cancelled scan is no longer active: its place is free again.
  auto mine = svc.ask(scan_list{who, {}, svc.deadline()});
  ASSERT_EQ(mine.value.items.size(), 2u);
  ASSERT_TRUE(svc.ask(scan_cancel{who, mine.value.items[0].id, svc.deadline()}).ok());
  EXPECT_TRUE(svc.ask(scan_create{who, r, svc.deadline()}).ok());
}

probe_set sample_set(const std::string& id) {
  probe_set p;
  p.id = id;
  p.name = "Set " + id;
  p.category = "LLM01";
  p.frameworks = {{"LLM01"}, {"AML.T0051"}};
  p.detector.type = "regex";
  p.detector.severity = "high";
  set_pattern(p.detector, "(?i)leak");
  p.prompts = {"first \xE2\x80\x99 prompt", "second"};
  return p;
}

TEST(quota_pg, concurrent_probe_set_creates_never_pass_max_probe_sets_per_user) {
  pg_service pg(env_map{{"MAX_PROBE_SETS_PER_USER", "3"}, {"DATABASE_POOL_SIZE", "10"}});
  service& svc = *pg.svc;
  principal who = test::someone("many-sets");
  int created = at_once(16, [&](int i) {
    return svc.ask(probe_set_create{who, sample_set("s" + std::to_string(i)), svc.deadline()});
  });
  EXPECT_EQ(created, 3);
  EXPECT_EQ(test::pg_query(pg.url, "SELECT COUNT(*) FROM probe_sets WHERE owner_id = 'many-sets'"),
            "3");
  auto refused = svc.ask(probe_set_create{who, sample_set("one-more"), svc.deadline()});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, errc::quota_exceeded);
  EXPECT_NE(refused.error->detail.find("MAX_PROBE_SETS_PER_USER=3"), std::string::npos);
  // Per user; a deleted set frees its place.
  EXPECT_TRUE(
      svc.ask(probe_set_create{test::someone("other"), sample_set("s0"), svc.deadline()}).ok());
  auto mine = svc.ask(probe_set_list{who, 1, 20, svc.deadline()});
  ASSERT_EQ(mine.value.items.size(), 3u);
  ASSERT_TRUE(
      svc.ask(probe_set_delete{who, mine.value.items[0].id, std::nullopt, svc.deadline()}).ok());
  EXPECT_TRUE(svc.ask(probe_set_create{who, sample_set("after-delete"), svc.deadline()}).ok());
}

TEST(probe_sets_pg, the_store_round_trips_and_scans_keep_their_copy) {
  pg_service pg;
  service& svc = *pg.svc;
  principal who = test::someone("set-owner");
  auto created = svc.ask(probe_set_create{who, sample_set("round-trip"), svc.deadline()});
  ASSERT_TRUE(created.ok()) << created.error->detail;
  EXPECT_EQ(created.value.version, 1);
  auto clash = svc.ask(probe_set_create{who, sample_set("round-trip"), svc.deadline()});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error->code, errc::conflict);
  auto got = svc.ask(probe_set_get{who, "round-trip", svc.deadline()});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value.prompts, sample_set("x").prompts);
  EXPECT_EQ(got.value.frameworks.mitre_atlas, (std::vector<std::string>{"AML.T0051"}));
  EXPECT_TRUE(detect(got.value.detector, "a LEAK").vulnerable);  // compiled again when read
  EXPECT_FALSE(
      svc.ask(probe_set_get{test::someone("stranger"), "round-trip", svc.deadline()}).ok());

  probe_set_patch change;
  change.prompts = std::vector<std::string>{"only"};
  auto stale = svc.ask(probe_set_update{who, "round-trip", change, 7, svc.deadline()});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error->code, errc::precondition_failed);
  auto changed = svc.ask(probe_set_update{who, "round-trip", change, 1, svc.deadline()});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed.value.version, 2);
  auto listed = svc.ask(probe_set_list{who, 1, 20, svc.deadline()});
  ASSERT_EQ(listed.value.total, 1);
  EXPECT_TRUE(listed.value.items[0].prompts.empty());  // lists never read the prompts
  EXPECT_EQ(listed.value.items[0].prompt_count, 1);

  // A scan keeps the version it was created with; the copy outlives the set.
  mock::mock_target mock({"safe"});
  target t = test::sample_target("for-sets");
  t.endpoint_url = mock.url() + "/v1";
  auto tg = svc.ask(target_create{who, t, svc.deadline()});
  ASSERT_TRUE(tg.ok());
  auto s = svc.ask(scan_create{who,
                               scan_request{tg.value.id,
                                            {"round-trip"},
                                            std::nullopt,
                                            1,
                                            std::nullopt,
                                            {},
                                            std::nullopt,
                                            std::nullopt},
                               svc.deadline()});
  ASSERT_TRUE(s.ok()) << s.error->detail;
  ASSERT_EQ(s.value.probe_sets.size(), 1u);
  EXPECT_EQ(s.value.probe_sets[0].version, 2);
  ASSERT_TRUE(svc.ask(probe_set_delete{who, "round-trip", std::nullopt, svc.deadline()}).ok());
  EXPECT_EQ(test::pg_query(
                pg.url, "SELECT version FROM scan_probe_sets WHERE scan_id = '" + s.value.id + "'"),
            "2");
  auto again = svc.ask(scan_get{who, s.value.id, svc.deadline()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value.probe_sets[0].source, "user");
  EXPECT_EQ(again.value.probe_sets[0].version, 2);
}

TEST(quota_pg, an_exceeded_quota_is_409_problem_json) {
  pg_service pg(env_map{{"MAX_TARGETS_PER_USER", "1"}});
  service& svc = *pg.svc;
  svc.ask(
      user_register{"quota", "quota@example.com", "passw0rd-quota", std::nullopt, svc.deadline()});
  auto tokens = svc.ask(user_login{"quota", "passw0rd-quota", {}, svc.deadline()});
  ASSERT_TRUE(tokens.ok());
  http::api api(svc, *pg.m, pg.cfg);
  auto post = [&](const std::string& name) {
    json body = {{"name", name},
                 {"kind", "openai-chat"},
                 {"endpoint_url", "http://127.0.0.1:9/v1/chat/completions"},
                 {"model", "m"}};
    std::string text = body.dump();
    http::api_request r = anonymous("POST", "/api/v1/targets",
                                    {{"Authorization", "Bearer " + tokens.value.access_token},
                                     {"Content-Type", "application/json"},
                                     {"Content-Length", std::to_string(text.size())}});
    r.read_body = http::body_from(text);
    return api.handle(r);
  };
  EXPECT_EQ(post("first").status, 201);
  auto refused = post("second");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.content_type, "application/problem+json; charset=utf-8");
  json p = json::parse(refused.body);
  EXPECT_EQ(p["status"], 409);
  EXPECT_EQ(p["error_code"], "QUOTA_EXCEEDED");
  EXPECT_EQ(p["detail"], "The quota MAX_TARGETS_PER_USER=1 is reached: delete a target first.");
}

}  // namespace
}  // namespace vutf
