// The engine's pure parts: circuit breaker transitions, scan plans, target request building and
// reply reading, webhook deliveries, reports (parsed back) and the mock's replies.
#include "actors/engine.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actors/breaker.hpp"
#include "domain/converters.hpp"
#include "domain/crypto.hpp"
#include "domain/detectors.hpp"
#include "domain/identity.hpp"
#include "domain/ids.hpp"
#include "domain/probes.hpp"
#include "domain/scan.hpp"
#include "http/routes/scan_codec.hpp"
#include "outbound/target_client.hpp"
#include "storage/scan_store.hpp"
#include "tests/mock_target/mock_target.hpp"

namespace vutf {
namespace {

using nlohmann::json;
using state = circuit_breaker::state;
using namespace std::chrono_literals;

TEST(circuit_breaker, opens_after_consecutive_failures_only) {
  circuit_breaker b(3, 1000ms);
  auto t0 = circuit_breaker::clock::now();
  EXPECT_TRUE(b.admit(t0));
  EXPECT_FALSE(b.failed(t0));
  EXPECT_FALSE(b.failed(t0));
  EXPECT_FALSE(b.succeeded());  // a success in between resets the count
  EXPECT_FALSE(b.failed(t0));
  EXPECT_FALSE(b.failed(t0));
  EXPECT_EQ(b.failed(t0), state::open);
  EXPECT_FALSE(b.admit(t0 + 999ms));
}

TEST(circuit_breaker, half_open_admits_one_trial_whose_success_closes) {
  circuit_breaker b(1, 1000ms);
  auto t0 = circuit_breaker::clock::now();
  EXPECT_EQ(b.failed(t0), state::open);
  EXPECT_FALSE(b.admit(t0 + 500ms));
  EXPECT_TRUE(b.admit(t0 + 1000ms));
  EXPECT_EQ(b.current(), state::half_open);
  EXPECT_FALSE(b.admit(t0 + 1001ms));  // one trial at a time
  EXPECT_EQ(b.succeeded(), state::closed);
  EXPECT_TRUE(b.admit(t0 + 1002ms));
}

TEST(circuit_breaker, failed_trial_opens_again_for_a_full_reset) {
  circuit_breaker b(5, 1000ms);
  auto t0 = circuit_breaker::clock::now();
  for (int i = 0; i < 5; ++i) b.failed(t0);
  ASSERT_EQ(b.current(), state::open);
  ASSERT_TRUE(b.admit(t0 + 1s));
  EXPECT_EQ(b.failed(t0 + 1s), state::open);  // one failed trial is enough
  EXPECT_FALSE(b.admit(t0 + 1500ms));
  EXPECT_TRUE(b.admit(t0 + 2s));
}

TEST(circuit_breaker, a_trial_that_never_reports_holds_the_half_open_slot_one_reset_at_most) {
  circuit_breaker b(1, 1000ms);
  auto t0 = circuit_breaker::clock::now();
  b.failed(t0);
  ASSERT_TRUE(b.admit(t0 + 1s));       // the trial's caller is then lost: no report comes
  EXPECT_FALSE(b.admit(t0 + 1999ms));  // still one trial at a time...
  EXPECT_TRUE(b.admit(t0 + 2s));       // ...but not forever
  EXPECT_EQ(b.current(), state::half_open);
  EXPECT_EQ(b.succeeded(), state::closed);
}

TEST(circuit_breaker, an_abandoned_trial_frees_the_slot_without_judging_the_endpoint) {
  circuit_breaker b(1, 1000ms);
  auto t0 = circuit_breaker::clock::now();
  b.failed(t0);
  ASSERT_TRUE(b.admit(t0 + 1s));
  b.abandoned();  // never sent (a refused address): says nothing about the endpoint
  EXPECT_EQ(b.current(), state::half_open);
  EXPECT_TRUE(b.admit(t0 + 1001ms));  // the next trial goes at once
}

TEST(scan_plan, interleaves_sets_and_repeats_in_rounds) {
  const probe_set* pi = find_probe_set("prompt-injection");
  const probe_set* jb = find_probe_set("jailbreak");
  ASSERT_TRUE(pi && jb);
  scan_plan plan({*pi, *jb});
  EXPECT_EQ(plan.distinct(), static_cast<int64_t>(pi->prompts.size() + jb->prompts.size()));
  EXPECT_EQ(plan.at(0).set->id, pi->id);
  EXPECT_EQ(plan.at(1).set->id, jb->id);
  EXPECT_EQ(*plan.at(2).prompt, pi->prompts[1]);
  EXPECT_EQ(plan.at(plan.distinct()).prompt, plan.at(0).prompt);  // the second round
}

TEST(scan_plan, sends_each_prompt_as_written_then_through_each_converter) {
  const probe_set* pi = find_probe_set("prompt-injection");
  const probe_set* jb = find_probe_set("jailbreak");
  ASSERT_TRUE(pi && jb);
  const converter* b64 = find_converter("base64");
  const converter* rot = find_converter("rot13");
  scan_plan plan({*pi, *jb}, {b64, rot});
  EXPECT_EQ(plan.distinct(), static_cast<int64_t>(pi->prompts.size() + jb->prompts.size()));
  // seq 0..2: the first prompt as written, in base64, in rot13; then the next prompt.
  EXPECT_EQ(plan.at(0).through, nullptr);
  EXPECT_EQ(plan.at(0).sent(), pi->prompts[0]);
  EXPECT_EQ(plan.at(1).through, b64);
  EXPECT_EQ(*plan.at(1).prompt, pi->prompts[0]);  // the prompt as written, sent converted
  EXPECT_EQ(plan.at(1).sent(), b64->apply(pi->prompts[0]));
  EXPECT_EQ(plan.at(2).sent(), rot->apply(pi->prompts[0]));
  EXPECT_EQ(plan.at(3).set->id, jb->id);
  EXPECT_EQ(plan.at(3).through, nullptr);
  EXPECT_EQ(*plan.at(4).prompt, jb->prompts[0]);
  // The second round starts over at the first prompt as written.
  EXPECT_EQ(plan.at(3 * plan.distinct()).prompt, plan.at(0).prompt);
  EXPECT_EQ(plan.at(3 * plan.distinct()).through, nullptr);
  EXPECT_EQ(plan.at(3 * plan.distinct() + 2).through, rot);
}

TEST(scan_request, rules) {
  scan_request r;
  r.target_id = "not-a-uuid";
  r.probes = {};  // whether a named set exists is the scans actor's question (api tests)
  r.max_prompts = 0;
  r.concurrency = 65;
  r.webhook_url = "ftp://x";
  auto errors = validate(r, 1000);
  std::set<std::string> fields;
  for (const auto& e : errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"target_id", "probes", "max_prompts", "concurrency",
                                           "webhook_url"}));
  r = {make_uuid(), {"jailbreak"}, 1000,        64, "https://hooks.example.com/x",
       {},          std::nullopt,  std::nullopt};
  EXPECT_TRUE(validate(r, 1000).empty());
  r.max_prompts = 1001;
  EXPECT_EQ(validate(r, 1000).size(), 1u);
  r.max_prompts = std::nullopt;
  r.probes = {"jailbreak", "jailbreak"};
  EXPECT_EQ(validate(r, 1000).size(), 1u);
}

TEST(scan_request, converters_are_known_named_once_and_at_most_all_of_them) {
  scan_request r{make_uuid(), {"jailbreak"}, std::nullopt, std::nullopt, std::nullopt,
                 {},          std::nullopt,  std::nullopt};
  r.converters = {"base64", "rot13"};
  EXPECT_TRUE(validate(r, 1000).empty());
  r.converters = {"base64", "rot-13", "base64", "nope"};  // each unknown id named, once repeated
  std::vector<std::string> fields, messages;
  for (const auto& e : validate(r, 1000)) {
    fields.push_back(e.field);
    messages.push_back(e.reason);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"converters[1]", "converters[2]", "converters[3]"}));
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_NE(messages[0].find("'rot-13'"), std::string::npos) << messages[0];
  EXPECT_NE(messages[1].find("twice"), std::string::npos) << messages[1];
  EXPECT_NE(messages[2].find("'nope'"), std::string::npos) << messages[2];
  r.converters.clear();
  for (const auto& c : converters()) r.converters.push_back(c.id);
  EXPECT_TRUE(validate(r, 1000).empty());  // all ten at once
  r.converters.push_back("base64");
  EXPECT_EQ(validate(r, 1000).size(), 1u);  // eleven: too many
}

target openai_target() {
  target t;
  t.id = make_uuid();
  t.kind = "openai-chat";
  t.endpoint_url = "https://llm.example.com/v1/";
  t.model = "gpt-test";
  t.headers_json = R"({"Authorization":"Bearer sk-test"})";
  t.timeout_seconds = 7;
  return t;
}

TEST(target_client, openai_chat_request_and_reply) {
  target t = openai_target();
  outbound_call c = target_request(t, "say \"hi\"\n");
  EXPECT_EQ(c.url, "https://llm.example.com/v1/chat/completions");
  EXPECT_EQ(c.timeout, 7s);
  json body = json::parse(c.body);
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_EQ(body["messages"][0]["role"], "user");
  EXPECT_EQ(body["messages"][0]["content"], "say \"hi\"\n");
  ASSERT_EQ(c.headers.size(), 1u);
  EXPECT_EQ(c.headers[0],
            std::make_pair(std::string("Authorization"), std::string("Bearer sk-test")));
  t.endpoint_url = "http://h/v1/chat/completions";
  EXPECT_EQ(target_request(t, "x").url, "http://h/v1/chat/completions");  // already complete

  auto reply = read_reply(t, R"({"choices":[{"message":{"content":"hello"}}]})");
  EXPECT_EQ(reply.text, "hello");
  EXPECT_FALSE(read_reply(t, R"({"error":"x"})").text);
  EXPECT_FALSE(read_reply(t, "not json").text);
}

TEST(target_client, http_json_template_escapes_the_prompt) {
  target t;
  t.kind = "http-json";
  t.endpoint_url = "http://127.0.0.1:1/generate";
  t.request_template_json = R"({"input":"{{prompt}}","opts":{"echo":"{{prompt}}"}})";
  t.response_path = "result.items.1.text";
  std::string nasty = "a \"quoted\" \\ line\nbreak {{prompt}} \x01";
  json body = json::parse(target_request(t, nasty).body);  // still valid JSON
  EXPECT_EQ(body["input"], nasty);
  EXPECT_EQ(body["opts"]["echo"], nasty);
  EXPECT_EQ(read_reply(t, R"({"result":{"items":[{"text":"a"},{"text":"b"}]}})").text, "b");
  EXPECT_EQ(json_path(R"({"a":{"b":3}})", "a.b").text, "3");
  EXPECT_EQ(json_path(R"({"a":[1]})", "a.5").error, "the reply has no text at a.5");
  EXPECT_FALSE(json_path(R"({"a":[1]})", "a.x").text);
}

TEST(target_client, http_json_template_fills_a_bounded_number_of_placeholders) {
  target t;
  t.name = "many placeholders";
  t.kind = "http-json";
  t.endpoint_url = "http://127.0.0.1:1/generate";
  t.response_path = "text";
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "{{prompt}},";
  t.request_template_json = R"({"input":")" + many + R"("})";
  std::string prompt(size_t{16} * 1024, 'p');
  std::string body = target_request(t, prompt).body;
  // Filling them all made 16 MB from 11 KB (and moved the body at every placeholder).
  EXPECT_EQ(body.size(), t.request_template_json->size() +
                             max_prompt_placeholders * (prompt.size() - strlen("{{prompt}}")));
  std::string filled;
  for (size_t i = 0; i < max_prompt_placeholders; ++i) filled += prompt + ",";
  EXPECT_EQ(json::parse(body)["input"].get<std::string>().substr(0, filled.size() + 11),
            filled + "{{prompt}},");  // the rest stay as they are
  auto rule = validate(t);
  ASSERT_EQ(rule.size(), 1u);
  EXPECT_EQ(rule[0].field, "request_template");
  EXPECT_NE(
      rule[0].reason.find("at most 16 {{prompt}}, {{system_prompt}} and {{messages}} placeholders"),
      std::string::npos);
  t.request_template_json =
      R"({"input":"{{prompt}}","pad":")" + std::string(max_request_template_bytes, ' ') + R"("})";
  EXPECT_EQ(validate(t).size(), 1u);
  t.request_template_json = R"({"a":"{{prompt}}","b":"{{prompt}}"})";
  EXPECT_TRUE(validate(t).empty());
}

TEST(target_client, reply_classification) {
  outbound_reply r;
  EXPECT_TRUE(r.retryable());  // no answer at all
  EXPECT_TRUE(r.breaker_failure());
  r.status = 429;
  EXPECT_TRUE(r.retryable());
  EXPECT_FALSE(r.breaker_failure());  // the target is alive, just busy
  r.status = 503;
  EXPECT_TRUE(r.retryable() && r.breaker_failure());
  r.status = 401;
  EXPECT_FALSE(r.retryable() || r.breaker_failure());
  r.status = 0;
  r.circuit_open = true;
  EXPECT_FALSE(r.retryable());
  outbound_reply blocked;  // never sent: retrying cannot help, the endpoint is not at fault
  blocked.refused = true;
  EXPECT_FALSE(blocked.retryable() || blocked.breaker_failure());
}

TEST(webhooks, a_delivery_carries_the_event_and_the_standard_webhooks_headers) {
  scan s;
  s.id = make_uuid();
  s.status = "completed";
  s.total = 3;
  s.done = 3;
  s.findings.high = 2;
  s.converters = {"base64", "morse"};
  webhook to;
  to.url = "http://127.0.0.1:5/hook?x=1";
  to.secret = identity::make_webhook_secret();
  target_call c = webhook_call(to, "msg_1", 1614265330, scan_event_body(scan_event_type(s), s, 0));
  EXPECT_EQ(c.circuit, "webhook:http://127.0.0.1:5");
  EXPECT_EQ(c.call.url, to.url);
  json body = json::parse(c.call.body);
  EXPECT_EQ(body["type"], "scan.completed");
  EXPECT_EQ(body["timestamp"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(body["data"]["summary"]["by_severity"]["high"], 2);
  EXPECT_EQ(body["data"]["converters"], json::parse(R"(["base64","morse"])"));
  using header = std::pair<std::string, std::string>;
  EXPECT_EQ(c.call.headers,
            (std::vector<header>{
                {"webhook-id", "msg_1"},
                {"webhook-timestamp", "1614265330"},
                {"webhook-signature",
                 identity::webhook_signature(to.secret, "msg_1", 1614265330, c.call.body)}}));
  s.status = "failed";
  EXPECT_EQ(scan_ended(s).type, "scan.failed");
  EXPECT_NE(scan_ended(s).id, scan_ended(s).id) << "a new message id per event";
}

scan_report sample_report() {
  scan_report r;
  r.summary.id = make_uuid();
  r.summary.target_id = make_uuid();
  r.summary.probes = {"prompt-injection", "pii-leak"};
  r.summary.status = "completed";
  r.summary.total = 2;
  r.summary.done = 2;
  r.summary.findings.high = 1;
  r.summary.created_at_ms = 1;
  target t = openai_target();
  t.name = "bot | prod";
  r.of = t;
  r.findings_by_probe = {{"prompt-injection", 1}};
  return r;
}

std::vector<scan_result> sample_findings() {
  scan_result x;
  x.seq = 4;
  x.probe = "prompt-injection";
  x.prompt = "=cmd, \"quoted\"";
  x.response = "```\nVUTF-CANARY-7F3A\n```";
  x.detector = "canary";
  x.vulnerable = true;
  x.severity = "high";
  x.evidence = "canary";
  return {x, x};
}

std::string whole_report(http::report_format f) {
  auto r = sample_report();
  auto rows = sample_findings();
  return http::report_head(f, r) + http::report_findings(f, {rows[0]}, true) +
         http::report_findings(f, {rows[1]}, false) + http::report_tail(f, true);
}

TEST(reports, json_report_parses_back) {
  json doc = json::parse(whole_report(http::report_format::json));
  EXPECT_EQ(doc["scan"]["status"], "completed");
  EXPECT_EQ(doc["target"]["name"], "bot | prod");
  EXPECT_EQ(doc["findings_by_probe"]["prompt-injection"], 1);
  ASSERT_EQ(doc["findings"].size(), 2u);
  EXPECT_EQ(doc["findings"][0]["severity"], "high");
  EXPECT_FALSE(doc["target"].contains("headers"));  // write-only, never in a report
  auto empty = sample_report();
  json none = json::parse(http::report_head(http::report_format::json, empty) +
                          http::report_tail(http::report_format::json, false));
  EXPECT_TRUE(none["findings"].empty());
}

TEST(reports, csv_quotes_and_defuses_formulas) {
  std::string csv = whole_report(http::report_format::csv);
  EXPECT_EQ(csv.rfind("seq,probe,category,severity", 0), 0u);
  EXPECT_NE(csv.find("4,prompt-injection,LLM01,high,canary,canary,0,\"'=cmd, \"\"quoted\"\"\""),
            std::string::npos)
      << csv;
}

TEST(reports, markdown_fences_cannot_be_closed_by_a_reply) {
  std::string md = whole_report(http::report_format::markdown);
  EXPECT_NE(md.find("# Scan report: bot \\| prod"), std::string::npos);
  EXPECT_NE(md.find("| prompt-injection | builtin v1 | LLM01 | 1 |"), std::string::npos);
  EXPECT_NE(md.find("| pii-leak | builtin v1 | LLM02 | 0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("````text\n```\nVUTF-CANARY-7F3A\n```\n````"), std::string::npos) << md;
}

TEST(reports, results_truncate_on_utf8_boundaries) {
  std::string s = "ab\xC3\xA9";  // "abé"
  EXPECT_EQ(truncate_utf8(s, 3), "ab");
  EXPECT_EQ(truncate_utf8(s, 4), s);
}

// End-to-end tests count on it: every prompt of every built-in set is a finding against the
// vulnerable mock and none against the safe one.
TEST(mock_target, every_detector_fires_on_vulnerable_and_none_on_safe) {
  for (const auto& set : probe_sets())
    for (const auto& prompt : set.prompts) {
      EXPECT_TRUE(detect(set.detector, mock::reply_for("vulnerable", prompt)).vulnerable)
          << set.id << ": " << prompt;
      EXPECT_FALSE(detect(set.detector, mock::reply_for("safe", prompt)).vulnerable)
          << set.id << ": " << prompt;
    }
}

}  // namespace
}  // namespace vutf
