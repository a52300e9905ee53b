// The scan workflow around a scan: gates for CI (POST /scans "fail_on": the pure verdict from a
// scan's counts, and end to end against the mock target, with every bad field of fail_on in one
// 422), polling (GET /scans/{id} with ETag and 304, in a rate budget of its own) and live
// progress as Server-Sent Events (GET /scans/{id}/events).
#include "domain/scan.hpp"
#include "http/routes/scan_events.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

scan ended(int64_t done, int64_t errors, severity_counts found, fail_rule rule) {
  scan s;
  s.status = "completed";
  s.done = done;
  s.errors = errors;
  s.findings = found;
  s.fail_on = rule;
  return s;
}

TEST(scan_gate, fails_on_a_finding_at_or_above_the_severity) {
  fail_rule high{"high", std::nullopt};
  EXPECT_EQ(gate_of(ended(10, 0, {3, 2, 0, 0}, high)), "pass");
  EXPECT_EQ(gate_of(ended(10, 0, {0, 0, 1, 0}, high)), "fail");
  EXPECT_EQ(gate_of(ended(10, 0, {0, 0, 0, 1}, high)), "fail");
  EXPECT_EQ(gate_of(ended(10, 0, {1, 0, 0, 0}, fail_rule{"low", std::nullopt})), "fail");
  EXPECT_EQ(gate_of(ended(10, 0, {0, 0, 0, 0}, fail_rule{"low", std::nullopt})), "pass");
}

TEST(scan_gate, fails_when_the_attack_success_rate_is_over_the_maximum) {
  fail_rule rate{std::nullopt, 0.25};
  // 2 findings of 8 answered prompts (2 calls failed): 0.25 is not over 0.25.
  scan s = ended(10, 2, {2, 0, 0, 0}, rate);
  EXPECT_DOUBLE_EQ(attack_success_rate(s), 0.25);
  EXPECT_EQ(gate_of(s), "pass");
  EXPECT_EQ(gate_of(ended(10, 2, {3, 0, 0, 0}, rate)), "fail");
  EXPECT_DOUBLE_EQ(attack_success_rate(ended(4, 4, {}, rate)), 0);  // nothing answered
}

TEST(scan_gate, has_no_verdict_without_a_rule_or_before_the_end_and_fails_unfinished_work) {
  scan s = ended(10, 0, {}, fail_rule{"high", std::nullopt});
  s.fail_on.reset();
  EXPECT_EQ(gate_of(s), std::nullopt);
  s = ended(10, 0, {}, fail_rule{"high", std::nullopt});
  s.status = "running";
  EXPECT_EQ(gate_of(s), std::nullopt);
  s.status = "failed";
  EXPECT_EQ(gate_of(s), "fail");
  s.status = "cancelled";
  EXPECT_EQ(gate_of(s), "fail");
}

class scan_gate_api : public api_test {};

TEST_F(scan_gate_api, a_vulnerable_target_fails_the_gate_and_a_safe_one_passes) {
  mock::mock_target vulnerable({"vulnerable"}), safe({"safe"});
  json rule = {{"severity", "high"}, {"max_attack_success_rate", 0.5}};
  json s = scan_to_end(
      {{"target_id", target_at(vulnerable.url())}, {"probes", {"pii-leak"}}, {"fail_on", rule}});
  EXPECT_EQ(s["status"], "completed") << s.dump();
  EXPECT_EQ(s["gate"], "fail");
  EXPECT_EQ(s["fail_on"], rule);
  EXPECT_EQ(s["summary"]["attack_success_rate"], 1);

  s = scan_to_end({{"target_id", target_at(safe.url())},
                   {"probes", {"pii-leak"}},
                   {"fail_on", {{"severity", "low"}}}});
  EXPECT_EQ(s["gate"], "pass") << s.dump();
  EXPECT_EQ(s["fail_on"]["max_attack_success_rate"], nullptr);
  EXPECT_EQ(s["summary"]["attack_success_rate"], 0);
  // Without fail_on there is no gate; the rate is shown all the same.
  s = scan_to_end({{"target_id", target_at(safe.url())}, {"probes", {"pii-leak"}}});
  EXPECT_EQ(s["gate"], nullptr);
  EXPECT_EQ(s["fail_on"], nullptr);
}

TEST_F(scan_gate_api, every_bad_field_of_fail_on_is_named) {
  mock::mock_target safe({"safe"});
  std::string target = target_at(safe.url());
  auto fields = [&](const json& fail_on) {
    auto r =
        call("POST", "/api/v1/scans",
             json{{"target_id", target}, {"probes", {"pii-leak"}}, {"fail_on", fail_on}}.dump());
    expect_problem(r, 422, "VALIDATION_ERROR");
    std::set<std::string> out;
    json problem = json::parse(r.body);
    for (const auto& e : problem["errors"]) out.insert(e["field"].get<std::string>());
    return out;
  };
  EXPECT_EQ(fields({{"severity", "severe"}, {"max_attack_success_rate", 1.5}}),
            (std::set<std::string>{"fail_on.severity", "fail_on.max_attack_success_rate"}));
  EXPECT_EQ(
      fields({{"severity", 3}, {"max_attack_success_rate", "half"}, {"on", true}}),
      (std::set<std::string>{"fail_on.severity", "fail_on.max_attack_success_rate", "fail_on.on"}));
  EXPECT_EQ(fields(json::object()), (std::set<std::string>{"fail_on"}));
  EXPECT_EQ(fields("high"), (std::set<std::string>{"fail_on"}));
}

class scan_polling : public api_test {
 protected:
  void SetUp() override {
    rate_limits_ = true;
    extra_settings_ = {{"RATE_LIMIT_PER_MINUTE", "10"}, {"RATE_LIMIT_POLL_PER_MINUTE", "500"}};
    api_test::SetUp();
  }
  api_response poll(const std::string& id, const std::string& if_none_match = "") {
    http::header_list h;
    if (!if_none_match.empty()) h.emplace_back("If-None-Match", if_none_match);
    return call("GET", "/api/v1/scans/" + id, "", h);
  }
};

TEST_F(scan_polling, an_unchanged_scan_answers_304_and_a_changed_one_its_new_state) {
  mock::mock_target slow({"slow", 300});
  auto created = call("POST", "/api/v1/scans",
                      json{{"target_id", target_at(slow.url())},
                           {"probes", {"pii-leak"}},
                           {"max_prompts", 2},
                           {"concurrency", 1}}
                          .dump());
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id = json::parse(created.body)["id"];
  // Each prompt takes 300 ms: the scan has not ended when it is first read.
  auto early = poll(id);
  ASSERT_EQ(early.status, 200);
  std::string first = header(early, "ETag");
  ASSERT_EQ(first.size(), 34u) << first;  // a quoted strong tag
  EXPECT_NE(json::parse(early.body)["status"], "completed");

  json ended;
  ASSERT_TRUE(test::eventually([&] {
    auto r = poll(id, first);
    if (r.status == 304) {
      EXPECT_TRUE(r.body.empty());
      EXPECT_EQ(header(r, "ETag"), first);
      return false;
    }
    EXPECT_EQ(r.status, 200);
    ended = json::parse(r.body);
    if (ended["status"] != "completed") first = header(r, "ETag");
    return ended["status"] == "completed";
  }));
  auto last = poll(id);
  std::string tag = header(last, "ETag");
  EXPECT_NE(tag, first);
  EXPECT_EQ(poll(id, tag).status, 304);
  EXPECT_EQ(poll(id, "W/" + tag).status, 304);          // weak comparison
  EXPECT_EQ(poll(id, "\"nope\", " + tag).status, 304);  // a list
  EXPECT_EQ(poll(id, "*").status, 304);
  EXPECT_EQ(poll(id, "\"nope\"").status, 200);
  // Polls count in their own budget: the scan's routes show the polling limit, others the
  // default one.
  EXPECT_EQ(header(last, "RateLimit-Limit"), "500");
  EXPECT_EQ(header(call("GET", "/api/v1/targets"), "RateLimit-Limit"), "10");
}

TEST(scan_event_feed, sends_progress_when_it_changes_and_one_end_event) {
  http::scan_event_feed feed;
  scan s;
  s.status = "running";
  s.total = 4;
  EXPECT_EQ(feed.next(s),
            "event: progress\ndata: {\"done\":0,\"total\":4,\"errors\":0,"
            "\"findings\":0}\n\n");
  EXPECT_EQ(feed.next(s), "");  // nothing changed
  s.done = 2;
  s.findings.add("high");
  EXPECT_EQ(feed.next(s),
            "event: progress\ndata: {\"done\":2,\"total\":4,\"errors\":0,"
            "\"findings\":1}\n\n");
  s.done = 4;
  s.status = "completed";
  std::string last = feed.next(s);
  EXPECT_EQ(last.rfind("event: progress\n", 0), 0u) << last;
  EXPECT_NE(last.find("\n\nevent: end\ndata: {"), std::string::npos) << last;
  EXPECT_TRUE(feed.ended());
  EXPECT_EQ(feed.next(s), "");  // nothing after the end
  // Data with line breaks takes one data line each, so no line of it can end the event early.
  EXPECT_EQ(http::sse_event("x", "a\nb"), "event: x\ndata: a\ndata: b\n\n");
}

// The events of a stream's body, in order: (name, data).
std::vector<std::pair<std::string, json>> events_in(const std::string& body) {
  std::vector<std::pair<std::string, json>> out;
  std::istringstream lines(body);
  std::string line, name;
  while (std::getline(lines, line)) {
    if (line.rfind("event: ", 0) == 0) name = line.substr(7);
    if (line.rfind("data: ", 0) == 0) out.emplace_back(name, json::parse(line.substr(6)));
  }
  return out;
}

class scan_events : public api_test {
 protected:
  void SetUp() override {
    extra_settings_ = {{"MAX_EVENT_STREAMS", "1"}};
    api_test::SetUp();
  }
  std::string start_slow_scan(const mock::mock_target& slow, int64_t prompts) {
    auto created = call("POST", "/api/v1/scans",
                        json{{"target_id", target_at(slow.url())},
                             {"probes", {"pii-leak"}},
                             {"max_prompts", prompts},
                             {"concurrency", 1}}
                            .dump());
    EXPECT_EQ(created.status, 202) << created.body;
    return json::parse(created.body).value("id", "");
  }
  api_response events(const std::string& id) {
    return call("GET", "/api/v1/scans/" + id + "/events");
  }
};

TEST_F(scan_events, a_stream_follows_the_scan_to_its_end) {
  mock::mock_target slow({"slow", 200});
  std::string id = start_slow_scan(slow, 3);
  std::string body;
  {
    auto r = events(id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/event-stream");
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    body = body_of(r);  // reads until the stream ends with the scan
  }                     // the stream's place (MAX_EVENT_STREAMS=1) is free again
  auto seen = events_in(body);
  ASSERT_GE(seen.size(), 3u);
  // Each prompt takes 200 ms: the first look is before the end; then every change, in order.
  EXPECT_EQ(seen.front().first, "progress");
  EXPECT_LT(seen.front().second["done"], 3);
  for (size_t i = 1; i + 1 < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, "progress");
    EXPECT_NE(seen[i].second, seen[i - 1].second);
    EXPECT_GE(seen[i].second["done"], seen[i - 1].second["done"]);
  }
  EXPECT_EQ(seen[seen.size() - 2].second,
            (json{{"done", 3}, {"total", 3}, {"errors", 0}, {"findings", 0}}));
  EXPECT_EQ(seen.back().first, "end");
  EXPECT_EQ(seen.back().second, json::parse(call("GET", "/api/v1/scans/" + id).body));
  // A finished scan's stream: where it stands and the end, at once.
  auto again = events_in(body_of(events(id)));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].first, "progress");
  EXPECT_EQ(again[1].first, "end");
}

TEST_F(scan_events, other_users_scans_are_not_found_and_streams_are_bounded) {
  mock::mock_target slow({"slow", 300});
  std::string id = start_slow_scan(slow, 4);
  expect_problem(call("GET", "/api/v1/scans/" + id + "/events", "",
                      {{"Authorization", "Bearer " + token_for("someone-else")}}),
                 404, "NOT_FOUND");
  expect_problem(events("not-a-uuid"), 404, "NOT_FOUND");
  {
    auto open = events(id);  // held open (MAX_EVENT_STREAMS=1), not read
    ASSERT_EQ(open.status, 200);
    auto refused = events(id);
    expect_problem(refused, 503, "TOO_MANY_CONNECTIONS");
    EXPECT_NE(json::parse(refused.body)["detail"].get<std::string>().find("MAX_EVENT_STREAMS"),
              std::string::npos);
  }
  // The first stream went away: its place is free again.
  EXPECT_EQ(events(id).status, 200);
}

TEST_F(scan_events, a_stopping_server_ends_open_streams) {
  mock::mock_target slow({"slow", 1000});
  std::string id = start_slow_scan(slow, 5);
  auto r = events(id);
  ASSERT_EQ(r.status, 200);
  std::string chunk;
  ASSERT_EQ(r.stream(chunk), http::stream_step::more);  // where the scan stands
  api_->drain();
  chunk.clear();
  EXPECT_EQ(r.stream(chunk), http::stream_step::last);  // not after the scan's 5 s
}

}  // namespace
}  // namespace vutf
