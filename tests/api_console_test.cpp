// The HTTP API: the web console's static files (/console).
#include <regex>

#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

constexpr const char* console_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// Every value of header `name` in `r` (a header sent twice would be two policies, two rules).
std::vector<std::string> all(const api_response& r, const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [k, v] : r.headers)
    if (k == name) values.push_back(v);
  return values;
}

class console_test : public api_test {
 protected:
  // Without any credential: the page is public (the data it shows is not).
  api_response anonymous(const std::string& path, http::header_list headers = {}) {
    headers.emplace_back("Authorization", "");
    return call("GET", path, "", std::move(headers));
  }
};

TEST_F(console_test, console_redirects_to_its_folder_so_relative_links_resolve) {
  auto r = anonymous("/console");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "Location"), "/console/");
}

TEST_F(console_test, files_are_served_without_credentials_under_the_console_policy) {
  const std::pair<const char*, const char*> files[] = {
      {"/console/", "text/html; charset=utf-8"},
      {"/console/index.html", "text/html; charset=utf-8"},
      {"/console/console.css", "text/css; charset=utf-8"},
      {"/console/console.js", "text/javascript; charset=utf-8"}};
  for (const auto& [path, type] : files) {
    auto r = anonymous(path);
    ASSERT_EQ(r.status, 200) << path << " " << r.body;
    EXPECT_EQ(r.content_type, type) << path;
    EXPECT_FALSE(r.body.empty()) << path;
    EXPECT_EQ(all(r, "Content-Security-Policy"), std::vector<std::string>{console_policy}) << path;
    EXPECT_EQ(all(r, "X-Content-Type-Options"), std::vector<std::string>{"nosniff"}) << path;
    EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer") << path;
    EXPECT_EQ(all(r, "Cache-Control"), std::vector<std::string>{"no-cache"}) << path;
    EXPECT_FALSE(header(r, "ETag").empty()) << path;
    EXPECT_EQ(header(r, "WWW-Authenticate"), "") << path;
  }
  EXPECT_EQ(anonymous("/console/").body, anonymous("/console/index.html").body);
  // A garbage credential does not matter either: nothing here reads it.
  EXPECT_EQ(call("GET", "/console/console.js", "", {{"Authorization", "Bearer nonsense"}}).status,
            200);
}

TEST_F(console_test, an_unchanged_file_is_revalidated_with_304) {
  auto first = anonymous("/console/console.js");
  std::string tag = header(first, "ETag");
  ASSERT_EQ(tag.front(), '"');
  auto again = anonymous("/console/console.js", {{"If-None-Match", tag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(header(again, "ETag"), tag);
  EXPECT_EQ(header(again, "Content-Security-Policy"), console_policy);
  EXPECT_EQ(anonymous("/console/console.js", {{"If-None-Match", "\"stale\""}}).status, 200);
  // Each file has a tag of its own.
  EXPECT_NE(header(anonymous("/console/console.css"), "ETag"), tag);
}

TEST_F(console_test, a_file_the_console_does_not_have_is_a_404_problem) {
  for (const char* path : {"/console/nope.js", "/console/console.hpp", "/console/CMakeLists.txt",
                           "/console/..", "/console/a/b"}) {
    auto r = anonymous(path);
    expect_problem(r, 404, "NOT_FOUND");
    EXPECT_EQ(r.content_type, "application/problem+json; charset=utf-8") << path;
  }
}

// The policy refuses inline script and style; the page must not need them, and console.js must
// never turn data into markup (hostile target names and replies are shown as text).
TEST_F(console_test, the_page_has_no_inline_script_or_style_and_builds_no_markup_from_data) {
  std::string html = anonymous("/console/").body;
  std::smatch m;
  std::regex script_tag("<script([^>]*)>([^<]*)</script>", std::regex::icase);
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag);
       it != std::sregex_iterator(); ++it) {
    ++scripts;
    EXPECT_NE((*it)[1].str().find("src=\"console.js\""), std::string::npos) << it->str();
    EXPECT_EQ((*it)[2].str(), "") << it->str();
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_FALSE(std::regex_search(html, std::regex("<style", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex("\\sstyle\\s*=", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex("\\son[a-z]+\\s*=", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex("javascript:", std::regex::icase)));
  std::string js = anonymous("/console/console.js").body;
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function", ".style."})
    EXPECT_EQ(js.find(sink), std::string::npos) << sink;
}

TEST_F(console_test, api_routes_keep_their_own_policy_and_no_store) {
  auto r = call("GET", "/api/v1/live");
  EXPECT_EQ(all(r, "Content-Security-Policy"),
            std::vector<std::string>{"default-src 'none'; frame-ancestors 'none'"});
  EXPECT_EQ(all(r, "Cache-Control"), std::vector<std::string>{"no-store"});
}

}  // namespace
}  // namespace vutf
