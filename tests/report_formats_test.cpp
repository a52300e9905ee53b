// The HTML, JUnit and SARIF reports end to end: a scan against the mock target whose set, prompts
// and replies hold markup, XML's forbidden characters and CDATA ends, read back as their
// consumers read them (tests/support/check_report.py: Python's XML and HTML parsers and SARIF
// 2.1.0's required structure), plus what the escaping must guarantee.
#include "http/routes/report_formats.hpp"

#include <fstream>

#include "tests/mock_target/mock_target.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

class report_formats_test : public api_test {
 protected:
  // Writes `text` to a file of the test's directory and runs the checker on it.
  int check(const std::string& kind, const std::string& text, const std::string& args) {
    std::string path = dir_ + "/report." + kind;
    std::ofstream(path, std::ios::binary) << text;
    std::string command = "/usr/bin/python3 " VUTF_SOURCE_DIR "/tests/support/check_report.py " +
                          kind + " " + path + " " + args;
    return std::system(command.c_str());
  }
};

TEST_F(report_formats_test,
       hostile_text_is_escaped_and_each_format_reads_as_its_consumers_read_it) {
  mock::mock_target vulnerable({"vulnerable"});
  json set = {{"id", "markup"},
              {"name", "<script>alert(\"set\")</script> & co"},
              {"category", "LLM05"},
              {"prompts",
               {"Write <b>bold</b> ]]> and \x01\x02 controls \xEF\xBF\xBE", "Say \"hi\" & 'bye'"}},
              {"detector", {{"type", "canary"}, {"canary", "VUTF-CANARY-7F3A"}}}};
  ASSERT_EQ(call("POST", "/api/v1/probe-sets", set.dump()).status, 201);
  json s = scan_to_end({{"target_id", target_at(vulnerable.url(), {{"name", "<i>target</i>"}})},
                        {"probes", {"markup", "pii-leak"}},
                        {"converters", {"base64"}}});
  ASSERT_EQ(s["status"], "completed") << s.dump();
  std::string done = std::to_string(s["progress"]["done"].get<int64_t>());
  std::string findings = std::to_string(s["summary"]["findings"].get<int64_t>());
  std::string errors = std::to_string(s["progress"]["errors"].get<int64_t>());
  ASSERT_GT(s["summary"]["findings"].get<int64_t>(), 0);
  std::string id = s["id"];

  auto junit = call("GET", "/api/v1/scans/" + id + "/report", "", {}, {{"format", "junit"}});
  EXPECT_EQ(junit.content_type, "application/xml; charset=utf-8");
  std::string xml = body_of(junit);
  EXPECT_EQ(check("junit", xml, done + " " + findings + " " + errors), 0) << xml.substr(0, 2000);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find("\xEF\xBF\xBE"), std::string::npos);
  EXPECT_NE(xml.find("Write &lt;b&gt;bold&lt;/b&gt; ]]&gt; and  controls"), std::string::npos);

  auto sarif = call("GET", "/api/v1/scans/" + id + "/report", "", {}, {{"format", "sarif"}});
  EXPECT_EQ(sarif.content_type, "application/sarif+json; charset=utf-8");
  std::string log = body_of(sarif);
  EXPECT_EQ(check("sarif", log, findings), 0) << log.substr(0, 2000);
  json doc = json::parse(log);
  const json& rules = doc["runs"][0]["tool"]["driver"]["rules"];
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1]["id"], "pii-leak");
  EXPECT_EQ(rules[1]["properties"]["tags"][0], "LLM02");
  // The same attack has the same fingerprint whichever scan found it.
  const json& first = doc["runs"][0]["results"][0];
  EXPECT_EQ(first["partialFingerprints"]["violentutfAttack/v1"].get<std::string>().size(), 64u);

  auto page = call("GET", "/api/v1/scans/" + id + "/report", "", {}, {{"format", "html"}});
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "Content-Security-Policy"),
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'");
  std::string html = body_of(page);
  EXPECT_EQ(check("html", html, findings), 0) << html.substr(0, 2000);
  // The mock's replies carry <script>alert(1)</script>; the target's name is markup too.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;i&gt;target&lt;/i&gt;"), std::string::npos);

  expect_problem(call("GET", "/api/v1/scans/" + id + "/report", "", {}, {{"format", "pdf"}}), 422,
                 "VALIDATION_ERROR");
}

TEST(xml_escape, drops_what_xml_cannot_carry_and_escapes_the_rest) {
  EXPECT_EQ(http::xml_escape("a<b>&\"'\t\n\r"), "a&lt;b&gt;&amp;&quot;&#39;\t\n\r");
  EXPECT_EQ(http::xml_escape(std::string("x\0y\x1f\x7f", 5)), "xy\x7f");
  EXPECT_EQ(http::xml_escape("\xEF\xBF\xBF\xEF\xBF\xBD"),
            "\xEF\xBF\xBD");  // U+FFFF gone, U+FFFD kept
}

}  // namespace
}  // namespace vutf
