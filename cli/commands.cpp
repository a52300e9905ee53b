#include "cli/commands.hpp"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/client.hpp"
#include "cli/config.hpp"
#include "cli/progress.hpp"

#ifndef VUTF_VERSION
#error "VUTF_VERSION must be the project's version"
#endif

namespace vutf::cli {

namespace {

using nlohmann::json;

// A command line that parsed but makes no sense (exit 2), found by a handler.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

client_settings settings_for(const invocation& a) {
  return resolve_settings(a, env, read_config(config_path(env)));
}

// A client with the settings in force; without a credential only `login` can do anything.
std::unique_ptr<api_client> connect(const invocation& a) {
  auto s = settings_for(a);
  if (s.api_key.empty()) {
    throw usage_error("no API key: run 'vutf login', set VUTF_API_KEY or pass --api-key");
  }
  return std::make_unique<api_client>(s.url, s.api_key);
}

std::vector<std::string> split_list(const std::string& csv) {
  std::vector<std::string> out;
  std::istringstream in(csv);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// A positive integer option, or a usage error naming it.
int64_t positive(const invocation& a, const std::string& name) {
  const std::string v = a.get(name);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 1)
    throw usage_error("--" + name + " must be a positive integer");
  return n;
}

std::string str(const json& j, const std::string& key) {
  if (!j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string percent(double rate) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << rate * 100 << "%";
  return out.str();
}

std::string clip(std::string s, size_t n) {
  for (auto& ch : s) {
    if (ch == '\n' || ch == '\t' || ch == '\r') ch = ' ';
  }
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

// Columns aligned on their widest cell, headers first.
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
}

// Lists print a table, or with --json the items as one JSON array.
int print_list(const invocation& a, const json& items, const std::vector<std::string>& headers,
               const std::function<std::vector<std::string>(const json&)>& row) {
  if (a.has("json")) {
    std::cout << items.dump(2) << "\n";
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : items) rows.push_back(row(item));
  print_table(headers, rows);
  return exit_ok;
}

// A created object: its id on stdout (for scripts), or with --json all of it.
int print_created(const invocation& a, const json& created) {
  std::cout << (a.has("json") ? created.dump(2) : str(created, "id")) << "\n";
  return exit_ok;
}

bool looks_like_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A target given by id or by its exact name.
std::string target_id(api_client& c, const std::string& id_or_name) {
  if (looks_like_uuid(id_or_name)) return id_or_name;
  for (const auto& t : c.list_all("/targets?q=" + query_escape(id_or_name))) {
    if (t.value("name", "") == id_or_name) return t.value("id", "");
  }
  throw api_error(404, "no target named '" + id_or_name + "' (vutf targets list)");
}

// ---- login ---------------------------------------------------------------------------------

std::string read_password(const invocation& a) {
  std::string password;
  if (a.has("password-stdin")) {
    std::getline(std::cin, password);
  } else if (isatty(STDIN_FILENO)) {
    std::cerr << "Password: " << std::flush;
    termios saved{};
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::getline(std::cin, password);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  } else {
    throw usage_error(
        "stdin is not a terminal to prompt on: pass the password with --password-stdin");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw usage_error("empty password");
  return password;
}

// Logs in, creates an API key with the session (a key outlives the access token) and keeps it
// in the config file with the URL it belongs to.
int login(const invocation& a) {
  std::string password = read_password(a);
  auto s = settings_for(a);
  api_client anonymous(s.url, "");
  auto tokens =
      anonymous.post("/auth/login", {{"username", a.get("username")}, {"password", password}});
  api_client session(s.url, tokens.value("access_token", ""));
  json key_request = {{"name", a.get("key-name", "vutf cli")}, {"scopes", {"read", "write"}}};
  if (a.has("expires-in-days")) key_request["expires_in_days"] = positive(a, "expires-in-days");
  auto key = session.post("/api-keys", key_request);
  std::string path = config_path(env);
  auto values = read_config(path);
  values["url"] = s.url;
  values["api_key"] = key.value("key", "");
  write_config(path, values);
  std::cout << "Logged in to " << s.url << " as " << a.get("username") << "; API key "
            << str(key, "id") << " saved to " << path << "\n";
  return exit_ok;
}

// ---- targets and probes --------------------------------------------------------------------

int targets_list(const invocation& a) {
  auto c = connect(a);
  return print_list(a, c->list_all("/targets?sort=name"), {"ID", "NAME", "KIND", "ENDPOINT"},
                    [](const json& t) {
                      return std::vector<std::string>{str(t, "id"), str(t, "name"), str(t, "kind"),
                                                      str(t, "endpoint_url")};
                    });
}

int targets_create(const invocation& a) {
  auto c = connect(a);
  json body = {{"name", a.get("name")},
               {"kind", a.get("kind", "openai-chat")},
               {"endpoint_url", a.get("endpoint-url")}};
  for (const char* field : {"model", "description", "system-prompt", "response-path"}) {
    std::string key = field;
    std::replace(key.begin(), key.end(), '-', '_');
    if (a.has(field)) body[key] = a.get(field);
  }
  if (a.has("timeout")) body["timeout_seconds"] = positive(a, "timeout");
  return print_created(a, c->post("/targets", body));
}

int targets_test(const invocation& a) {
  auto c = connect(a);
  auto r = c->post("/targets/" + target_id(*c, a.positionals.at(0)) + "/test", json::object());
  if (a.has("json")) std::cout << r.dump(2) << "\n";
  if (r.value("ok", false)) {
    if (!a.has("json")) {
      std::cout << "ok: answered in " << str(r, "latency_ms")
                << " ms: " << clip(r.value("sample", ""), 100) << "\n";
    }
    return exit_ok;
  }
  if (!a.has("json")) std::cout << "failed: " << str(r, "error") << "\n";
  return exit_gate_failed;
}

int probes_list(const invocation& a) {
  auto c = connect(a);
  return print_list(a, c->list_all("/probes"), {"ID", "NAME", "CATEGORY", "PROMPTS", "SOURCE"},
                    [](const json& p) {
                      return std::vector<std::string>{str(p, "id"), str(p, "name"),
                                                      str(p, "category"), str(p, "prompt_count"),
                                                      str(p, "source")};
                    });
}

// ---- scans ---------------------------------------------------------------------------------

// The gate part of a scan or schedule body from --fail-on / --max-attack-success-rate.
void add_gate(const invocation& a, json& body) {
  json gate = json::object();
  if (a.has("fail-on")) gate["severity"] = a.get("fail-on");
  if (a.has("max-attack-success-rate")) {
    const std::string v = a.get("max-attack-success-rate");
    char* end = nullptr;
    double rate = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || rate < 0 || rate > 1) {
      throw usage_error("--max-attack-success-rate must be a number in 0..1");
    }
    gate["max_attack_success_rate"] = rate;
  }
  if (!gate.empty()) body["fail_on"] = gate;
}

json scan_body(api_client& c, const invocation& a) {
  json body = {{"target_id", target_id(c, a.get("target"))},
               {"probes", split_list(a.get("probes"))}};
  if (a.has("converters")) body["converters"] = split_list(a.get("converters"));
  add_gate(a, body);
  return body;
}

bool finished(const json& scan) {
  std::string status = scan.value("status", "");
  return status == "completed" || status == "failed" || status == "cancelled";
}

// Progress on stderr: one bar redrawn in place on a terminal, a line per change otherwise.
class progress_view {
 public:
  progress_view() : tty_(isatty(STDERR_FILENO) != 0) {}
  void show(const scan_progress& p) {
    if (shown_ && p == last_) return;
    last_ = p;
    shown_ = true;
    // On a terminal: back to the line's start, the bar, and the rest of the line cleared.
    std::cerr << (tty_ ? "\r" + progress_bar(p) + "\x1b[K" : progress_line(p) + "\n") << std::flush;
  }
  void finish() {
    if (tty_ && shown_) std::cerr << "\n";
  }

 private:
  bool tty_;
  bool shown_ = false;
  scan_progress last_;
};

scan_progress progress_of(const json& scan) {
  const json& p = scan.contains("progress") ? scan["progress"] : scan;
  scan_progress out;
  out.done = p.value("done", int64_t{0});
  out.total = p.value("total", int64_t{0});
  out.errors = p.value("errors", int64_t{0});
  out.findings = scan.contains("summary") ? scan["summary"].value("findings", int64_t{0})
                                          : p.value("findings", int64_t{0});
  return out;
}

// Follows the scan to its end: its event stream, or polling GET /scans/{id} once a second when
// the stream cannot be had or breaks off. Returns the finished scan.
json follow(api_client& c, const std::string& id) {
  progress_view view;
  json end;
  sse_parser events([&](const std::string& name, const std::string& data) {
    auto j = json::parse(data, nullptr, false);
    if (!j.is_object()) return;
    if (name == "progress") view.show(progress_of(j));
    if (name == "end") end = j;
  });
  c.stream("/scans/" + id + "/events",
           [&](const char* data, size_t size) { return events.feed(data, size) && end.is_null(); });
  for (bool first = true; end.is_null() || !finished(end); first = false) {
    if (!first) std::this_thread::sleep_for(std::chrono::seconds(1));
    end = c.get("/scans/" + id);
    view.show(progress_of(end));
  }
  view.show(progress_of(end));
  view.finish();
  return end;
}

// "severity high or above, attack success rate over 25.0%" from a fail_on object.
std::string gate_text(const json& fail_on) {
  std::string out;
  if (!fail_on.is_object()) return "-";
  if (fail_on.value("severity", json()).is_string()) {
    out = "severity " + fail_on["severity"].get<std::string>() + " or above";
  }
  if (fail_on.value("max_attack_success_rate", json()).is_number()) {
    out += (out.empty() ? "" : ", ") + std::string("attack success rate over ") +
           percent(fail_on["max_attack_success_rate"].get<double>());
  }
  return out;
}

void print_summary(const json& scan) {
  auto p = progress_of(scan);
  const json& summary = scan.contains("summary") ? scan["summary"] : json::object();
  std::cout << "scan " << str(scan, "id") << " " << str(scan, "status") << ": " << p.done << "/"
            << p.total << " prompts, " << p.errors << " errors\n";
  std::cout << "findings: " << p.findings;
  if (summary.contains("by_severity")) {
    std::string sep = " (";
    for (const char* sev : {"critical", "high", "medium", "low"}) {
      std::cout << sep << sev << " " << summary["by_severity"].value(sev, 0);
      sep = ", ";
    }
    std::cout << ")";
  }
  std::cout << "; attack success rate " << percent(summary.value("attack_success_rate", 0.0))
            << "\n";
  if (!scan.value("error", json()).is_null()) std::cout << "error: " << str(scan, "error") << "\n";
  if (scan.contains("gate") && !scan["gate"].is_null()) {
    std::cout << "gate: " << str(scan, "gate") << " (fail on " << gate_text(scan["fail_on"])
              << ")\n";
  }
}

// The exit status a finished scan means: its gate when it has one, else whether it completed.
int scan_outcome(const json& scan) {
  std::string gate = scan.value("gate", json()).is_string() ? scan["gate"].get<std::string>() : "";
  if (gate == "fail") return exit_gate_failed;
  if (gate == "pass" || scan.value("status", "") == "completed") return exit_ok;
  std::cerr << "vutf: scan " << str(scan, "id") << " " << str(scan, "status") << ": "
            << str(scan, "error") << "\n";
  return exit_api;
}

void check_report_options(const invocation& a) {
  if (a.has("format") != a.has("output")) throw usage_error("--format and --output go together");
}

void write_report(api_client& c, const invocation& a, const std::string& id) {
  c.download("/scans/" + id + "/report?format=" + a.get("format"), a.get("output"));
  std::cerr << a.get("format") << " report written to " << a.get("output") << "\n";
}

int scan_run(const invocation& a) {
  check_report_options(a);
  if (a.has("format") && !a.has("wait"))
    throw usage_error("--format needs --wait (the report of a finished scan)");
  auto c = connect(a);
  json body = scan_body(*c, a);
  if (a.has("max-prompts")) body["max_prompts"] = positive(a, "max-prompts");
  auto scan = c->post("/scans", body);
  std::string id = scan.value("id", "");
  if (!a.has("wait")) {
    std::cout << id << "\n";
    return exit_ok;
  }
  std::cerr << "scan " << id << " queued\n";
  scan = follow(*c, id);
  print_summary(scan);
  if (a.has("format")) write_report(*c, a, id);
  return scan_outcome(scan);
}

int scan_show(const invocation& a) {
  auto c = connect(a);
  auto scan = c->get("/scans/" + a.positionals.at(0));
  if (a.has("json")) {
    std::cout << scan.dump(2) << "\n";
  } else {
    print_summary(scan);
  }
  return finished(scan) ? scan_outcome(scan) : exit_ok;
}

int scan_report(const invocation& a) {
  auto c = connect(a);
  write_report(*c, a, a.positionals.at(0));
  return exit_ok;
}

std::vector<std::vector<std::string>> finding_rows(const std::string& change,
                                                   const json& findings) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : findings) {
    rows.push_back({change, str(f, "probe"), str(f, "severity"), str(f, "converter"),
                    clip(f.value("prompt", ""), 60)});
  }
  return rows;
}

int scan_diff(const invocation& a) {
  auto c = connect(a);
  std::string path = "/scans/" + a.positionals.at(0) + "/diff";
  if (a.has("baseline")) path += "?baseline=" + query_escape(a.get("baseline"));
  auto d = c->get(path);
  if (a.has("json")) {
    std::cout << d.dump(2) << "\n";
    return exit_ok;
  }
  const json& asr = d["attack_success_rate"];
  std::cout << "scan " << str(d, "scan") << " against baseline " << str(d, "baseline") << "\n"
            << "new " << d["new"].size() << ", fixed " << d["fixed"].size() << ", persisting "
            << d["persisting"].size() << "; attack success rate "
            << percent(asr.value("baseline", 0.0)) << " -> " << percent(asr.value("current", 0.0))
            << "\n";
  auto rows = finding_rows("new", d["new"]);
  auto fixed = finding_rows("fixed", d["fixed"]);
  rows.insert(rows.end(), fixed.begin(), fixed.end());
  if (!rows.empty()) print_table({"CHANGE", "PROBE", "SEVERITY", "CONVERTER", "PROMPT"}, rows);
  return exit_ok;
}

// ---- schedules -----------------------------------------------------------------------------

std::string when(const json& s) {
  if (s.contains("cron") && s["cron"].is_string()) return "cron " + s["cron"].get<std::string>();
  return "every " + str(s, "interval_seconds") + " s";
}

int schedules_list(const invocation& a) {
  auto c = connect(a);
  return print_list(
      a, c->list_all("/schedules"),
      {"ID", "TARGET", "PROBES", "WHEN", "ENABLED", "NEXT RUN", "LAST SCAN"}, [](const json& s) {
        std::string probes;
        for (const auto& p : s.value("probes", json::array()))
          probes += (probes.empty() ? "" : ",") + p.get<std::string>();
        return std::vector<std::string>{
            str(s, "id"),          str(s, "target_id"),   probes, when(s), str(s, "enabled"),
            str(s, "next_run_at"), str(s, "last_scan_id")};
      });
}

int schedules_create(const invocation& a) {
  if (a.has("cron") == a.has("every")) throw usage_error("give exactly one of --cron and --every");
  auto c = connect(a);
  json body = scan_body(*c, a);
  if (a.has("cron")) body["cron"] = a.get("cron");
  if (a.has("every")) body["interval_seconds"] = positive(a, "every");
  if (a.has("disabled")) body["enabled"] = false;
  return print_created(a, c->post("/schedules", body));
}

int schedules_delete(const invocation& a) {
  auto c = connect(a);
  c->del("/schedules/" + a.positionals.at(0));
  return exit_ok;
}

int schedules_enable(const invocation& a, bool enabled) {
  auto c = connect(a);
  c->patch("/schedules/" + a.positionals.at(0), {{"enabled", enabled}});
  return exit_ok;
}

// ---- the table -----------------------------------------------------------------------------

const option_spec json_option{"json", "", "Print JSON instead of a table."};
const std::vector<std::string> severities = {"low", "medium", "high", "critical"};
const std::vector<std::string> report_formats = {"json", "csv",   "markdown",
                                                 "html", "junit", "sarif"};

std::vector<option_spec> scan_options(const std::string& what) {
  return {
      {"target", "TARGET", "The target: its id or its exact name.", true},
      {"probes", "IDS", "Probe set ids, comma-separated (vutf probes list).", true},
      {"converters", "IDS",
       "Converter ids, comma-separated: each prompt is also sent through each."},
      {"fail-on", "SEVERITY",
       "The gate: " + what + " fails on a finding of this severity or above.", false, severities},
      {"max-attack-success-rate", "RATE",
       "The gate: " + what +
           " fails when more than this share (0..1) of answered prompts are findings."},
  };
}

program_spec make_program() {
  program_spec p;
  p.name = "vutf";
  p.summary = "command-line client of the ViolentUTF API";
  p.description =
      "vutf registers targets, runs scans of adversarial probes against them and fetches their "
      "reports over the ViolentUTF HTTP API. A scan run with --wait follows the scan to its end "
      "and exits 1 when its gate (--fail-on) fails, which makes it a CI step.\n\n"
      "Settings come from --url and --api-key, else VUTF_URL and VUTF_API_KEY, else the config "
      "file, which 'vutf login' writes.";
  p.globals = {
      {"url", "URL",
       "The service, e.g. https://vutf.example.com (default " + std::string(default_url) + ")."},
      {"api-key", "KEY", "An API key (vutf_...) or an access token."},
      {"help", "", "Print this command's help.", false, {}, 'h'},
  };
  p.environment = {
      {"VUTF_URL", "The service's URL, below --url and above the config file's url."},
      {"VUTF_API_KEY",
       "The API key (or access token), below --api-key and above the config file's api_key."},
      {"VUTF_CONFIG", "The config file's path."},
      {"XDG_CONFIG_HOME",
       "Without VUTF_CONFIG the config file is $XDG_CONFIG_HOME/vutf/config, else "
       "~/.config/vutf/config."},
  };
  p.exit_codes = {
      {"0", "Done: the scan's gate passed, or it had none."},
      {"1", "The scan's gate failed (or 'targets test' found the target not answering)."},
      {"2", "Usage: a bad command line, option or setting."},
      {"3",
       "The API answered with an error or could not be reached; a scan without a gate that did not "
       "complete."},
  };
  p.files = {{"~/.config/vutf/config",
              "'key = value' lines: url and api_key. Written by 'vutf login' with mode 0600."}};
  p.commands = {
      {{"login"},
       "Log in and keep an API key in the config file",
       "Logs in with a username (or email) and password, creates an API key (scopes read and "
       "write) and writes it with the service's URL to the config file (mode 0600). The password "
       "is read from stdin with --password-stdin, else prompted for without echo on a terminal.",
       {},
       {{"username", "NAME", "The username or email.", true},
        {"password-stdin", "", "Read the password from the first line of stdin."},
        {"key-name", "NAME", "The API key's name (default 'vutf cli')."},
        {"expires-in-days", "DAYS", "The key expires after this many days (default: never)."}},
       login},
      {{"targets", "list"},
       "List your targets",
       "Lists the targets you can scan, by name.",
       {},
       {json_option},
       targets_list},
      {{"targets", "create"},
       "Register a target",
       "Registers an LLM endpoint as a target and prints its id.",
       {},
       {{"name", "NAME", "A name, unique among your targets.", true},
        {"endpoint-url", "URL", "The endpoint, e.g. http://127.0.0.1:8080/v1/chat/completions.",
         true},
        {"kind",
         "KIND",
         "The API the endpoint speaks (default openai-chat).",
         false,
         {"openai-chat", "http-json"}},
        {"model", "MODEL", "The model to ask for."},
        {"description", "TEXT", "What the target is."},
        {"system-prompt", "TEXT", "Sent before each prompt."},
        {"response-path", "PATH", "Where the reply text is in the answer (JSONPath)."},
        {"timeout", "SECONDS", "The time one call may take (default 30)."},
        json_option},
       targets_create},
      {{"targets", "test"},
       "Send one harmless prompt to a target",
       "Sends one harmless prompt to the target and prints how it answered; exits 1 when it did "
       "not.",
       {{"TARGET", "The target's id or exact name."}},
       {json_option},
       targets_test},
      {{"probes", "list"},
       "List the probe sets",
       "Lists the built-in probe sets, then your own.",
       {},
       {json_option},
       probes_list},
      {{"scan", "run"},
       "Queue a scan, optionally follow it and fetch its report",
       "Queues a scan of the target with the probe sets and prints its id. With --wait it follows "
       "the scan (a progress bar on a terminal, plain lines otherwise, on stderr), prints a "
       "summary and exits 0 when the gate passes or there is none, 1 when it fails. With "
       "--format and --output the report is written to the file as well.",
       {},
       [] {
         auto o = scan_options("the scan");
         o.push_back({"max-prompts", "N", "Send at most N prompts (converter variants counted)."});
         o.push_back({"wait", "", "Follow the scan to its end; the exit status is its gate's."});
         o.push_back({"format", "FORMAT", "Write the report in this format (needs --wait).", false,
                      report_formats});
         o.push_back({"output", "FILE", "Where the report goes (with --format).", false, {}, 'o'});
         return o;
       }(),
       scan_run},
      {{"scan", "show"},
       "Show a scan's status and summary",
       "Prints the scan's progress and summary; for a finished scan the exit status is its "
       "gate's, as with 'scan run --wait'.",
       {{"SCAN_ID", "The scan."}},
       {json_option},
       scan_show},
      {{"scan", "report"},
       "Download a scan's report",
       "Writes the scan's report in the format to the file.",
       {{"SCAN_ID", "The scan."}},
       {{"format", "FORMAT", "The report's format.", true, report_formats},
        {"output", "FILE", "Where the report goes.", true, {}, 'o'}},
       scan_report},
      {{"scan", "diff"},
       "Compare a scan's findings with a baseline scan's",
       "Lists the findings that are new in the scan and those fixed since the baseline, and the "
       "change of the attack success rate. Without --baseline the baseline is the previous "
       "completed scan of the same schedule, else of the same target.",
       {{"SCAN_ID", "The scan."}},
       {{"baseline", "SCAN_ID", "The scan to compare against."}, json_option},
       scan_diff},
      {{"schedules", "list"},
       "List your scan schedules",
       "Lists your scan schedules with their next run and last scan.",
       {},
       {json_option},
       schedules_list},
      {{"schedules", "create"},
       "Create a scan schedule",
       "Creates a schedule that runs the scan by cron expression (UTC) or every so many seconds, "
       "and prints its id.",
       {},
       [] {
         auto o = scan_options("each scan");
         o.push_back(
             {"cron", "EXPR", "5 fields: minute hour day-of-month month day-of-week (UTC)."});
         o.push_back({"every", "SECONDS", "Run every this many seconds (at least 60)."});
         o.push_back({"disabled", "", "Create it disabled."});
         o.push_back(json_option);
         return o;
       }(),
       schedules_create},
      {{"schedules", "enable"},
       "Enable a schedule",
       "Enables the schedule: it runs at its next time.",
       {{"SCHEDULE_ID", "The schedule."}},
       {},
       [](const invocation& a) { return schedules_enable(a, true); }},
      {{"schedules", "disable"},
       "Disable a schedule",
       "Disables the schedule: it does not run until enabled.",
       {{"SCHEDULE_ID", "The schedule."}},
       {},
       [](const invocation& a) { return schedules_enable(a, false); }},
      {{"schedules", "delete"},
       "Delete a schedule",
       "Deletes the schedule; the scans it created stay.",
       {{"SCHEDULE_ID", "The schedule."}},
       {},
       schedules_delete},
  };
  return p;
}

}  // namespace

const program_spec& program() {
  static const program_spec p = make_program();
  return p;
}

int run(const std::vector<std::string>& args) {
  const auto& p = program();
  auto r = parse(p, args);
  switch (r.what) {
    case parse_result::action::help:
      std::cout << render_help(p, r.command, r.group);
      return exit_ok;
    case parse_result::action::man:
      std::cout << render_man(p, VUTF_VERSION);
      return exit_ok;
    case parse_result::action::version:
      std::cout << p.name << " " << VUTF_VERSION << "\n";
      return exit_ok;
    case parse_result::action::usage_error:
      std::cerr << render_usage_error(p, r);
      return exit_usage;
    case parse_result::action::run:
      break;
  }
  std::string where = p.name + " " + r.command->name();
  try {
    return r.command->run(r.args);
  } catch (const usage_error& e) {
    std::cerr << where << ": " << e.what() << "\nTry '" << where << " --help'.\n";
    return exit_usage;
  } catch (const api_error& e) {
    std::cerr << where << ": " << e.what() << "\n";
    return exit_api;
  } catch (const std::exception& e) {
    // A config file that cannot be written, an answer of an unexpected shape.
    std::cerr << where << ": " << e.what() << "\n";
    return exit_api;
  }
}

}  // namespace vutf::cli
