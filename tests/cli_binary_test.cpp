// Black-box tests of the built vutf client against the built service (SQLite, a free port) and
// the mock LLM endpoint: exit statuses, output and the files it writes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/support.hpp"

#ifndef VUTF_CLI_BINARY
#error "VUTF_CLI_BINARY must name the built vutf binary"
#endif

namespace vutf {
namespace {

using nlohmann::json;
using test::run_result;

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One service and one logged-in config file for the suite: every test runs vutf with only
// VUTF_CONFIG set, as a user would after `vutf login`.
class cli_binary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service = std::make_unique<test::service_process>(env_map{});
    ASSERT_TRUE(service->wait_listening()) << service->err();
    url = "http://127.0.0.1:" + std::to_string(service->api_port());
    char tmpl[] = "/tmp/vutf-cli-test.XXXXXX";
    dir = mkdtemp(tmpl);
    config = dir + "/config";
    test::login_over_http(service->api_port(), "operator");
    auto login =
        run_program({VUTF_CLI_BINARY, "login", "--username", "operator", "--password-stdin"},
                    {{"VUTF_URL", url}, {"VUTF_CONFIG", config}}, "passw0rd-operator\n");
    ASSERT_EQ(login.code, 0) << login.out << login.err;
  }
  static void TearDownTestSuite() {
    service.reset();
    std::system(("rm -rf " + dir).c_str());
  }

  static run_result run_program(const std::vector<std::string>& argv, const env_map& env,
                                const std::string& input = "") {
    return test::run_program(argv, env, input);
  }

  // vutf ARGS with the suite's config file.
  run_result vutf(std::vector<std::string> args, env_map env = {}) {
    args.insert(args.begin(), VUTF_CLI_BINARY);
    env.emplace("VUTF_CONFIG", config);
    return run_program(args, env);
  }

  // A target named `name` at `endpoint`; returns its id.
  std::string create_target(const std::string& name, const std::string& endpoint) {
    auto r = vutf({"targets", "create", "--name", name, "--endpoint-url", endpoint});
    EXPECT_EQ(r.code, 0) << r.err;
    return first_line(r.out);
  }

  static unsigned read_config_mode() {
    struct stat st {};
    return stat(config.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
  }

  static inline std::unique_ptr<test::service_process> service;
  static inline std::string url;
  static inline std::string dir;
  static inline std::string config;
};

TEST_F(cli_binary, login_keeps_an_api_key_in_a_private_config_file) {
  EXPECT_EQ(read_config_mode(), 0600u);
  std::string text = read_text(config);
  EXPECT_TRUE(contains(text, "url = " + url + "\n")) << text;
  EXPECT_TRUE(contains(text, "api_key = vutf_")) << text;
  // A wrong password is the API's answer (3); no terminal and no --password-stdin is usage (2).
  std::string other = dir + "/other-config";
  auto wrong = run_program({VUTF_CLI_BINARY, "login", "--username", "operator", "--password-stdin"},
                           {{"VUTF_URL", url}, {"VUTF_CONFIG", other}}, "not-the-password\n");
  EXPECT_EQ(wrong.code, 3) << wrong.err;
  EXPECT_TRUE(contains(wrong.err, "HTTP 401")) << wrong.err;
  EXPECT_NE(access(other.c_str(), F_OK), 0);
  auto no_tty = run_program({VUTF_CLI_BINARY, "login", "--username", "operator"},
                            {{"VUTF_URL", url}, {"VUTF_CONFIG", other}}, "passw0rd-operator\n");
  EXPECT_EQ(no_tty.code, 2) << no_tty.err;
  EXPECT_TRUE(contains(no_tty.err, "--password-stdin")) << no_tty.err;
}

TEST_F(cli_binary, targets_create_list_and_test) {
  mock::options o;
  o.mode = "safe";
  mock::mock_target mock(o);
  std::string id = create_target("listed", mock.url() + "/v1");
  EXPECT_EQ(id.size(), 36u) << id;
  auto table = vutf({"targets", "list"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(first_line(table.out).rfind("ID", 0), 0u) << table.out;
  EXPECT_TRUE(contains(table.out, id + "  listed")) << table.out;
  auto listed = vutf({"targets", "list", "--json"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  bool found = false;
  for (const auto& t : json::parse(listed.out)) found = found || t["id"] == id;
  EXPECT_TRUE(found) << listed.out;
  auto ok = vutf({"targets", "test", "listed"});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.out.rfind("ok: answered in ", 0), 0u) << ok.out;
  create_target("nowhere", "http://127.0.0.1:" + std::to_string(test::free_port()) + "/v1");
  auto failed = vutf({"targets", "test", "nowhere"});
  EXPECT_EQ(failed.code, 1) << failed.out << failed.err;
  EXPECT_EQ(failed.out.rfind("failed: ", 0), 0u) << failed.out;
  auto unknown = vutf({"targets", "test", "no-such-target"});
  EXPECT_EQ(unknown.code, 3) << unknown.err;
  EXPECT_TRUE(contains(unknown.err, "no target named 'no-such-target'")) << unknown.err;
}

TEST_F(cli_binary, probes_list_shows_the_built_in_sets) {
  auto table = vutf({"probes", "list"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "prompt-injection")) << table.out;
  auto listed = vutf({"probes", "list", "--json"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_GE(json::parse(listed.out).size(), 5u);
}

// The scan's id from the summary's first line, "scan ID STATUS: ...".
std::string scan_id(const std::string& summary) {
  return summary.substr(5, 36);
}

TEST_F(cli_binary, scan_run_wait_exits_by_the_gate_writes_reports_and_diffs) {
  mock::options o;
  o.mode = "vulnerable";
  mock::mock_target mock(o);
  create_target("gated", mock.url() + "/v1");
  std::vector<std::string> run = {
      "scan",          "run", "--target",  "gated", "--probes", "prompt-injection",
      "--max-prompts", "4",   "--fail-on", "high",  "--wait"};
  auto add = [](std::vector<std::string> a, std::vector<std::string> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  std::string sarif = dir + "/report.sarif";
  auto failing = vutf(add(run, {"--format", "sarif", "-o", sarif}));
  EXPECT_EQ(failing.code, 1) << failing.out << failing.err;
  EXPECT_TRUE(contains(failing.out, "gate: fail")) << failing.out;
  // stderr is no terminal: plain progress lines, the last one the scan's end.
  EXPECT_TRUE(contains(failing.err, "progress: 4/4 prompts, 4 findings, 0 errors\n"))
      << failing.err;
  EXPECT_TRUE(contains(failing.err, "sarif report written to " + sarif)) << failing.err;
  auto report = json::parse(read_text(sarif));
  EXPECT_EQ(report["version"], "2.1.0");
  EXPECT_EQ(report["runs"][0]["results"].size(), 4u);
  std::string first = scan_id(failing.out);

  mock.set_mode("safe");
  std::string junit = dir + "/report.xml";
  auto passing = vutf(add(run, {"--format", "junit", "--output", junit}));
  EXPECT_EQ(passing.code, 0) << passing.out << passing.err;
  EXPECT_TRUE(contains(passing.out, "gate: pass")) << passing.out;
  std::string xml = read_text(junit);
  EXPECT_TRUE(contains(xml, "<testsuite")) << xml;
  EXPECT_FALSE(contains(xml, "<failure")) << xml;
  std::string second = scan_id(passing.out);

  // Without --baseline the baseline is the target's previous completed scan.
  auto diff = vutf({"scan", "diff", second});
  EXPECT_EQ(diff.code, 0) << diff.err;
  EXPECT_TRUE(contains(diff.out, "against baseline " + first)) << diff.out;
  EXPECT_TRUE(contains(diff.out, "new 0, fixed 4, persisting 0")) << diff.out;
  auto diff_json = vutf({"scan", "diff", second, "--baseline", first, "--json"});
  ASSERT_EQ(diff_json.code, 0) << diff_json.err;
  EXPECT_EQ(json::parse(diff_json.out)["fixed"].size(), 4u);

  // Later: the finished scan's status and its report in another format.
  EXPECT_EQ(vutf({"scan", "show", first}).code, 1);
  EXPECT_EQ(vutf({"scan", "show", second}).code, 0);
  std::string md = dir + "/report.md";
  auto markdown = vutf({"scan", "report", first, "--format", "markdown", "-o", md});
  EXPECT_EQ(markdown.code, 0) << markdown.err;
  EXPECT_TRUE(contains(read_text(md), "prompt-injection"));
}

TEST_F(cli_binary, scan_run_without_wait_prints_the_id) {
  mock::options o;
  mock::mock_target mock(o);
  create_target("queued", mock.url() + "/v1");
  auto r = vutf(
      {"scan", "run", "--target", "queued", "--probes", "prompt-injection", "--max-prompts", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 37u) << r.out;
  auto shown = vutf({"scan", "show", first_line(r.out), "--json"});
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["id"], first_line(r.out));
}

TEST_F(cli_binary, schedules_create_list_disable_and_delete) {
  create_target("scheduled", "http://127.0.0.1:9/v1");
  auto every = vutf({"schedules", "create", "--target", "scheduled", "--probes", "prompt-injection",
                     "--every", "3600", "--fail-on", "high"});
  ASSERT_EQ(every.code, 0) << every.err;
  std::string id = first_line(every.out);
  auto cron = vutf({"schedules", "create", "--target", "scheduled", "--probes", "jailbreak",
                    "--cron", "0 3 * * *", "--disabled", "--json"});
  ASSERT_EQ(cron.code, 0) << cron.err;
  auto created = json::parse(cron.out);
  EXPECT_EQ(created["enabled"], false);
  auto table = vutf({"schedules", "list"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "every 3600 s")) << table.out;
  EXPECT_TRUE(contains(table.out, "cron 0 3 * * *")) << table.out;
  EXPECT_EQ(vutf({"schedules", "disable", id}).code, 0);
  auto listed = json::parse(vutf({"schedules", "list", "--json"}).out);
  for (const auto& s : listed) {
    if (s["id"] == id) {
      EXPECT_EQ(s["enabled"], false) << s;
    }
  }
  EXPECT_EQ(vutf({"schedules", "delete", id}).code, 0);
  EXPECT_EQ(vutf({"schedules", "delete", created["id"]}).code, 0);
  EXPECT_FALSE(contains(vutf({"schedules", "list"}).out, id));
  auto gone = vutf({"schedules", "delete", id});
  EXPECT_EQ(gone.code, 3);
  EXPECT_TRUE(contains(gone.err, "HTTP 404")) << gone.err;
  auto both = vutf({"schedules", "create", "--target", "scheduled", "--probes", "jailbreak",
                    "--cron", "0 3 * * *", "--every", "60"});
  EXPECT_EQ(both.code, 2) << both.err;
}

TEST_F(cli_binary, usage_errors_exit_2_naming_every_problem) {
  auto r = vutf({"scan", "run", "--target", "x", "--fail-on", "extreme", "--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "vutf scan run: --fail-on must be one of low, medium, high, critical (got 'extreme')\n"
            "vutf scan run: unknown option --bogus\n"
            "vutf scan run: --probes is required\n"
            "Try 'vutf scan run --help'.\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(vutf({}).code, 2);
  EXPECT_EQ(vutf({"targets"}).code, 2);
  EXPECT_EQ(vutf({"nonsense"}).code, 2);
  EXPECT_EQ(vutf({"scan", "run", "--target", "x", "--probes", "y", "--format", "sarif"}).code, 2);
  EXPECT_EQ(
      vutf({"scan", "run", "--target", "x", "--probes", "y", "--format", "sarif", "-o", "f"}).code,
      2);  // a report needs --wait
  auto no_key = run_program({VUTF_CLI_BINARY, "targets", "list"},
                            {{"VUTF_URL", url}, {"VUTF_CONFIG", dir + "/none"}});
  EXPECT_EQ(no_key.code, 2);
  EXPECT_TRUE(contains(no_key.err, "no API key")) << no_key.err;
}

TEST_F(cli_binary, api_and_network_errors_exit_3_with_the_problem) {
  auto missing = vutf({"scan", "show", "00000000-0000-4000-8000-000000000000"});
  EXPECT_EQ(missing.code, 3);
  EXPECT_TRUE(contains(missing.err, "HTTP 404")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "(NOT_FOUND)")) << missing.err;
  auto bad_key = vutf({"targets", "list"}, {{"VUTF_API_KEY", "vutf_not-a-key"}});
  EXPECT_EQ(bad_key.code, 3);
  EXPECT_TRUE(contains(bad_key.err, "HTTP 401")) << bad_key.err;
  std::string down = "http://127.0.0.1:" + std::to_string(test::free_port());
  auto unreachable = vutf({"--url", down, "probes", "list"});
  EXPECT_EQ(unreachable.code, 3);
  EXPECT_TRUE(contains(unreachable.err, "cannot reach " + down)) << unreachable.err;
}

TEST_F(cli_binary, every_command_has_help_and_the_man_page_lists_them) {
  auto top = vutf({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_TRUE(contains(top.out, "Exit status:")) << top.out;
  for (const auto& c : cli::program().commands) {
    std::vector<std::string> args = c.words;
    args.push_back("--help");
    auto h = vutf(args);
    EXPECT_EQ(h.code, 0) << c.name();
    EXPECT_EQ(h.out.rfind("Usage: vutf " + c.name(), 0), 0u) << h.out;
    EXPECT_TRUE(contains(top.out, "  " + c.name() + " ")) << c.name();
    for (const auto& o : c.options) EXPECT_TRUE(contains(h.out, "--" + o.name)) << c.name();
    for (const auto& o : cli::program().globals) EXPECT_TRUE(contains(h.out, "--" + o.name));
  }
  auto man = vutf({"--man"});
  EXPECT_EQ(man.code, 0);
  EXPECT_EQ(man.out.rfind(".TH VUTF 1", 0), 0u) << man.out.substr(0, 200);
  auto version = vutf({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("vutf ", 0), 0u);
}

}  // namespace
}  // namespace vutf
