// Where the client's settings come from: flags over VUTF_URL / VUTF_API_KEY over the config file
// ($VUTF_CONFIG, else $XDG_CONFIG_HOME/vutf/config, else ~/.config/vutf/config), whose lines are
// `key = value` (url, api_key; `#` starts a comment).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cli/command.hpp"

namespace vutf::cli {

using env_lookup = std::function<std::string(const std::string&)>;  // "" when unset

struct client_settings {
  std::string url;      // the service, e.g. http://127.0.0.1:8000 (default)
  std::string api_key;  // an API key (vutf_...) or an access token; "" when none
};

constexpr const char* default_url = "http://127.0.0.1:8000";

// The config file's path ("" when neither VUTF_CONFIG, XDG_CONFIG_HOME nor HOME is set).
std::string config_path(const env_lookup& env);

// The file's `key = value` lines; blank lines and comments are skipped, a later key wins.
std::map<std::string, std::string> parse_config(const std::string& text);

// The file's text for `values`, one `key = value` line each.
std::string format_config(const std::map<std::string, std::string>& values);

// The settings in force: --url/--api-key, then the environment, then the file's values.
client_settings resolve_settings(const invocation& flags, const env_lookup& env,
                                 const std::map<std::string, std::string>& file);

// Reads the file at `path` ({} when it does not exist).
std::map<std::string, std::string> read_config(const std::string& path);

// Writes `values` to `path` with mode 0600 (it holds a credential), creating its directory;
// throws std::runtime_error naming the path when it cannot.
void write_config(const std::string& path, const std::map<std::string, std::string>& values);

}  // namespace vutf::cli
