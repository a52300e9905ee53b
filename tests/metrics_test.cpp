#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace vutf {
namespace {

TEST(metrics, every_table_row_is_exported_under_its_name) {
  metrics m;
  m.scans_total.with({"completed"}).Increment();
  m.scan_prompts_sent_total.Increment(3);
  m.http_request_duration_seconds.with({"GET", "/api/v1/live"}).Observe(0.001);
  std::string text = m.exposition();
  EXPECT_NE(text.find("scans_total{status=\"completed\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("scan_prompts_sent_total 3"), std::string::npos) << text;
  EXPECT_NE(
      text.find("http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/live\"} 1"),
      std::string::npos)
      << text;
  // Every documented metric is registered (labelled families appear once they have a series).
  EXPECT_NE(text.find("# TYPE db_pool_timeouts_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
}

TEST(metrics, a_labelled_series_is_the_same_object_on_every_use) {
  metrics m;
  auto& a = m.findings_total.with({"high"});
  auto& b = m.findings_total.with({"high"});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &m.findings_total.with({"low"}));
}

TEST(metrics, committed_operations_docs_hold_the_generated_metrics_table) {
  std::ifstream f(std::string(VUTF_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string doc = ss.str();
  const std::string begin = "<!-- metrics:begin -->\n", end = "<!-- metrics:end -->";
  auto from = doc.find(begin), to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), metrics_markdown())
      << "the metrics table in docs/operations.md is stale: run build/violentutf-api "
         "--metrics-docs and paste it between the metrics markers";
}

}  // namespace
}  // namespace vutf
