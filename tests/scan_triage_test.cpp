// Findings triage and scan diffs (issue 12): finding ids, the triage rules and the diff as pure
// functions, then end to end against the mock target: PATCH /scans/{id}/findings/{finding_id}
// (audited), a false positive suppressed in the owner's later scans of its target (counts,
// reports, gate) until it is lifted, GET /scans/{id}/diff with an implicit and a named baseline,
// and every refusal.
#include <algorithm>

#include "domain/findings.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

scan_result finding(const std::string& probe, const std::string& prompt,
                    std::optional<std::string> converter = std::nullopt) {
  scan_result r;
  r.probe = probe;
  r.prompt = prompt;
  r.converter = std::move(converter);
  r.vulnerable = true;
  r.severity = "high";
  return r;
}

std::vector<std::string> prompts_of(const std::vector<scan_result>& list) {
  std::vector<std::string> out;
  for (const auto& r : list)
    out.push_back(r.probe + "/" + r.prompt + "/" + r.converter.value_or(""));
  return out;
}

TEST(finding_ids, name_their_scan_and_read_back) {
  std::string scan = "0193a5c4-1b2c-7d3e-8f40-123456789abc";
  EXPECT_EQ(finding_id(scan, 42), scan + ".42");
  auto parsed = parse_finding_id(scan + ".42");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, scan);
  EXPECT_EQ(parsed->second, 42);
  EXPECT_TRUE(parse_finding_id(scan + ".0"));
  for (const std::string& bad :
       std::vector<std::string>{"42", scan, scan + ".", scan + ".-1", scan + ".01", scan + ".4x",
                                scan + ".1234567890123456789", "not-a-uuid.1"})
    EXPECT_FALSE(parse_finding_id(bad)) << bad;
}

TEST(finding_fingerprint, is_the_set_the_prompt_and_the_converter) {
  EXPECT_EQ(finding_fingerprint(finding("a", "p")), finding_fingerprint(finding("a", "p")));
  EXPECT_NE(finding_fingerprint(finding("a", "p")), finding_fingerprint(finding("b", "p")));
  EXPECT_NE(finding_fingerprint(finding("a", "p")), finding_fingerprint(finding("a", "q")));
  EXPECT_NE(finding_fingerprint(finding("a", "p")),
            finding_fingerprint(finding("a", "p", "base64")));
  EXPECT_EQ(finding_fingerprint(finding("a", "p")).size(), 64u);
}

TEST(triage_change, names_every_broken_rule) {
  triage_change ok;
  ok.status = "false_positive";
  EXPECT_TRUE(validate(ok).empty());
  triage_change note_only;
  note_only.note_given = true;  // null: clears the note
  EXPECT_TRUE(validate(note_only).empty());
  EXPECT_EQ(validate(triage_change{}).size(), 1u);  // nothing to change
  triage_change bad;
  bad.status = "wontfix";
  bad.note_given = true;
  bad.note = std::string(max_note_chars + 1, 'n');
  auto errors = validate(bad);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "status");
  EXPECT_EQ(errors[1].field, "note");
  // Characters, not bytes: 2000 two-byte characters fit.
  std::string wide;
  for (size_t i = 0; i < max_note_chars; ++i) wide += "\xC3\xA9";
  triage_change accented;
  accented.note_given = true;
  accented.note = wide;
  EXPECT_TRUE(validate(accented).empty());
}

TEST(scan_diff, sorts_findings_into_new_fixed_and_persisting_by_their_attack) {
  scan before, now;
  before.id = "b";
  before.done = 4;
  before.findings = {0, 0, 2, 0};
  now.id = "n";
  now.done = 4;
  now.findings = {0, 0, 3, 0};
  std::vector<scan_result> old_findings = {finding("a", "p1"), finding("a", "p2")};
  std::vector<scan_result> new_findings = {finding("a", "p1"), finding("a", "p2", "base64"),
                                           finding("b", "p1")};
  scan_diff d = diff_scans(before, old_findings, now, new_findings, {});
  EXPECT_EQ(d.baseline_id, "b");
  EXPECT_EQ(d.scan_id, "n");
  EXPECT_EQ(prompts_of(d.persisting), (std::vector<std::string>{"a/p1/"}));
  EXPECT_EQ(prompts_of(d.added), (std::vector<std::string>{"a/p2/base64", "b/p1/"}));
  EXPECT_EQ(prompts_of(d.fixed), (std::vector<std::string>{"a/p2/"}));
  EXPECT_DOUBLE_EQ(d.baseline_rate, 0.5);
  EXPECT_DOUBLE_EQ(d.current_rate, 0.75);
}

TEST(scan_diff, leaves_out_false_positives_and_suppressed_attacks_on_both_sides) {
  scan before, now;
  std::vector<scan_result> old_findings = {finding("a", "p1"), finding("a", "p2")};
  old_findings[1].triage = "false_positive";  // marked after the baseline ran
  std::vector<scan_result> new_findings = {finding("a", "p1"), finding("a", "p2"),
                                           finding("a", "p3")};
  // a/p1 is suppressed since the scan ran: neither fixed nor persisting.
  scan_diff d = diff_scans(before, old_findings, now, new_findings,
                           {finding_fingerprint(finding("a", "p1"))});
  EXPECT_TRUE(d.fixed.empty());
  EXPECT_TRUE(d.persisting.empty());
  // a/p2 was a false positive in the baseline and is a finding now: new.
  EXPECT_EQ(prompts_of(d.added), (std::vector<std::string>{"a/p2/", "a/p3/"}));
  // Accepted or fixed findings still count: only false_positive suppresses.
  old_findings[0].triage = "accepted";
  d = diff_scans(before, old_findings, now, new_findings, {});
  EXPECT_EQ(prompts_of(d.persisting), (std::vector<std::string>{"a/p1/"}));
}

TEST(scan_diff, a_baseline_is_another_completed_scan_of_the_same_owner_and_target) {
  scan current;
  current.id = "c";
  current.owner_id = "u";
  current.target_id = "t";
  scan base = current;
  base.id = "b";
  base.status = "completed";
  EXPECT_TRUE(check_baseline(current, &base).empty());
  EXPECT_EQ(check_baseline(current, nullptr).at(0).field, "baseline");
  EXPECT_EQ(check_baseline(current, &current).size(), 1u);
  scan other = base;
  other.target_id = "t2";
  EXPECT_EQ(check_baseline(current, &other).size(), 1u);
  other = base;
  other.owner_id = "u2";
  EXPECT_EQ(check_baseline(current, &other).size(), 1u);
  other = base;
  other.status = "cancelled";
  auto errors = check_baseline(current, &other);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("cancelled"), std::string::npos);
}

class scan_triage_api : public api_test {
 protected:
  json findings_of(const json& scan) {
    return json::parse(call("GET", "/api/v1/scans/" + scan["id"].get<std::string>() + "/findings",
                            "", {}, {{"per_page", "100"}})
                           .body);
  }
  api_response triage(const json& scan, const std::string& finding, const json& body) {
    return call("PATCH", "/api/v1/scans/" + scan["id"].get<std::string>() + "/findings/" + finding,
                body.dump());
  }
  json scan_of(const std::string& target, json extra = json::object()) {
    json body = {{"target_id", target}, {"probes", {"pii-leak"}}, {"max_prompts", 2}};
    body.update(extra);
    return scan_to_end(body);
  }
  json diff(const json& scan, const std::string& baseline = "") {
    http::header_list q;
    if (!baseline.empty()) q.emplace_back("baseline", baseline);
    auto r = call("GET", "/api/v1/scans/" + scan["id"].get<std::string>() + "/diff", "", {}, q);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  static std::vector<std::string> seqs(const json& list) {
    std::vector<std::string> out;
    for (const auto& f : list)
      out.push_back(f["probe"].get<std::string>() + "/" + f["prompt"].get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(scan_triage_api, a_finding_s_status_and_note_change_and_the_change_is_audited) {
  mock::mock_target vulnerable({"vulnerable"});
  json s = scan_of(target_at(vulnerable.url()));
  ASSERT_EQ(s["summary"]["findings"], 2) << s.dump();
  json listed = findings_of(s)["items"];
  ASSERT_EQ(listed.size(), 2u);
  std::string id = listed[0]["id"];
  EXPECT_EQ(id, s["id"].get<std::string>() + "." + std::to_string(listed[0]["seq"].get<int>()));
  EXPECT_EQ(listed[0]["status"], "open");
  EXPECT_EQ(listed[0]["note"], nullptr);

  auto r = triage(s, id, {{"status", "accepted"}, {"note", "known, tracked in JIRA-1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json changed = json::parse(r.body);
  EXPECT_EQ(changed["id"], id);
  EXPECT_EQ(changed["status"], "accepted");
  EXPECT_EQ(changed["note"], "known, tracked in JIRA-1");
  // Only the note: the status stays; then a null note clears it.
  changed = json::parse(triage(s, id, {{"note", "re-checked"}}).body);
  EXPECT_EQ(changed["status"], "accepted");
  EXPECT_EQ(changed["note"], "re-checked");
  changed = json::parse(triage(s, id, {{"note", nullptr}}).body);
  EXPECT_EQ(changed["note"], nullptr);
  // An accepted finding still counts; every report shows the id and status.
  json again = json::parse(call("GET", "/api/v1/scans/" + s["id"].get<std::string>()).body);
  EXPECT_EQ(again["summary"]["findings"], 2);
  json report = json::parse(report_of(s, "json"));
  EXPECT_EQ(report["findings"][0]["id"], id);
  EXPECT_EQ(report["findings"][0]["status"], "accepted");
  EXPECT_NE(report_of(s, "csv").find("," + id + ",accepted,"), std::string::npos);
  EXPECT_NE(report_of(s, "markdown").find("Finding `" + id + "`, accepted"), std::string::npos);
  EXPECT_NE(report_of(s, "html").find("<code>" + id + "</code>, accepted"), std::string::npos);
  json sarif = json::parse(report_of(s, "sarif"));
  EXPECT_EQ(sarif["runs"][0]["results"][0]["properties"]["finding_id"], id);
  EXPECT_EQ(sarif["runs"][0]["results"][0]["properties"]["status"], "accepted");

  http::header_list admin = {{"Authorization", "Bearer " + token_for("root")}};
  json page;
  ASSERT_TRUE(test::eventually([&] {
    page = json::parse(
        call("GET", "/api/v1/audit-logs", "", admin, {{"action", "finding.triage"}}).body);
    return page["total"] == 3;
  })) << page.dump();
  EXPECT_EQ(page["items"][0]["resource_type"], "finding");
  EXPECT_EQ(page["items"][0]["resource_id"], id);
  EXPECT_EQ(page["items"][0]["outcome"], "success");
  // A finding's id is a resource id the trail can be filtered by.
  page = json::parse(call("GET", "/api/v1/audit-logs", "", admin,
                          {{"resource_id", id}, {"action", "finding.triage"}})
                         .body);
  EXPECT_EQ(page["total"], 3) << page.dump();
}

TEST_F(scan_triage_api, a_false_positive_is_suppressed_in_later_scans_of_its_target_until_lifted) {
  mock::mock_target vulnerable({"vulnerable"});
  std::string target = target_at(vulnerable.url()), other = target_at(vulnerable.url());
  // Both prompts are findings: the rate is 1, over the gate's 0.5.
  json gate = {{"fail_on", {{"max_attack_success_rate", 0.5}}}};
  json first = scan_of(target, gate);
  ASSERT_EQ(first["gate"], "fail") << first.dump();
  json listed = findings_of(first)["items"];
  ASSERT_EQ(listed.size(), 2u);
  std::string marked = listed[0]["id"];
  auto r = triage(first, marked, {{"status", "false_positive"}, {"note", "test data, not PII"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // It no longer counts in its own scan either, and is listed with the results only.
  json now = json::parse(call("GET", "/api/v1/scans/" + first["id"].get<std::string>()).body);
  EXPECT_EQ(now["summary"]["findings"], 1);
  EXPECT_EQ(now["summary"]["attack_success_rate"], 0.5);
  EXPECT_EQ(now["gate"], "pass");
  EXPECT_EQ(findings_of(first)["total"], 1);

  // A later scan of the target records the same attack as a false positive, with the note.
  json second = scan_of(target, gate);
  EXPECT_EQ(second["summary"]["findings"], 1) << second.dump();
  EXPECT_EQ(second["summary"]["attack_success_rate"], 0.5);
  EXPECT_EQ(second["gate"], "pass");
  json found = findings_of(second);
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_NE(found["items"][0]["prompt"], listed[0]["prompt"]);
  json report = json::parse(report_of(second, "json"));
  EXPECT_EQ(report["findings"].size(), 1u);
  EXPECT_EQ(report["findings_by_probe"]["pii-leak"], 1);
  EXPECT_EQ(json::parse(report_of(second, "sarif"))["runs"][0]["results"].size(), 1u);
  std::string junit = report_of(second, "junit");
  EXPECT_NE(junit.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(junit.find("<skipped message=\"false positive: test data, not PII\"/>"),
            std::string::npos)
      << junit;
  json suppressed;
  for (const auto& x : results_of(second))
    if (x["prompt"] == listed[0]["prompt"]) suppressed = x;
  EXPECT_EQ(suppressed["vulnerable"], true);
  EXPECT_EQ(suppressed["status"], "false_positive");
  EXPECT_EQ(suppressed["note"], "test data, not PII");
  // ... and the diff does not call it fixed or new.
  json d = diff(second);
  EXPECT_EQ(d["baseline"], first["id"]);
  EXPECT_EQ(d["new"].size(), 0u);
  EXPECT_EQ(d["fixed"].size(), 0u);
  EXPECT_EQ(d["persisting"].size(), 1u);

  // Another target of the owner is not covered by it.
  EXPECT_EQ(scan_of(other, gate)["summary"]["findings"], 2);

  // Lifted: the first scan counts it again, later scans of the target find it again.
  r = triage(first, marked, {{"status", "open"}});
  ASSERT_EQ(r.status, 200) << r.body;
  now = json::parse(call("GET", "/api/v1/scans/" + first["id"].get<std::string>()).body);
  EXPECT_EQ(now["summary"]["findings"], 2);
  EXPECT_EQ(now["gate"], "fail");
  json third = scan_of(target, gate);
  EXPECT_EQ(third["summary"]["findings"], 2);
  EXPECT_EQ(third["gate"], "fail");
  // The second scan keeps its own mark until it is changed there.
  EXPECT_EQ(json::parse(call("GET", "/api/v1/scans/" + second["id"].get<std::string>())
                            .body)["summary"]["findings"],
            1);
}

TEST_F(scan_triage_api, a_diff_lists_new_fixed_and_persisting_findings_against_a_baseline) {
  // The set's first prompt is echoed back by the vulnerable mock, canary and all; the attacker
  // mode answers every prompt with the canary. pii-leak fires in vulnerable mode only.
  json set = {{"id", "echo"},
              {"name", "Echo"},
              {"category", "LLM01"},
              {"prompts", {"Please tell me a little more about it", "Hello there"}},
              {"detector", {{"type", "canary"}, {"canary", "tell me a little more"}}}};
  ASSERT_EQ(call("POST", "/api/v1/probe-sets", set.dump()).status, 201);
  mock::mock_target mock({"vulnerable"});
  std::string target = target_at(mock.url());
  json body = {{"target_id", target}, {"probes", {"echo", "pii-leak"}}};
  json before = scan_to_end(body);
  int64_t pii = before["progress"]["done"].get<int64_t>() - 2;
  ASSERT_EQ(before["summary"]["findings"], 1 + pii) << before.dump();
  mock.set_mode("attacker");
  json after = scan_to_end(body);
  ASSERT_EQ(after["summary"]["findings"], 2) << after.dump();

  json d = diff(after);  // the implicit baseline: the scan before it
  EXPECT_EQ(d["baseline"], before["id"]);
  EXPECT_EQ(d["scan"], after["id"]);
  EXPECT_EQ(seqs(d["persisting"]),
            (std::vector<std::string>{"echo/Please tell me a little more about it"}));
  EXPECT_EQ(seqs(d["new"]), (std::vector<std::string>{"echo/Hello there"}));
  EXPECT_EQ(d["fixed"].size(), static_cast<size_t>(pii));
  for (const auto& f : d["fixed"]) {
    EXPECT_EQ(f["probe"], "pii-leak");
    EXPECT_EQ(f["id"].get<std::string>().rfind(before["id"].get<std::string>(), 0), 0u);
  }
  double total = static_cast<double>(pii + 2);
  EXPECT_NEAR(d["attack_success_rate"]["baseline"].get<double>(), (1 + pii) / total, 1e-3);
  EXPECT_NEAR(d["attack_success_rate"]["current"].get<double>(), 2 / total, 1e-3);
  EXPECT_NEAR(d["attack_success_rate"]["delta"].get<double>(), (1 - pii) / total, 1e-3);

  // Named the other way round: what was new is fixed.
  json back = diff(before, after["id"]);
  EXPECT_EQ(back["baseline"], after["id"]);
  EXPECT_EQ(seqs(back["fixed"]), (std::vector<std::string>{"echo/Hello there"}));
  EXPECT_EQ(back["new"].size(), static_cast<size_t>(pii));
}

TEST_F(scan_triage_api, bad_triage_and_bad_baselines_are_refused_with_every_reason) {
  mock::mock_target vulnerable({"vulnerable"});
  std::string target = target_at(vulnerable.url());
  json s = scan_of(target);
  std::string id = s["id"];
  std::string found = findings_of(s)["items"][0]["id"];
  // Every bad field at once.
  auto r = triage(
      s, found, {{"status", "wontfix"}, {"note", std::string(max_note_chars + 1, 'x')}, {"x", 1}});
  expect_problem(r, 422, "VALIDATION_ERROR");
  std::set<std::string> fields;
  json problem = json::parse(r.body);
  for (const auto& e : problem["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"status", "note", "x"})) << r.body;
  expect_problem(triage(s, found, json::object()), 422, "VALIDATION_ERROR");
  expect_problem(triage(s, found, {{"status", 3}, {"note", false}}), 422, "VALIDATION_ERROR");
  expect_problem(
      call("PATCH", "/api/v1/scans/" + id + "/findings/" + found, "{\"status\": \"open\""), 400,
      "BAD_REQUEST");
  // Unknown, malformed, a result that is no finding, and a finding of another scan: not found.
  json other = scan_of(target);
  std::string theirs = findings_of(other)["items"][0]["id"];
  for (const std::string& bad : std::vector<std::string>{id + ".999", "nope", theirs})
    expect_problem(triage(s, bad, {{"status", "open"}}), 404, "NOT_FOUND");
  mock::mock_target safe({"safe"});
  json clean = scan_of(target_at(safe.url()));
  expect_problem(triage(clean, clean["id"].get<std::string>() + ".0", {{"status", "open"}}), 404,
                 "NOT_FOUND");
  // Another user sees neither the scan nor its findings.
  std::string stranger = token_for("stranger");
  http::header_list as_stranger = {{"Authorization", "Bearer " + stranger}};
  expect_problem(call("PATCH", "/api/v1/scans/" + id + "/findings/" + found, R"({"status":"open"})",
                      as_stranger),
                 404, "NOT_FOUND");
  expect_problem(call("GET", "/api/v1/scans/" + id + "/diff", "", as_stranger), 404, "NOT_FOUND");

  // The first scan of a target has nothing before it.
  expect_problem(call("GET", "/api/v1/scans/" + clean["id"].get<std::string>() + "/diff"), 409,
                 "NO_BASELINE");
  auto bad_baseline = [&](const std::string& baseline) {
    auto b = call("GET", "/api/v1/scans/" + other["id"].get<std::string>() + "/diff", "", {},
                  {{"baseline", baseline}});
    expect_problem(b, 422, "VALIDATION_ERROR");
    EXPECT_EQ(json::parse(b.body)["errors"][0]["field"], "baseline") << b.body;
  };
  bad_baseline("not-a-uuid");
  bad_baseline(make_uuid());                     // no such scan
  bad_baseline(clean["id"].get<std::string>());  // another target
  bad_baseline(other["id"].get<std::string>());  // itself
  json theirs_scan =
      json::parse(call("POST", "/api/v1/scans",
                       json{{"target_id", target_at(vulnerable.url(), json::object(), stranger)},
                            {"probes", {"pii-leak"}}}
                           .dump(),
                       as_stranger)
                      .body);
  bad_baseline(theirs_scan["id"].get<std::string>());  // another user's
  // A scan that did not complete is no baseline (each prompt now takes 1.5 s: it is cancelled
  // long before it could end).
  vulnerable.set_mode("slow");
  auto running =
      call("POST", "/api/v1/scans",
           json{{"target_id", target}, {"probes", {"pii-leak"}}, {"concurrency", 1}}.dump());
  ASSERT_EQ(running.status, 202);
  std::string cancelled = json::parse(running.body)["id"];
  ASSERT_EQ(call("POST", "/api/v1/scans/" + cancelled + "/cancel").status, 202);
  bad_baseline(cancelled);
  // Without one, the completed scan before `other` is `s`.
  EXPECT_EQ(diff(other)["baseline"], id);
}

}  // namespace
}  // namespace vutf
