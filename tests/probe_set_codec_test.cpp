// Pure tests of the probe set codec: JSON, CSV and NDJSON imports, every bad field in one
// error list, the limits, RFC 4180 quoting and hostile bodies; and of the regex detector.
#include "http/routes/probe_set_codec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "domain/judge.hpp"

namespace vutf::http {
namespace {

using nlohmann::json;

json valid_set() {
  return {
      {"id", "my-set"},
      {"name", "My set"},
      {"description", "d"},
      {"category", "LLM01"},
      {"frameworks", {{"owasp_llm_2025", {"LLM01"}}, {"mitre_atlas", {"AML.T0051"}}}},
      {"prompts", {"first", "second"}},
      {"detector", {{"type", "regex"}, {"pattern", "(?i)secret"}, {"vulnerable_when", "match"}}}};
}

result<probe_set> from_json(const json& j) {
  return parse_probe_set_create("application/json", j.dump(), {});
}

std::set<std::string> fields_of(const failure& f) {
  std::set<std::string> out;
  for (const auto& e : f.errors) out.insert(e.field);
  return out;
}

std::string reason_of(const failure& f, const std::string& field) {
  for (const auto& e : f.errors)
    if (e.field == field) return e.reason;
  return "";
}

TEST(probe_set_codec, a_valid_json_set_is_read_whole) {
  auto r = from_json(valid_set());
  ASSERT_TRUE(r.ok()) << r.error->errors.front().field;
  EXPECT_EQ(r.value.id, "my-set");
  EXPECT_EQ(r.value.prompts, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(r.value.detector.type, "regex");
  EXPECT_EQ(r.value.detector.severity, "medium");  // the default
  EXPECT_TRUE(detect(r.value.detector, "the SECRET is out").vulnerable);
  EXPECT_FALSE(detect(r.value.detector, "nothing to see").vulnerable);
  EXPECT_EQ(r.value.frameworks.mitre_atlas, (std::vector<std::string>{"AML.T0051"}));
}

TEST(probe_set_codec, frameworks_default_to_the_category_and_prompt_leak_is_the_builtin_name) {
  json j = valid_set();
  j.erase("frameworks");
  j["category"] = "LLM07";
  j["detector"] = {{"type", "prompt-leak"}, {"markers", {"My System Prompt"}}};
  auto r = from_json(j);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.frameworks.owasp_llm_2025, (std::vector<std::string>{"LLM07"}));
  EXPECT_TRUE(r.value.frameworks.mitre_atlas.empty());
  EXPECT_EQ(r.value.detector.type, "system_prompt_leak");
  EXPECT_EQ(r.value.detector.markers, (std::vector<std::string>{"my system prompt"}));
}

TEST(probe_set_codec, every_bad_field_is_listed_at_once) {
  json j = {
      {"id", "-Bad"},
      {"name", ""},
      {"category", "LLM11"},
      {"frameworks", {{"owasp_llm_2025", {"LLM99"}}, {"mitre_atlas", {"T0051"}}, {"x", 1}}},
      {"prompts", {"ok", 7, ""}},
      {"detector", {{"type", "regex"}, {"pattern", "(unclosed"}, {"vulnerable_when", "maybe"}}},
      {"colour", "blue"}};
  auto r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, errc::validation_error);
  EXPECT_EQ(
      fields_of(*r.error),
      (std::set<std::string>{"id", "name", "category", "frameworks.owasp_llm_2025",
                             "frameworks.mitre_atlas", "frameworks.x", "prompts[1]", "prompts[2]",
                             "detector.pattern", "detector.vulnerable_when", "colour"}));
  // RE2's own reason, so the client can fix the pattern.
  EXPECT_NE(reason_of(*r.error, "detector.pattern").find("missing )"), std::string::npos)
      << reason_of(*r.error, "detector.pattern");
}

TEST(probe_set_codec, required_fields_and_builtin_ids) {
  auto r = from_json(json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error),
            (std::set<std::string>{"id", "name", "category", "prompts", "detector"}));
  EXPECT_EQ(reason_of(*r.error, "id"), "is required");
  json j = valid_set();
  j["id"] = "jailbreak";
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"id"}));
}

TEST(probe_set_codec, judge_detectors_and_detector_fields_are_checked) {
  json j = valid_set();
  const std::string judge_id = "0190f5d2-7c3a-7b4e-8a1b-2c3d4e5f6a7b";
  j["detector"] = {{"type", "judge"}, {"judge_target_id", judge_id}, {"rubric", "Leaks a key?"}};
  auto r = from_json(j);
  ASSERT_TRUE(r.ok()) << r.error->errors.front().field;
  EXPECT_EQ(r.value.detector.judge_target_id, judge_id);
  EXPECT_EQ(r.value.detector.rubric, "Leaks a key?");
  EXPECT_NE(probe_set_json_body(r.value).find(R"("rubric":"Leaks a key?")"), std::string::npos);
  // Not an id, a rubric over 8 KiB: both named at once.
  j["detector"] = {{"type", "judge"},
                   {"judge_target_id", "x"},
                   {"rubric", std::string(max_rubric_bytes + 1, 'r')}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error),
            (std::set<std::string>{"detector.judge_target_id", "detector.rubric"}));
  j["detector"] = {{"type", "judge"}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(reason_of(*r.error, "detector.rubric"), "is required");
  EXPECT_EQ(reason_of(*r.error, "detector.judge_target_id"), "is required");
  j["detector"] = {{"type", "canary"}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"detector.canary"}));
  j["detector"] = {{"type", "refusal"}, {"pattern", "x"}, {"rubric", "r"}, {"severity", "dire"}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error),
            (std::set<std::string>{"detector.pattern", "detector.rubric", "detector.severity"}));
  j["detector"] = {{"type", "regex"}, {"pattern", std::string(1025, 'a')}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"detector.pattern"}));
  j["detector"] = {{"type", "regex"}, {"pattern", "a{1001}"}};  // RE2 bounds repeats
  EXPECT_FALSE(from_json(j).ok());
}

TEST(probe_set_codec, a_length_detector_takes_max_chars_and_only_it_does) {
  json j = valid_set();
  j["detector"] = {{"type", "length"}, {"max_chars", 4000}, {"severity", "low"}};
  auto r = from_json(j);
  ASSERT_TRUE(r.ok()) << r.error->detail;
  EXPECT_EQ(r.value.detector.max_chars, 4000);
  EXPECT_EQ(json::parse(probe_set_json_body(r.value))["detector"]["max_chars"], 4000);
  for (const json& bad : {json(0), json(1048577), json("4000"), json(1.5)}) {
    j["detector"] = {{"type", "length"}, {"max_chars", bad}};
    r = from_json(j);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"detector.max_chars"})) << bad;
  }
  j["detector"] = {{"type", "length"}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(reason_of(*r.error, "detector.max_chars"), "is required");
  EXPECT_EQ(r.error->errors.size(), 1u) << "one error per field";
  j["detector"] = {{"type", "refusal"}, {"max_chars", 10}};
  r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(reason_of(*r.error, "detector.max_chars"), "only a length detector takes max_chars");
  // Imports take it in the query; a value that is not an integer is a bad field.
  header_list query = {{"id", "long"},
                       {"name", "Long"},
                       {"category", "LLM10"},
                       {"detector", "length"},
                       {"max_chars", "500"}};
  auto made = parse_probe_set_create("text/csv", "prompt\nforever\n", query);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value.detector.max_chars, 500);
  query.back().second = "lots";
  made = parse_probe_set_create("text/csv", "prompt\nforever\n", query);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(fields_of(*made.error), (std::set<std::string>{"detector.max_chars"}));
}

TEST(probe_set_codec, prompt_count_and_size_limits) {
  json j = valid_set();
  j["prompts"] = json::array();
  EXPECT_EQ(fields_of(*from_json(j).error), (std::set<std::string>{"prompts"}));
  j["prompts"] = std::vector<std::string>(max_prompts_per_set, "p");
  EXPECT_TRUE(from_json(j).ok());
  j["prompts"].push_back("one too many");
  EXPECT_EQ(fields_of(*from_json(j).error), (std::set<std::string>{"prompts"}));
  j["prompts"] = {std::string(max_prompt_bytes, 'x'), std::string(max_prompt_bytes + 1, 'x')};
  EXPECT_EQ(fields_of(*from_json(j).error), (std::set<std::string>{"prompts[1]"}));
  // 300 bad prompts: the first 100 are named, the rest counted.
  j["prompts"] = std::vector<std::string>(300, "");
  auto r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->errors.size(), 101u);
  EXPECT_EQ(reason_of(*r.error, "prompts"), "200 more prompts are invalid");
}

TEST(probe_set_codec, a_huge_prompt_array_is_not_kept_past_the_limit) {
  // A million tiny prompts: refused as too many, after keeping only max_prompts_per_set + 1.
  std::string body = R"({"id":"big","name":"n","category":"LLM01","detector":{"type":"pii"},)"
                     R"("prompts":[)";
  for (int i = 0; i < 1000000; ++i) body += i ? ",\"a\"" : "\"a\"";
  body += "]}";
  auto r = parse_probe_set_create("application/json", body, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"prompts"}));
}

TEST(probe_set_codec, hostile_json_text_is_refused_not_stored) {
  json j = valid_set();
  j["prompts"] = {std::string("nul\0inside", 10)};
  j["name"] = std::string("a\0b", 3);
  auto r = from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"prompts[0]", "name"}));
  auto bad = parse_probe_set_create("application/json", "{\"id\": \"\xFF\"}", {});
  EXPECT_EQ(bad.error->code, errc::bad_request);  // not JSON: invalid UTF-8
  bad =
      parse_probe_set_create("application/json", std::string(100, '[') + std::string(100, ']'), {});
  EXPECT_EQ(bad.error->code, errc::bad_request);  // nests too deep
  bad = parse_probe_set_create("application/json", valid_set().dump(), {{"id", "x"}});
  EXPECT_EQ(fields_of(*bad.error), (std::set<std::string>{"id"}));  // a JSON body takes no query
}

header_list csv_query() {
  return {{"id", "csv-set"}, {"name", "From CSV"}, {"category", "LLM02"}, {"detector", "pii"}};
}

TEST(probe_set_codec, csv_with_rfc4180_quoting) {
  auto r = csv_prompts(
      "\xEF\xBB\xBFprompt\r\n"
      "plain\r\n"
      "\"with, comma\"\n"
      "\"with \"\"quotes\"\"\"\r\n"
      "\"two\r\nlines\"\n"
      "\n"
      "last without newline");
  ASSERT_TRUE(r.ok()) << r.error->detail;
  EXPECT_EQ(r.value, (std::vector<std::string>{"plain", "with, comma", "with \"quotes\"",
                                               "two\r\nlines", "last without newline"}));
  auto made = parse_probe_set_create("text/csv", "prompt\nhello\n", csv_query());
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value.id, "csv-set");
  EXPECT_EQ(made.value.detector.type, "pii");
  EXPECT_EQ(made.value.frameworks.owasp_llm_2025, (std::vector<std::string>{"LLM02"}));
  header_list regex = {{"id", "regex-set"},
                       {"name", "n"},
                       {"category", "LLM05"},
                       {"detector", "regex"},
                       {"pattern", "<script"},
                       {"vulnerable_when", "match"},
                       {"mitre_atlas", "AML.T0051,AML.T0054"}};
  made = parse_probe_set_create("text/csv", "prompt\nhello\n", regex);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value.frameworks.mitre_atlas.size(), 2u);
}

TEST(probe_set_codec, malformed_csv_names_the_line) {
  auto detail = [](const std::string& body) {
    auto r = csv_prompts(body);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? std::string() : r.error->detail;
  };
  EXPECT_NE(detail("prompt\nok\n\"open\nnever closed").find("opened on line 3"), std::string::npos);
  EXPECT_NE(detail("prompt\n\"closed\"trailing\n").find("line 2"), std::string::npos);
  EXPECT_NE(detail("prompt\nin\"side\n").find("quote inside an unquoted field"), std::string::npos);
  EXPECT_NE(detail("prompt\na,b\n").find("line 2 has 2 fields"), std::string::npos);
  auto header = csv_prompts("prompt,extra\na,b\n");
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error->code, errc::validation_error);
  EXPECT_EQ(fields_of(*header.error), (std::set<std::string>{"csv column 2"}));
  header = csv_prompts("");
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(fields_of(*header.error), (std::set<std::string>{"csv header"}));
}

TEST(probe_set_codec, csv_metadata_errors_come_with_the_prompt_errors) {
  // A quoted empty row alone is a blank row (skipped); then a good, an invalid UTF-8 and a NUL row.
  std::string body = "prompt\n\"\"\nfine\nbad\xFFutf8\n" + std::string("nul\0x\n", 6);
  header_list q = {{"id", "Bad Id"}, {"detector", "telepathy"}, {"colour", "red"}};
  auto r = parse_probe_set_create("text/csv", body, q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"id", "name", "category", "detector.type",
                                                        "colour", "prompts[1]", "prompts[2]"}));
}

TEST(probe_set_codec, csv_of_huge_lines_and_many_rows_stays_bounded) {
  std::string huge = "prompt\n" + std::string(1 << 20, 'x') + "\n";
  auto r = parse_probe_set_create("text/csv", huge, csv_query());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(*r.error), (std::set<std::string>{"prompts[0]"}));
  std::string many = "prompt\n";
  for (int i = 0; i < 200000; ++i) many += "p\n";
  auto rows = csv_prompts(many);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows.value.size(), max_prompts_per_set + 1);
}

TEST(probe_set_codec, ndjson_lines) {
  auto r = ndjson_prompts("{\"prompt\":\"a\"}\r\n\n  \n{\"prompt\":\"b\\nc\"}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value, (std::vector<std::string>{"a", "b\nc"}));
  auto bad =
      ndjson_prompts("{\"prompt\":\"a\"}\n{\"prompt\":1}\n[1]\n{\"prompt\":\"x\",\"y\":1}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->code, errc::validation_error);
  EXPECT_EQ(fields_of(*bad.error), (std::set<std::string>{"line 2", "line 3", "line 4"}));
  auto broken = ndjson_prompts("{\"prompt\":\"a\"}\n{\"prompt\":\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error->code, errc::bad_request);
  EXPECT_NE(broken.error->detail.find("line 2"), std::string::npos);
  auto made = parse_probe_set_create("application/x-ndjson", "{\"prompt\":\"hi\"}\n", csv_query());
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value.prompts, (std::vector<std::string>{"hi"}));
}

TEST(probe_set_codec, patch_reports_only_the_fields_it_sets) {
  auto p = parse_probe_set_patch(R"({"name":"renamed"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value.name, "renamed");
  EXPECT_FALSE(p.value.prompts);
  auto bad = parse_probe_set_patch(R"({"id":"new","prompts":[],"detector":{"type":"x"},"z":1})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(fields_of(*bad.error), (std::set<std::string>{"id", "prompts", "detector.type", "z"}));
}

TEST(probe_set_codec, representations) {
  auto r = from_json(valid_set());
  ASSERT_TRUE(r.ok());
  r.value.source = "user";
  r.value.version = 3;
  json full = json::parse(probe_set_json_body(r.value));
  EXPECT_EQ(full["prompts"].size(), 2u);
  EXPECT_EQ(full["prompt_count"], 2);
  EXPECT_EQ(full["version"], 3);
  EXPECT_EQ(full["source"], "user");
  EXPECT_EQ(full["detector"]["pattern"], "(?i)secret");
  EXPECT_EQ(full["frameworks"]["mitre_atlas"][0], "AML.T0051");
  probe_set_page page;
  page.items = {r.value};
  page.total = 1;
  json list = json::parse(probe_set_page_json(page));
  EXPECT_FALSE(list["items"][0].contains("prompts"));
  EXPECT_EQ(list["items"][0]["prompt_count"], 2);
}

}  // namespace
}  // namespace vutf::http
