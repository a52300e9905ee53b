// Pure tests of framework coverage (GET /coverage) and of a report's findings by framework.
#include <gtest/gtest.h>

#include "domain/encoding.hpp"
#include "domain/frameworks.hpp"

namespace vutf {
namespace {

const coverage_entry& entry(const std::vector<coverage_entry>& list, const std::string& id) {
  for (const auto& e : list)
    if (e.id == id) return e;
  throw std::runtime_error("no entry " + id);
}

set_tags two_sets() {
  return {{"a", {{"LLM01"}, {"AML.T0051", "AML.T0051.001"}}},
          {"b", {{"LLM01", "LLM05"}, {"AML.T0077", "AML.T4242"}}}};
}

TEST(coverage, every_owasp_category_is_listed_in_order_with_zeros) {
  coverage_report c = coverage_of({}, {});
  ASSERT_EQ(c.owasp_llm_2025.size(), 10u);
  EXPECT_EQ(c.owasp_llm_2025.front().id, "LLM01");
  EXPECT_EQ(c.owasp_llm_2025.front().name, "Prompt Injection");
  EXPECT_EQ(c.owasp_llm_2025.back().id, "LLM10");
  for (const auto& e : c.owasp_llm_2025) {
    EXPECT_EQ(e.probe_sets + e.scans + e.findings, 0) << e.id;
    EXPECT_FALSE(e.name.empty()) << e.id;
  }
  EXPECT_TRUE(c.mitre_atlas.empty()) << "ATLAS lists only techniques some set is tagged with";
}

TEST(coverage, scans_are_counted_once_per_id_and_findings_add_up) {
  std::vector<set_run> runs = {
      {"s1", "a", 3}, {"s1", "b", 2}, {"s2", "b", 0}, {"s3", "deleted-set", 7}};
  coverage_report c = coverage_of(two_sets(), runs);
  const auto& llm01 = entry(c.owasp_llm_2025, "LLM01");
  EXPECT_EQ(llm01.probe_sets, 2);
  EXPECT_EQ(llm01.scans, 2) << "s1 ran both LLM01 sets: one scan";
  EXPECT_EQ(llm01.findings, 5);
  const auto& llm05 = entry(c.owasp_llm_2025, "LLM05");
  EXPECT_EQ(llm05.probe_sets, 1);
  EXPECT_EQ(llm05.scans, 2);
  EXPECT_EQ(llm05.findings, 2);
  EXPECT_EQ(entry(c.owasp_llm_2025, "LLM03").probe_sets, 0);
  // Ids count as tagged: the parent technique is not credited with its sub-technique's set.
  ASSERT_EQ(c.mitre_atlas.size(), 4u);
  EXPECT_EQ(c.mitre_atlas[0].id, "AML.T0051");
  EXPECT_EQ(entry(c.mitre_atlas, "AML.T0051.001").findings, 3);
  EXPECT_EQ(entry(c.mitre_atlas, "AML.T0077").name, "LLM Response Rendering");
  EXPECT_EQ(entry(c.mitre_atlas, "AML.T4242").name, "") << "a user's tag this release cannot name";
  EXPECT_EQ(entry(c.mitre_atlas, "AML.T4242").scans, 2);
}

TEST(coverage, the_runnable_sets_are_the_built_ins_and_the_callers_own) {
  set_tags all = runnable_set_tags({{"mine", {{"LLM03"}, {}}}});
  EXPECT_EQ(all.size(), probe_sets().size() + 1);
  EXPECT_EQ(all.at("mine").owasp_llm_2025, std::vector<std::string>{"LLM03"});
  EXPECT_EQ(all.at("rag-poisoning").owasp_llm_2025.front(), "LLM08");
}

TEST(coverage, survives_the_cache_encoding) {
  coverage_report c = coverage_of(two_sets(), {{"s1", "a", 3}});
  coverage_report back;
  ASSERT_TRUE(decode(encode(c), back));
  ASSERT_EQ(back.owasp_llm_2025.size(), 10u);
  ASSERT_EQ(back.mitre_atlas.size(), c.mitre_atlas.size());
  EXPECT_EQ(back.owasp_llm_2025[0].findings, 3);
  EXPECT_EQ(back.mitre_atlas[3].name, "");
  EXPECT_EQ(back.mitre_atlas[0].name, "LLM Prompt Injection");
  std::string truncated = encode(c);
  truncated.pop_back();
  EXPECT_FALSE(decode(truncated, back));
  EXPECT_FALSE(decode(encode(stats_overview{}), back)) << "another value's entry is a miss";
}

TEST(report_frameworks, findings_are_grouped_under_each_tag_of_the_scans_sets) {
  auto tags = two_sets();
  findings_by_framework f = group_findings({{"a", tags["a"]}, {"b", tags["b"]}}, {{"a", 4}});
  ASSERT_EQ(f.owasp_llm_2025.size(), 2u);
  EXPECT_EQ(f.owasp_llm_2025[0].id, "LLM01");
  EXPECT_EQ(f.owasp_llm_2025[0].probe_sets, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.owasp_llm_2025[0].findings, 4);
  EXPECT_EQ(f.owasp_llm_2025[1].id, "LLM05");
  EXPECT_EQ(f.owasp_llm_2025[1].name, "Improper Output Handling");
  EXPECT_EQ(f.owasp_llm_2025[1].findings, 0) << "a tested category without findings is listed";
  ASSERT_EQ(f.mitre_atlas.size(), 4u);
  EXPECT_EQ(f.mitre_atlas[1].id, "AML.T0051.001");
  EXPECT_EQ(f.mitre_atlas[1].findings, 4);
  EXPECT_TRUE(group_findings({}, {{"a", 4}}).owasp_llm_2025.empty());
}

}  // namespace
}  // namespace vutf
