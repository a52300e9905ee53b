#include "cli/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vutf::cli {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "" : path.substr(0, slash);
}

// mkdir -p with mode 0700 for the directories it creates.
void make_dirs(const std::string& dir) {
  if (dir.empty() || access(dir.c_str(), F_OK) == 0) return;
  make_dirs(parent_dir(dir));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
}

}  // namespace

std::string config_path(const env_lookup& env) {
  if (auto explicit_path = env("VUTF_CONFIG"); !explicit_path.empty()) return explicit_path;
  if (auto xdg = env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/vutf/config";
  if (auto home = env("HOME"); !home.empty()) return home + "/.config/vutf/config";
  return "";
}

std::map<std::string, std::string> parse_config(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq));
    if (!key.empty()) out[key] = trim(line.substr(eq + 1));
  }
  return out;
}

std::string format_config(const std::map<std::string, std::string>& values) {
  std::string out = "# vutf settings (vutf --help, Environment)\n";
  for (const auto& [k, v] : values) out += k + " = " + v + "\n";
  return out;
}

client_settings resolve_settings(const invocation& flags, const env_lookup& env,
                                 const std::map<std::string, std::string>& file) {
  auto pick = [&](const std::string& flag, const std::string& var, const std::string& key) {
    if (flags.has(flag)) return flags.get(flag);
    if (auto v = env(var); !v.empty()) return v;
    auto it = file.find(key);
    return it == file.end() ? std::string() : it->second;
  };
  client_settings s;
  s.url = pick("url", "VUTF_URL", "url");
  if (s.url.empty()) s.url = default_url;
  s.api_key = pick("api-key", "VUTF_API_KEY", "api_key");
  return s;
}

std::map<std::string, std::string> read_config(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream f(path);
  if (!f) return {};
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_config(ss.str());
}

void write_config(const std::string& path, const std::map<std::string, std::string>& values) {
  if (path.empty()) throw std::runtime_error("no config file: set VUTF_CONFIG or HOME");
  make_dirs(parent_dir(path));
  // Written beside and renamed over, so a reader never sees half a file; 0600 from the start.
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  std::string text = format_config(values);
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  }
}

}  // namespace vutf::cli
