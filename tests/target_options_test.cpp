// Target options in pure code: reply paths (domain/json_path.hpp), the rules of system_prompt,
// rate_limit_rpm, request_template and response_path (domain/target.hpp), and the requests and
// reply reading built from them (outbound/target_client.hpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "domain/json_path.hpp"
#include "domain/target.hpp"
#include "outbound/target_client.hpp"

namespace vutf {
namespace {

using nlohmann::json;

std::vector<std::string> fields_of(const std::vector<field_error>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

// The text at `path` in `doc`, "<none>" when nothing is there, "<bad path>" when it is no path.
std::string at(const std::string& doc, const std::string& path) {
  auto parsed = parse_json_path(path);
  if (!parsed.steps) return "<bad path>";
  json d = json::parse(doc);
  const json* v = follow_json_path(d, *parsed.steps);
  if (!v) return "<none>";
  return v->is_string() ? v->get<std::string>() : v->dump();
}

TEST(json_path, jsonpath_names_indexes_and_quoted_names_select_one_value) {
  std::string doc =
      R"({"choices":[{"message":{"content":"hi"}}],"outputs":[{"text":"a"},{"text":"b"}],)"
      R"("a b":{"c":"spaced"},"q'\"":{"0":"zero"},"list":[[1,2],[3]]})";
  EXPECT_EQ(at(doc, "$.choices[0].message.content"), "hi");
  EXPECT_EQ(at(doc, "$.outputs[1].text"), "b");
  EXPECT_EQ(at(doc, "$['a b'].c"), "spaced");
  EXPECT_EQ(at(doc, R"($["a b"]["c"])"), "spaced");
  EXPECT_EQ(at(doc, R"($['q\'"']['0'])"), "zero");
  EXPECT_EQ(at(doc, "$.list[1][0]"), "3");
  EXPECT_EQ(at(doc, "$.outputs.1.text"), "b");  // a name of digits indexes an array
  EXPECT_EQ(at(doc, "$['outputs']"), R"([{"text":"a"},{"text":"b"}])");
  EXPECT_EQ(json::parse(at(doc, "$")), json::parse(doc));
  // Nothing there: a missing member, an index past the end, a quoted name on an array.
  EXPECT_EQ(at(doc, "$.choices[1].message"), "<none>");
  EXPECT_EQ(at(doc, "$.nope"), "<none>");
  EXPECT_EQ(at(doc, "$.outputs['0']"), "<none>");
  EXPECT_EQ(at(doc, "$.choices[0].message.content.more"), "<none>");
}

TEST(json_path, the_dotted_form_keeps_working) {
  std::string doc = R"({"result":{"text":"t"},"outputs":[{"text":"o"}],"7":{"x":"seven"}})";
  EXPECT_EQ(at(doc, "result.text"), "t");
  EXPECT_EQ(at(doc, "outputs.0.text"), "o");
  EXPECT_EQ(at(doc, "7.x"), "seven");  // digits name an object's member too
  EXPECT_EQ(at(doc, "outputs.1.text"), "<none>");
}

TEST(json_path, what_selects_many_values_or_is_malformed_is_refused_with_the_reason) {
  for (const char* bad : {"",          "$..text",
                          "$.*",       "$[*]",
                          "$.a[-1]",   "$.a[0:2]",
                          "$.a[0,1]",  "$[?(@.x)]",
                          "$.a[",      "$.a[1",
                          "$['a]",     "$['a'",
                          "$['a\\n']", "$x",
                          "$.",        "$.a.",
                          "a..b",      ".a",
                          "a.",        "a\nb",
                          "$.a b",     "$.a[99999999999]"}) {
    auto parsed = parse_json_path(bad);
    EXPECT_FALSE(parsed.steps) << bad;
    EXPECT_FALSE(parsed.error.empty()) << bad;
  }
  EXPECT_NE(parse_json_path("$[*]").error.find("wildcards"), std::string::npos);
  EXPECT_NE(parse_json_path("$.a[").error.find("at character 4"), std::string::npos)
      << parse_json_path("$.a[").error;
}

TEST(json_path, paths_are_bounded_in_length_and_steps) {
  std::string steps = "$";
  for (size_t i = 0; i < max_json_path_steps; ++i) steps += "[0]";
  EXPECT_TRUE(parse_json_path(steps).steps);
  EXPECT_NE(parse_json_path(steps + "[0]").error.find("steps"), std::string::npos);
  std::string dotted = "a";
  for (size_t i = 1; i <= max_json_path_steps; ++i) dotted += ".a";
  EXPECT_FALSE(parse_json_path(dotted).steps);
  std::string long_name = "$['" + std::string(max_json_path_bytes, 'x') + "']";
  EXPECT_NE(parse_json_path(long_name).error.find("longer than"), std::string::npos);
}

target http_json_target() {
  target t;
  t.name = "t";
  t.kind = "http-json";
  t.endpoint_url = "http://127.0.0.1:9/generate";
  t.request_template_json =
      R"({"instances":[{"system":"{{system_prompt}}","prompt":"{{prompt}}"}],"n":1})";
  t.response_path = "$.predictions[0].candidates[0]['output text']";
  return t;
}

TEST(target_rules, new_fields_are_checked_and_every_bad_field_is_listed) {
  target t = http_json_target();
  t.system_prompt = std::string(max_system_prompt_bytes, 's');
  t.rate_limit_rpm = max_rate_limit_rpm;
  EXPECT_TRUE(validate(t).empty());
  t.rate_limit_rpm = min_rate_limit_rpm;
  EXPECT_TRUE(validate(t).empty());

  t.system_prompt = std::string(max_system_prompt_bytes + 1, 's');
  t.rate_limit_rpm = 0;
  t.response_path = "$..text";
  t.request_template_json = R"({"input":"{{system_prompt}}"})";
  EXPECT_EQ(fields_of(validate(t)),
            (std::vector<std::string>{"system_prompt", "rate_limit_rpm", "request_template",
                                      "response_path"}));
  t.rate_limit_rpm = max_rate_limit_rpm + 1;
  EXPECT_EQ(fields_of(validate(t)).at(1), "rate_limit_rpm");

  // {{system_prompt}} placeholders count against the bound as {{prompt}} ones do.
  target many = http_json_target();
  std::string tmpl = R"({"p":"{{prompt}}")";
  for (size_t i = 1; i < max_prompt_placeholders; ++i)
    tmpl += R"(,"s)" + std::to_string(i) + R"(":"{{system_prompt}}")";
  many.request_template_json = tmpl + "}";
  EXPECT_TRUE(validate(many).empty());
  many.request_template_json = tmpl + R"(,"x":"{{system_prompt}}"})";
  EXPECT_EQ(fields_of(validate(many)), std::vector<std::string>{"request_template"});
}

TEST(target_request, openai_chat_sends_the_system_prompt_first) {
  target t;
  t.kind = "openai-chat";
  t.endpoint_url = "http://127.0.0.1:9/v1";
  json plain = json::parse(target_request(t, "hello").body);
  ASSERT_EQ(plain["messages"].size(), 1u);
  t.system_prompt = "You are \"Sys\"\n";
  json with = json::parse(target_request(t, "hello").body);
  ASSERT_EQ(with["messages"].size(), 2u);
  EXPECT_EQ(with["messages"][0], (json{{"role", "system"}, {"content", "You are \"Sys\"\n"}}));
  EXPECT_EQ(with["messages"][1], (json{{"role", "user"}, {"content", "hello"}}));
}

TEST(target_request, templates_fill_both_placeholders_json_safely) {
  target t = http_json_target();
  t.system_prompt = "sys \"quoted\" \\ {{prompt}}\n\t\x01 ☃";
  std::string prompt = "p \"q\" \\ }} {{system_prompt}} \n\x02 ☃";
  std::string body = target_request(t, prompt).body;
  json doc = json::parse(body);  // throws if the body were not JSON
  EXPECT_EQ(doc["instances"][0]["system"], *t.system_prompt);
  EXPECT_EQ(doc["instances"][0]["prompt"], prompt);  // placeholders in values are not refilled
  EXPECT_EQ(doc["n"], 1);
  t.system_prompt.reset();
  EXPECT_EQ(json::parse(target_request(t, "x").body)["instances"][0]["system"], "");
}

TEST(read_reply, http_json_targets_read_jsonpath_and_dotted_paths) {
  target t = http_json_target();
  std::string body = R"({"predictions":[{"candidates":[{"output text":"the reply"}]}]})";
  EXPECT_EQ(read_reply(t, body).text, "the reply");
  t.response_path = "predictions.0.candidates.0.output text";
  EXPECT_EQ(read_reply(t, body).text, "the reply");
  t.response_path = "$.predictions[1]";
  reply_text missing = read_reply(t, body);
  EXPECT_FALSE(missing.text);
  EXPECT_NE(missing.error.find("no text at $.predictions[1]"), std::string::npos);
  t.response_path = "$[*]";  // cannot be stored, but a reader never trusts it
  EXPECT_FALSE(read_reply(t, body).text);
}

}  // namespace
}  // namespace vutf
