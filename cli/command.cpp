#include "cli/command.hpp"

#include <algorithm>
#include <sstream>

namespace vutf::cli {

std::string invocation::get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

std::string command_spec::name() const {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

namespace {

bool starts_with(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return prefix.size() <= words.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

const option_spec* find_option(const std::vector<const option_spec*>& options,
                               const std::string& token) {
  for (const auto* o : options) {
    if (token == "--" + o->name || (o->short_name && token == std::string{'-', o->short_name}))
      return o;
  }
  return nullptr;
}

bool is_meta_flag(const std::string& token) {
  return token == "--help" || token == "-h" || token == "--man" || token == "--version";
}

// The command words at the front of the command line: non-option tokens up to the first option
// that is not a global (globals and their values may come before the words).
std::vector<std::string> leading_words(const program_spec& program,
                                       const std::vector<std::string>& args) {
  std::vector<const option_spec*> globals;
  for (const auto& g : program.globals) globals.push_back(&g);
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (is_meta_flag(a)) continue;
    if (a.rfind('-', 0) == 0) {
      const option_spec* g = find_option(globals, a.substr(0, a.find('=')));
      if (!g) break;
      if (!g->value.empty() && a.find('=') == std::string::npos) ++i;
      continue;
    }
    words.push_back(a);
    for (const auto& c : program.commands) {
      if (c.words == words) return words;
    }
  }
  return words;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string option_label(const option_spec& o) {
  std::string label = o.short_name ? std::string{'-', o.short_name, ',', ' '} : "";
  label += "--" + o.name;
  if (!o.value.empty()) label += " " + o.value;
  return label;
}

std::string option_help(const option_spec& o) {
  std::string h = o.help;
  if (!o.choices.empty()) h += " One of: " + join(o.choices, ", ") + ".";
  if (o.required) h += " Required.";
  return h;
}

constexpr size_t help_width = 80;  // columns of --help

// `text`'s words in lines of at most `width - indent` characters (a longer word has a line of
// its own), each line after the first indented by `indent` spaces.
std::string wrap(const std::string& text, size_t indent, size_t width = help_width) {
  size_t room = width > indent + 20 ? width - indent : 20;
  std::istringstream words(text);
  std::string out, line;
  for (std::string w; words >> w;) {
    if (!line.empty() && line.size() + 1 + w.size() > room) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  return out + line;
}

// Paragraphs (separated by blank lines) wrapped to the help's width.
std::string paragraphs(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    out += (out.empty() ? "" : "\n\n") + wrap(text.substr(start, end - start), 0);
    start = end + 2;
  }
  return out;
}

// "  LABEL   help" rows aligned on the widest label, the help wrapped beside it.
std::string rows(const std::vector<std::pair<std::string, std::string>>& items) {
  size_t width = 0;
  for (const auto& [label, help] : items) width = std::max(width, label.size());
  std::string out;
  for (const auto& [label, help] : items) {
    out += "  " + label + std::string(width - label.size() + 3, ' ') + wrap(help, width + 5) + "\n";
  }
  return out;
}

std::string options_rows(const std::vector<option_spec>& options) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& o : options) items.emplace_back(option_label(o), option_help(o));
  return rows(items);
}

}  // namespace

namespace {

std::string synopsis(const program_spec& program, const command_spec& c) {
  std::string out = program.name + " " + c.name();
  for (const auto& p : c.positionals) out += " " + p.name;
  for (const auto& o : c.options) {
    if (!o.required) continue;
    out += " --" + o.name + (o.value.empty() ? "" : " " + o.value);
  }
  bool optional = std::any_of(c.options.begin(), c.options.end(),
                              [](const option_spec& o) { return !o.required; });
  return out + (optional ? " [options]" : "");
}

}  // namespace

parse_result parse(const program_spec& program, const std::vector<std::string>& args) {
  parse_result r;
  bool help = std::any_of(args.begin(), args.end(),
                          [](const std::string& a) { return a == "--help" || a == "-h"; });
  std::vector<std::string> words = leading_words(program, args);
  for (const auto& c : program.commands) {
    if (c.words == words) r.command = &c;
  }
  if (!r.command) {
    bool group = !words.empty() &&
                 std::any_of(program.commands.begin(), program.commands.end(),
                             [&](const command_spec& c) { return starts_with(c.words, words); });
    if (words.empty() && std::find(args.begin(), args.end(), "--man") != args.end()) {
      r.what = parse_result::action::man;
    } else if (words.empty() && std::find(args.begin(), args.end(), "--version") != args.end()) {
      r.what = parse_result::action::version;
    } else if (help && (words.empty() || group)) {
      r.what = parse_result::action::help;
      r.group = join(words, " ");
    } else if (words.empty()) {
      r.problems.push_back("no command given");
    } else if (group) {
      r.group = join(words, " ");
      r.problems.push_back("'" + r.group + "' needs a subcommand");
    } else {
      r.problems.push_back("unknown command '" + join(words, " ") + "'");
    }
    return r;
  }
  if (help) {
    r.what = parse_result::action::help;
    return r;
  }
  std::vector<const option_spec*> accepted;
  for (const auto& o : r.command->options) accepted.push_back(&o);
  for (const auto& o : program.globals) accepted.push_back(&o);
  size_t skipped = 0;  // the command's words, wherever the globals put them
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 1 && a[0] == '-') {
      size_t eq = a.find('=');
      std::string flag = a.substr(0, eq);
      const option_spec* o = find_option(accepted, flag);
      if (!o) {
        r.problems.push_back("unknown option " + flag);
        continue;
      }
      if (o->value.empty()) {
        if (eq != std::string::npos) r.problems.push_back(flag + " takes no value");
        r.args.values[o->name] = "";
        continue;
      }
      std::string value;
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        r.problems.push_back(flag + " needs a value (" + o->value + ")");
        continue;
      }
      if (!o->choices.empty() &&
          std::find(o->choices.begin(), o->choices.end(), value) == o->choices.end()) {
        r.problems.push_back("--" + o->name + " must be one of " + join(o->choices, ", ") +
                             " (got '" + value + "')");
      }
      r.args.values[o->name] = value;
    } else if (skipped < r.command->words.size()) {
      ++skipped;
    } else {
      r.args.positionals.push_back(a);
    }
  }
  for (const auto& o : r.command->options) {
    if (o.required && !r.args.has(o.name)) r.problems.push_back("--" + o.name + " is required");
  }
  const auto& wanted = r.command->positionals;
  if (r.args.positionals.size() < wanted.size()) {
    for (size_t i = r.args.positionals.size(); i < wanted.size(); ++i)
      r.problems.push_back(wanted[i].name + " is required");
  } else if (r.args.positionals.size() > wanted.size()) {
    r.problems.push_back("unexpected argument '" + r.args.positionals[wanted.size()] + "'");
  }
  r.what = r.problems.empty() ? parse_result::action::run : parse_result::action::usage_error;
  return r;
}

std::string render_help(const program_spec& program, const command_spec* command,
                        const std::string& group) {
  std::ostringstream out;
  if (command) {
    out << "Usage: " << synopsis(program, *command) << "\n\n"
        << paragraphs(command->description) << "\n";
    if (!command->positionals.empty()) {
      std::vector<std::pair<std::string, std::string>> items;
      for (const auto& p : command->positionals) items.emplace_back(p.name, p.help);
      out << "\nArguments:\n" << rows(items);
    }
    if (!command->options.empty()) out << "\nOptions:\n" << options_rows(command->options);
    out << "\nGlobal options:\n" << options_rows(program.globals);
    return out.str();
  }
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& c : program.commands) {
    if (group.empty() || starts_with(c.words, {group})) items.emplace_back(c.name(), c.summary);
  }
  out << "Usage: " << program.name << " " << (group.empty() ? "COMMAND" : group + " COMMAND")
      << " [options]\n\n";
  if (group.empty()) out << paragraphs(program.description) << "\n\n";
  out << "Commands:\n" << rows(items);
  std::vector<option_spec> globals = program.globals;
  if (group.empty()) {
    globals.push_back({"man", "", "Print the man page (roff)."});
    globals.push_back({"version", "", "Print the version."});
  }
  out << "\nGlobal options:\n" << options_rows(globals);
  if (group.empty()) {
    out << "\nEnvironment:\n"
        << rows(program.environment) << "\nExit status:\n"
        << rows(program.exit_codes);
  }
  out << "\nRun '" << program.name << " COMMAND --help' for a command's options.\n";
  return out.str();
}

std::string render_usage_error(const program_spec& program, const parse_result& r) {
  std::string where = program.name;
  if (r.command) {
    where += " " + r.command->name();
  } else if (!r.group.empty()) {
    where += " " + r.group;
  }
  std::string out;
  for (const auto& p : r.problems) out += where + ": " + p + "\n";
  return out + "Try '" + where + " --help'.\n";
}

namespace {

// Plain text as roff: backslashes and dashes escaped, a leading dot or quote neutralised.
std::string roff(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '\\') {
      out += "\\e";
    } else if (ch == '-') {
      out += "\\-";
    } else {
      out += ch;
    }
  }
  return (!out.empty() && (out[0] == '.' || out[0] == '\'')) ? "\\&" + out : out;
}

std::string roff_paragraphs(const std::string& text) {
  std::string out, line;
  std::istringstream in(text);
  while (std::getline(in, line)) out += line.empty() ? ".PP\n" : roff(line) + "\n";
  return out;
}

std::string roff_options(const std::vector<option_spec>& options) {
  std::string out;
  for (const auto& o : options)
    out += ".TP\n.B " + roff(option_label(o)) + "\n" + roff(option_help(o)) + "\n";
  return out;
}

std::string roff_entries(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out;
  for (const auto& [name, meaning] : items)
    out += ".TP\n.B " + roff(name) + "\n" + roff(meaning) + "\n";
  return out;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

std::string render_man(const program_spec& program, const std::string& version) {
  std::string out = ".TH " + upper(program.name) + " 1 \"\" \"" + program.name + " " + version +
                    "\" \"User Commands\"\n.SH NAME\n" + program.name + " \\- " +
                    roff(program.summary) + "\n.SH SYNOPSIS\n";
  for (const auto& c : program.commands) out += ".B " + roff(synopsis(program, c)) + "\n.br\n";
  out += ".SH DESCRIPTION\n" + roff_paragraphs(program.description) + ".SH COMMANDS\n";
  for (const auto& c : program.commands) {
    out += ".SS " + roff(program.name + " " + c.name()) + "\n" + roff_paragraphs(c.description);
    for (const auto& p : c.positionals)
      out += ".TP\n.I " + roff(p.name) + "\n" + roff(p.help) + "\n";
    out += roff_options(c.options);
  }
  out += ".SH GLOBAL OPTIONS\n" + roff_options(program.globals);
  out += ".SH ENVIRONMENT\n" + roff_entries(program.environment);
  out += ".SH FILES\n" + roff_entries(program.files);
  out += ".SH EXIT STATUS\n" + roff_entries(program.exit_codes);
  return out;
}

}  // namespace vutf::cli
