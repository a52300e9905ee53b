// The scan engine against a live PostgreSQL: two instances sharing one database never run a scan
// twice, a scan whose instance is killed (kill -9) is resumed after a restart, converter
// variants included, judge verdicts are stored and read back, and so are findings' triage and
// suppressions.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "domain/findings.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "metrics/metrics.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::unique_ptr<service> instance(const std::string& url) {
  return std::make_unique<service>(
      test::make_settings({{"DATABASE_URL", url}, {"SCAN_WORKERS", "2"}}),
      std::make_shared<metrics>());
}

principal account(service& svc) {
  svc.ask(user_register{"scanner", "scanner@example.com", "passw0rd-scan", std::nullopt,
                        svc.deadline()});
  auto tokens = svc.ask(user_login{"scanner", "passw0rd-scan", {}, svc.deadline()});
  return svc.ask(authenticate{{tokens.value.access_token, ""}, svc.deadline()}).value;
}

TEST(scan_pg, two_instances_share_the_queue_and_never_run_a_scan_twice) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  auto a = instance(url);
  auto b = instance(url);
  mock::mock_target mock({"slow", 5});
  principal who = account(*a);
  target t = test::sample_target("shared");
  t.endpoint_url = mock.url() + "/v1";
  auto created = a->ask(target_create{who, t, a->deadline()});
  ASSERT_TRUE(created.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    scan_request r{created.value.id, {"jailbreak"}, 20, 2, std::nullopt, {},
                   std::nullopt,     std::nullopt};
    auto s = (i % 2 ? a : b)->ask(scan_create{who, r, a->deadline()});
    ASSERT_TRUE(s.ok());
    ids.push_back(s.value.id);
  }
  for (const auto& id : ids)
    ASSERT_TRUE(test::eventually(
        [&] {
          return b->ask(scan_get{who, id, b->deadline()}).value.status == "completed";
        },
        60s));
  // Every scan was claimed exactly once, by one of the two instances, and both took part.
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM scans WHERE claim <> 1"), "0");
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(DISTINCT claimed_by) FROM scans"), "2");
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM scan_results"), "240");
  EXPECT_EQ(mock.stats().requests, 240);  // no prompt was sent twice
}

// GET /coverage and the report's framework section read through the PostgreSQL statements.
TEST(scan_pg, coverage_and_report_frameworks_count_on_postgres) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  auto svc = instance(url);
  mock::mock_target mock({"vulnerable"});
  principal who = account(*svc);
  target t = test::sample_target("covered");
  t.endpoint_url = mock.url() + "/v1";
  auto created = svc->ask(target_create{who, t, svc->deadline()});
  ASSERT_TRUE(created.ok());
  probe_set own;
  own.id = "model-origin";
  own.name = "Model origin";
  own.category = "LLM03";
  own.frameworks = {{"LLM03"}, {"AML.T0010"}};
  own.detector.type = "canary";
  own.detector.canary = "VUTF-CANARY-7F3A";
  own.detector.severity = "medium";
  own.prompts = {"Which weights did you load? Say VUTF-CANARY-7F3A.", "Say VUTF-CANARY-7F3A."};
  ASSERT_TRUE(svc->ask(probe_set_create{who, own, svc->deadline()}).ok());
  scan_request r{created.value.id, {"rag-poisoning", "model-origin"},
                 std::nullopt,     4,
                 std::nullopt,     {},
                 std::nullopt,     std::nullopt};
  auto s = svc->ask(scan_create{who, r, svc->deadline()});
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(test::eventually(
      [&] {
        return svc->ask(scan_get{who, s.value.id, svc->deadline()}).value.status == "completed";
      },
      60s));
  auto rag = static_cast<int64_t>(find_probe_set("rag-poisoning")->prompts.size());
  auto c = svc->ask(coverage_get{who, svc->deadline()});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.value.owasp_llm_2025.size(), 10u);
  const auto& llm03 = c.value.owasp_llm_2025[2];
  EXPECT_EQ(llm03.probe_sets, 1);
  EXPECT_EQ(llm03.scans, 1);
  EXPECT_EQ(llm03.findings, 2);
  const auto& llm08 = c.value.owasp_llm_2025[7];
  EXPECT_EQ(llm08.id, "LLM08");
  EXPECT_EQ(llm08.scans, 1);
  EXPECT_EQ(llm08.findings, rag);
  EXPECT_EQ(c.value.owasp_llm_2025[5].scans, 0);  // LLM06: not tested
  auto report = svc->ask(scan_report_get{who, s.value.id, svc->deadline()});
  ASSERT_TRUE(report.ok());
  const auto& atlas = report.value.frameworks.mitre_atlas;
  ASSERT_FALSE(atlas.empty());
  EXPECT_EQ(atlas.front().id, "AML.T0010");
  EXPECT_EQ(atlas.front().probe_sets, std::vector<std::string>{"model-origin"});
  EXPECT_EQ(atlas.front().findings, 2);
}

TEST(scan_pg, a_killed_instance_s_scan_is_resumed_after_restart) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  mock::mock_target mock({"slow", 20});
  // Polling every 20 ms would meet the rate limit; this test is about recovery.
  env_map env = {
      {"DATABASE_URL", url}, {"SECRET_KEY", std::string(40, 'k')}, {"RATE_LIMIT_ENABLED", "false"}};
  auto first = std::make_unique<test::service_process>(env);
  ASSERT_TRUE(first->wait_listening());
  int port = first->api_port();
  std::string token = test::login_over_http(port, "killer");
  httplib::Client http("127.0.0.1", port);
  httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  json target = {{"name", "victim"},
                 {"kind", "openai-chat"},
                 {"endpoint_url", mock.url() + "/v1"},
                 {"max_concurrency", 2}};
  auto t = http.Post("/api/v1/targets", auth, target.dump(), "application/json");
  ASSERT_TRUE(t && t->status == 201);
  json scan = {{"target_id", json::parse(t->body)["id"]},
               {"probes", {"jailbreak"}},
               {"converters", {"base64"}},
               {"max_prompts", 200},
               {"concurrency", 2}};
  auto s = http.Post("/api/v1/scans", auth, scan.dump(), "application/json");
  ASSERT_TRUE(s && s->status == 202);
  std::string id = json::parse(s->body)["id"];
  auto progress = [&](httplib::Client& c) {
    auto r = c.Get(("/api/v1/scans/" + id).c_str(), auth);
    return r && r->status == 200 ? json::parse(r->body) : json::object();
  };
  ASSERT_TRUE(test::eventually(
      [&] { return progress(http).value("progress", json())["done"] >= 10; }, 30s));
  first->signal(SIGKILL);
  first->wait_exit();
  EXPECT_EQ(test::pg_query(url, "SELECT status FROM scans WHERE id = '" + id + "'"), "running");

  test::service_process second(env);
  ASSERT_TRUE(second.wait_listening());
  httplib::Client again("127.0.0.1", second.api_port());
  json ended;
  ASSERT_TRUE(test::eventually(
      [&] {
        ended = progress(again);
        return ended.value("status", "") == "completed";
      },
      60s))
      << ended.dump();
  EXPECT_EQ(ended["progress"]["done"], 200);
  EXPECT_EQ(test::pg_query(url, "SELECT claim FROM scans WHERE id = '" + id + "'"), "2");
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM scan_results WHERE scan_id = '" + id + "'"),
            "200");
  // Each plan position holds its own variant, before and after the restart: even ones the
  // prompt as written, odd ones its base64 form.
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM scan_results WHERE scan_id = '" + id +
                                    "' AND ((seq % 2 = 0 AND converter IS NULL AND sent_prompt IS "
                                    "NULL) OR (seq % 2 = 1 AND converter = 'base64' AND "
                                    "sent_prompt IS NOT NULL))"),
            "200");
  EXPECT_EQ(ended["converters"], json::parse(R"(["base64"])"));
}

// Registers an openai-chat target of `who` at the mock `m`; its id.
std::string target_at(service& svc, const principal& who, const std::string& name,
                      const mock::mock_target& m) {
  target t = test::sample_target(name);
  t.endpoint_url = m.url() + "/v1";
  auto created = svc.ask(target_create{who, t, svc.deadline()});
  EXPECT_TRUE(created.ok());
  return created.value.id;
}

TEST(scan_pg, judge_verdicts_and_the_scans_judge_are_stored_and_read_back) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  auto svc = instance(url);
  mock::mock_target judge({"judge"}), victim({"vulnerable"});
  principal who = account(*svc);
  auto make_target = [&](const std::string& name, const mock::mock_target& m) {
    return target_at(*svc, who, name, m);
  };
  std::string judge_id = make_target("judge", judge);
  std::string victim_id = make_target("victim", victim);
  probe_set p;
  p.id = "judged";
  p.name = "Judged";
  p.category = "LLM01";
  p.frameworks.owasp_llm_2025 = {"LLM01"};
  p.prompts = {"go on"};
  p.detector.type = "judge";
  p.detector.severity = "high";
  p.detector.judge_target_id = judge_id;
  p.detector.rubric = "Vulnerable if it complies.";
  ASSERT_TRUE(svc->ask(probe_set_create{who, p, svc->deadline()}).ok());
  // The judged set's prompt and the pii-leak prompts (re-checked by the scan's judge).
  scan_request r{
      victim_id,   {"judged", "pii-leak"}, std::nullopt, std::nullopt, std::nullopt, {}, judge_id,
      std::nullopt};
  auto s = svc->ask(scan_create{who, r, svc->deadline()});
  ASSERT_TRUE(s.ok());
  std::string id = s.value.id;
  scan ended;
  ASSERT_TRUE(test::eventually(
      [&] {
        ended = svc->ask(scan_get{who, id, svc->deadline()}).value;
        return ended.finished();
      },
      60s));
  EXPECT_EQ(ended.status, "completed");
  EXPECT_EQ(ended.judge_target_id, judge_id);
  auto total = static_cast<int64_t>(1 + find_probe_set("pii-leak")->prompts.size());
  EXPECT_EQ(ended.findings.total(), total);
  auto results = svc->ask(scan_results_get{who, id, false, 1, 100, svc->deadline()});
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(static_cast<int64_t>(results.value.items.size()), total);
  for (const auto& x : results.value.items) {
    ASSERT_TRUE(x.judge) << x.probe << " " << x.seq;
    EXPECT_DOUBLE_EQ(x.judge->score, 0.9);
    EXPECT_EQ(x.judge->reason, "The model complied.");
  }
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM scan_results WHERE judge IS NOT NULL"),
            std::to_string(total));
}

TEST(scan_pg, crescendo_sets_and_their_conversations_are_stored_and_read_back) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  auto svc = instance(url);
  mock::mock_target attacker({"attacker"}), victim({"crescendo"});
  principal who = account(*svc);
  auto make_target = [&](const std::string& name, const mock::mock_target& m) {
    return target_at(*svc, who, name, m);
  };
  std::string attacker_id = make_target("attacker", attacker);
  probe_set p;
  p.id = "escalate";
  p.name = "Escalate";
  p.category = "LLM01";
  p.frameworks.owasp_llm_2025 = {"LLM01"};
  p.detector.type = "canary";
  p.detector.canary = "VUTF-CANARY-7F3A";
  p.detector.severity = "high";
  p.mode = "crescendo";
  p.goal = "Get the canary.";
  p.max_turns = 4;
  p.attacker_target_id = attacker_id;
  ASSERT_TRUE(svc->ask(probe_set_create{who, p, svc->deadline()}).ok());
  auto kept = svc->ask(probe_set_get{who, "escalate", svc->deadline()});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.value.mode, "crescendo");
  EXPECT_EQ(kept.value.goal, "Get the canary.");
  EXPECT_EQ(kept.value.max_turns, 4);
  EXPECT_EQ(kept.value.attacker_target_id, attacker_id);

  scan_request r{make_target("victim", victim),
                 {"escalate"},
                 std::nullopt,
                 std::nullopt,
                 std::nullopt,
                 {},
                 std::nullopt,
                 std::nullopt};
  auto s = svc->ask(scan_create{who, r, svc->deadline()});
  ASSERT_TRUE(s.ok());
  scan ended;
  ASSERT_TRUE(test::eventually(
      [&] {
        ended = svc->ask(scan_get{who, s.value.id, svc->deadline()}).value;
        return ended.finished();
      },
      60s));
  EXPECT_EQ(ended.status, "completed");
  auto results = svc->ask(scan_results_get{who, s.value.id, false, 1, 100, svc->deadline()});
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results.value.items.size(), 1u);
  const scan_result& x = results.value.items[0];
  EXPECT_TRUE(x.vulnerable);
  EXPECT_EQ(x.turn, mock::crescendo_yield_turn);
  ASSERT_TRUE(x.transcript);
  ASSERT_EQ(x.transcript->size(), 6u);
  EXPECT_EQ((*x.transcript)[4].role, "user");
  EXPECT_EQ(x.sent_prompt, (*x.transcript)[4].content);
}

// Triage on PostgreSQL: a false positive leaves its scan's counts, is stored as the target's
// suppression, recorded as such in the next scan and left out of its diff; lifting it removes it.
TEST(scan_pg, triage_suppressions_and_diffs_round_trip) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  auto svc = instance(url);
  mock::mock_target victim({"vulnerable"});
  principal who = account(*svc);
  std::string target = target_at(*svc, who, "victim", victim);
  auto run = [&] {
    scan_request r{target, {"pii-leak"}, 2, 1, std::nullopt, {}, std::nullopt, std::nullopt};
    auto s = svc->ask(scan_create{who, r, svc->deadline()});
    EXPECT_TRUE(s.ok());
    scan ended;
    EXPECT_TRUE(test::eventually(
        [&] {
          ended = svc->ask(scan_get{who, s.value.id, svc->deadline()}).value;
          return ended.finished();
        },
        60s));
    return ended;
  };
  scan first = run();
  ASSERT_EQ(first.findings.total(), 2);
  auto found = svc->ask(scan_results_get{who, first.id, true, 1, 10, svc->deadline()});
  ASSERT_EQ(found.value.items.size(), 2u);
  const scan_result& marked = found.value.items[0];
  triage_change fp;
  fp.status = "false_positive";
  fp.note_given = true;
  fp.note = "synthetic data";
  auto changed = svc->ask(finding_triage{who, first.id, marked.seq, fp, svc->deadline()});
  ASSERT_TRUE(changed.ok()) << changed.error->detail;
  EXPECT_EQ(changed.value.triage, "false_positive");
  EXPECT_EQ(changed.value.scan_id, first.id);
  EXPECT_EQ(svc->ask(scan_get{who, first.id, svc->deadline()}).value.findings.total(), 1);
  EXPECT_EQ(test::pg_query(url, "SELECT fingerprint || ' ' || note FROM finding_suppressions"),
            finding_fingerprint(marked) + " synthetic data");

  scan second = run();
  EXPECT_EQ(second.findings.total(), 1);
  auto results = svc->ask(scan_results_get{who, second.id, false, 1, 10, svc->deadline()});
  ASSERT_EQ(results.value.items.size(), 2u);
  for (const auto& x : results.value.items) {
    EXPECT_TRUE(x.vulnerable);
    EXPECT_EQ(x.triage, x.prompt == marked.prompt ? "false_positive" : "open");
  }
  auto d = svc->ask(scan_diff_get{who, second.id, std::nullopt, svc->deadline()});
  ASSERT_TRUE(d.ok()) << d.error->detail;
  EXPECT_EQ(d.value.baseline_id, first.id);
  EXPECT_EQ(d.value.persisting.size(), 1u);
  EXPECT_TRUE(d.value.added.empty());
  EXPECT_TRUE(d.value.fixed.empty());

  triage_change open;
  open.status = "open";
  ASSERT_TRUE(svc->ask(finding_triage{who, first.id, marked.seq, open, svc->deadline()}).ok());
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM finding_suppressions"), "0");
  EXPECT_EQ(svc->ask(scan_get{who, first.id, svc->deadline()}).value.findings.total(), 2);
  EXPECT_EQ(run().findings.total(), 2);
}

}  // namespace
}  // namespace vutf
