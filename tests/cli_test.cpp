// The vutf client's pure parts: the command table's parsing, help and man page, the settings'
// precedence, the config file, progress rendering and the event-stream parser.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "cli/client.hpp"
#include "cli/command.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/progress.hpp"

namespace vutf::cli {
namespace {

using action = parse_result::action;

parse_result parse_line(const std::vector<std::string>& args) {
  return parse(program(), args);
}

TEST(cli_parse, finds_the_command_and_its_options_in_any_form) {
  auto r = parse_line({"--url", "http://h:1", "scan", "run", "--target=t1", "--probes", "a,b",
                       "--wait", "-o", "out.sarif", "--format", "sarif"});
  ASSERT_EQ(r.what, action::run) << render_usage_error(program(), r);
  EXPECT_EQ(r.command->name(), "scan run");
  EXPECT_EQ(r.args.get("url"), "http://h:1");
  EXPECT_EQ(r.args.get("target"), "t1");
  EXPECT_EQ(r.args.get("probes"), "a,b");
  EXPECT_TRUE(r.args.has("wait"));
  EXPECT_FALSE(r.args.has("converters"));
  EXPECT_EQ(r.args.get("output"), "out.sarif");
  EXPECT_EQ(r.args.get("format"), "sarif");
}

TEST(cli_parse, positionals_and_globals_after_the_command) {
  auto r = parse_line({"scan", "diff", "s-1", "--baseline", "s-0", "--api-key", "k"});
  ASSERT_EQ(r.what, action::run) << render_usage_error(program(), r);
  EXPECT_EQ(r.args.positionals, std::vector<std::string>{"s-1"});
  EXPECT_EQ(r.args.get("baseline"), "s-0");
  EXPECT_EQ(r.args.get("api-key"), "k");
}

TEST(cli_parse, reports_every_problem_at_once) {
  auto r = parse_line({"scan", "run", "--bogus", "--fail-on", "extreme", "extra"});
  EXPECT_EQ(r.what, action::usage_error);
  std::string bad_choice = "--fail-on must be one of low, medium, high, critical (got 'extreme')";
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{"unknown option --bogus", bad_choice, "--target is required",
                                      "--probes is required", "unexpected argument 'extra'"}));
  EXPECT_EQ(render_usage_error(program(), r).substr(0, 32), "vutf scan run: unknown option --");
  EXPECT_NE(render_usage_error(program(), r).find("Try 'vutf scan run --help'.\n"),
            std::string::npos);
}

TEST(cli_parse, missing_values_flags_with_values_and_missing_arguments) {
  EXPECT_EQ(parse_line({"scan", "diff"}).problems, std::vector<std::string>{"SCAN_ID is required"});
  EXPECT_EQ(parse_line({"targets", "list", "--json=yes"}).problems,
            std::vector<std::string>{"--json takes no value"});
  EXPECT_EQ(parse_line({"scan", "report", "s", "--format", "csv", "-o"}).problems,
            (std::vector<std::string>{"-o needs a value (FILE)", "--output is required"}));
}

TEST(cli_parse, commands_groups_help_man_and_version) {
  EXPECT_EQ(parse_line({}).what, action::usage_error);
  EXPECT_EQ(parse_line({"nonsense"}).problems,
            std::vector<std::string>{"unknown command 'nonsense'"});
  auto group = parse_line({"targets"});
  EXPECT_EQ(group.what, action::usage_error);
  EXPECT_EQ(group.problems, std::vector<std::string>{"'targets' needs a subcommand"});
  auto group_help = parse_line({"targets", "--help"});
  EXPECT_EQ(group_help.what, action::help);
  EXPECT_EQ(group_help.group, "targets");
  auto help = parse_line({"scan", "run", "--bogus", "-h"});
  EXPECT_EQ(help.what, action::help);
  EXPECT_EQ(help.command->name(), "scan run");
  EXPECT_EQ(parse_line({"--help"}).what, action::help);
  EXPECT_EQ(parse_line({"--man"}).what, action::man);
  EXPECT_EQ(parse_line({"--version"}).what, action::version);
}

TEST(cli_help, group_help_lists_only_the_group) {
  std::string h = render_help(program(), nullptr, "schedules");
  EXPECT_NE(h.find("schedules create"), std::string::npos);
  EXPECT_EQ(h.find("scan run"), std::string::npos);
}

TEST(cli_help, the_man_page_escapes_roff) {
  std::string man = render_man(program(), "1.2.3");
  EXPECT_EQ(man.rfind(".TH VUTF 1 \"\" \"vutf 1.2.3\" \"User Commands\"\n", 0), 0u);
  // Dashes are escaped, so man renders them as minus signs a reader can paste.
  EXPECT_NE(man.find(".B \\-\\-fail\\-on SEVERITY\n"), std::string::npos);
  EXPECT_NE(man.find(".SH EXIT STATUS\n"), std::string::npos);
  for (const auto& c : program().commands)
    EXPECT_NE(man.find(".SS vutf " + c.name() + "\n"), std::string::npos) << c.name();
}

TEST(cli_config, flags_beat_the_environment_which_beats_the_file) {
  std::map<std::string, std::string> env_values;
  env_lookup env = [&](const std::string& k) {
    auto it = env_values.find(k);
    return it == env_values.end() ? std::string() : it->second;
  };
  std::map<std::string, std::string> file = {{"url", "http://file"}, {"api_key", "vutf_file"}};
  invocation none;
  EXPECT_EQ(resolve_settings(none, env, {}).url, default_url);
  EXPECT_EQ(resolve_settings(none, env, {}).api_key, "");
  EXPECT_EQ(resolve_settings(none, env, file).url, "http://file");
  EXPECT_EQ(resolve_settings(none, env, file).api_key, "vutf_file");
  env_values = {{"VUTF_URL", "http://env"}, {"VUTF_API_KEY", "vutf_env"}};
  EXPECT_EQ(resolve_settings(none, env, file).url, "http://env");
  EXPECT_EQ(resolve_settings(none, env, file).api_key, "vutf_env");
  invocation flags;
  flags.values = {{"url", "http://flag"}, {"api-key", "vutf_flag"}};
  EXPECT_EQ(resolve_settings(flags, env, file).url, "http://flag");
  EXPECT_EQ(resolve_settings(flags, env, file).api_key, "vutf_flag");
}

TEST(cli_config, the_file_is_found_by_vutf_config_then_xdg_then_home) {
  std::map<std::string, std::string> e = {{"HOME", "/home/a"}};
  env_lookup env = [&](const std::string& k) { return e.count(k) ? e.at(k) : std::string(); };
  EXPECT_EQ(config_path(env), "/home/a/.config/vutf/config");
  e["XDG_CONFIG_HOME"] = "/xdg";
  EXPECT_EQ(config_path(env), "/xdg/vutf/config");
  e["VUTF_CONFIG"] = "/etc/vutf.conf";
  EXPECT_EQ(config_path(env), "/etc/vutf.conf");
  e.clear();
  EXPECT_EQ(config_path(env), "");
}

TEST(cli_config, key_value_lines_round_trip_with_mode_0600) {
  EXPECT_EQ(parse_config("# comment\n\n url = http://x:1 \napi_key=vutf_a\nnonsense\n=v\n"),
            (std::map<std::string, std::string>{{"url", "http://x:1"}, {"api_key", "vutf_a"}}));
  char tmpl[] = "/tmp/vutf-cli-config.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/nested/vutf/config";
  std::map<std::string, std::string> values = {{"url", "http://x"}, {"api_key", "vutf_secret"}};
  write_config(path, values);
  EXPECT_EQ(read_config(path), values);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_config(dir + "/missing"), (std::map<std::string, std::string>{}));
  EXPECT_THROW(write_config("/proc/vutf/config", values), std::runtime_error);
  std::system(("rm -rf " + dir).c_str());
}

TEST(cli_progress, bar_and_line) {
  scan_progress p{10, 20, 1, 2};
  EXPECT_EQ(progress_bar(p, 10), "[#####-----]  50%  10/20 prompts, 2 findings, 1 error");
  EXPECT_EQ(progress_line(p), "progress: 10/20 prompts, 2 findings, 1 error");
  EXPECT_EQ(progress_bar({0, 0, 0, 0}, 4), "[----]   0%  0/0 prompts, 0 findings, 0 errors");
  EXPECT_EQ(progress_bar({25, 20, 0, 1}, 4), "[####] 100%  25/20 prompts, 1 finding, 0 errors");
}

TEST(cli_sse, events_split_anywhere_with_comments_and_crlf) {
  std::vector<std::pair<std::string, std::string>> seen;
  sse_parser p([&](const std::string& n, const std::string& d) { seen.emplace_back(n, d); });
  std::string stream =
      "event: progress\r\ndata: {\"done\":1}\r\n\r\n: keep-alive\n\ndata: a\ndata: b\n\n"
      "event: end\ndata:{\"status\":\"completed\"}\n\nevent: cut";
  for (char ch : stream) ASSERT_TRUE(p.feed(&ch, 1));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"progress", "{\"done\":1}"},
                      {"message", "a\nb"},
                      {"end", "{\"status\":\"completed\"}"}}));
  sse_parser small([](const std::string&, const std::string&) {}, 8);
  EXPECT_FALSE(small.feed("0123456789", 10));
}

TEST(cli_client, problem_details_and_base_urls) {
  EXPECT_EQ(problem_message(422, R"({"title":"Validation failed","detail":"2 fields",)"
                                 R"("error_code":"VALIDATION_ERROR","errors":[)"
                                 R"({"field":"probes","reason":"required"}]})"),
            "HTTP 422 Validation failed: 2 fields (VALIDATION_ERROR)\n  probes: required");
  EXPECT_EQ(problem_message(502, "Bad gateway"), "HTTP 502: Bad gateway");
  // Fields of the wrong type are left out, not thrown on (found by fuzz_cli_stream).
  EXPECT_EQ(problem_message(422, R"({"title":"Unprocessable","detail":7,"error_code":[1],)"
                                 R"("errors":[{"field":{},"reason":"bad"},3]})"),
            "HTTP 422 Unprocessable\n  ?: bad");
  EXPECT_EQ(split_base_url("http://h:8000"),
            (std::pair<std::string, std::string>{"http://h:8000", "/api/v1"}));
  EXPECT_EQ(split_base_url("https://h/vutf/"),
            (std::pair<std::string, std::string>{"https://h", "/vutf/api/v1"}));
  EXPECT_THROW(split_base_url("h:8000"), api_error);
}

}  // namespace
}  // namespace vutf::cli
