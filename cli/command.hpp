// The declarative command table of the vutf client and everything derived from it: argument
// parsing, `--help` of every command and the vutf(1) man page. One table, so the three cannot
// disagree.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vutf::cli {

// The documented exit statuses (vutf --help, vutf(1)).
enum exit_status : int {
  exit_ok = 0,           // done; the gate passed or there was none
  exit_gate_failed = 1,  // the scan's gate failed (or the target test failed)
  exit_usage = 2,        // bad command line or settings
  exit_api = 3,          // the API answered with an error, or could not be reached
};

struct option_spec {
  std::string name;   // long name without the dashes
  std::string value;  // its metavariable; empty: a flag without a value
  std::string help;   // one sentence
  bool required = false;
  std::vector<std::string> choices{};  // the allowed values (empty: any)
  char short_name = 0;                 // e.g. 'o' for -o; 0: none
};

struct positional_spec {
  std::string name;  // metavariable, e.g. SCAN_ID
  std::string help;
};

// What the command line asked for, by option name ("" for a flag that is present).
struct invocation {
  std::map<std::string, std::string> values;
  std::vector<std::string> positionals;
  bool has(const std::string& name) const { return values.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
};

using handler = std::function<int(const invocation&)>;

struct command_spec {
  std::vector<std::string> words;  // e.g. {"scan", "run"}
  std::string summary;             // one line, for the command lists
  std::string description;         // paragraphs separated by blank lines
  std::vector<positional_spec> positionals;
  std::vector<option_spec> options;
  handler run;
  std::string name() const;  // the words joined by spaces
};

// The whole program's description: its commands, the options every command accepts, and the
// prose the help and the man page share.
struct program_spec {
  std::string name;
  std::string summary;
  std::string description;
  std::vector<command_spec> commands;
  std::vector<option_spec> globals;
  std::vector<std::pair<std::string, std::string>> environment;  // variable, meaning
  std::vector<std::pair<std::string, std::string>> exit_codes;   // status, meaning
  std::vector<std::pair<std::string, std::string>> files;        // path, meaning
};

struct parse_result {
  enum class action { run, help, man, version, usage_error };
  action what = action::usage_error;
  const command_spec* command = nullptr;  // run; help of one command (nullptr: the program's)
  std::string group;                      // help of a group of commands ("targets"), else ""
  invocation args;
  std::vector<std::string> problems;  // usage_error: every problem found, one per line
};

// Parses argv (without the program name). Globals are accepted anywhere, command options after
// the command's words, as --name VALUE, --name=VALUE or -o VALUE.
parse_result parse(const program_spec& program, const std::vector<std::string>& args);

// The text of `vutf --help` (command == nullptr, group empty), `vutf GROUP --help` or
// `vutf COMMAND --help`.
std::string render_help(const program_spec& program, const command_spec* command,
                        const std::string& group = "");

// The usage error as printed on stderr: every problem, then where to find help.
std::string render_usage_error(const program_spec& program, const parse_result& r);

// The man page (roff) from the same table.
std::string render_man(const program_spec& program, const std::string& version);

}  // namespace vutf::cli
