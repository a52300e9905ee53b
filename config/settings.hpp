// The service's settings: declared once in settings.cpp's table, from which parsing,
// validation, --print-config and docs/configuration.md are all derived.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vutf {

struct settings {
  // Server and workers
  std::string server_host;
  int64_t server_port = 0;
  int64_t workers_per_core = 0;
  int64_t max_workers = 0;
  int64_t max_connections = 0;
  int64_t max_active_requests = 0;
  int64_t max_event_streams = 0;
  int64_t keepalive = 0;
  int64_t max_request_size = 0;
  int64_t request_timeout = 0;
  int64_t gzip_min_size = 0;
  int64_t gzip_level = 0;
  // Database
  std::string database_url;
  int64_t database_pool_size = 0;
  int64_t database_max_overflow = 0;
  int64_t database_pool_timeout = 0;
  int64_t database_pool_recycle_idle = 0;
  int64_t database_group_commit_max = 0;
  int64_t database_statement_timeout = 0;
  std::string database_read_url;
  int64_t database_read_pool_size = 0;
  int64_t database_read_max_lag_seconds = 0;
  // Cache
  std::string redis_url;
  int64_t cache_ttl = 0;
  int64_t redis_max_connections = 0;
  int64_t redis_timeout = 0;
  int64_t near_cache_entries = 0;
  // Metrics and logs
  bool enable_metrics = false;
  int64_t metrics_port = 0;
  std::string log_level;
  std::string log_format;
  // Security and identity
  std::string environment;
  std::string secret_key;
  int64_t access_token_expire_minutes = 0;
  int64_t refresh_token_expire_days = 0;
  bool rate_limit_enabled = false;
  int64_t rate_limit_per_minute = 0;
  int64_t rate_limit_poll_per_minute = 0;
  std::string allowed_origins;  // comma-separated
  std::string admin_username;
  std::string admin_email;
  std::string admin_password;
  // Scans (the red-teaming engine)
  int64_t scan_workers = 0;
  int64_t scheduler_tick_seconds = 0;
  int64_t scan_max_prompts = 0;
  int64_t target_default_timeout = 0;
  int64_t circuit_breaker_failures = 0;
  int64_t circuit_breaker_reset = 0;
  // Quotas and retention
  int64_t max_targets_per_user = 0;
  int64_t max_active_scans_per_user = 0;
  int64_t max_probe_sets_per_user = 0;
  int64_t max_schedules_per_user = 0;
  int64_t audit_retention_days = 0;
  int64_t idempotency_retention_hours = 0;
  // Trusted proxies and login limits
  std::string trusted_proxies;  // comma-separated CIDRs
  int64_t login_max_failures = 0;
  // Outbound calls and proxies (config/egress.hpp reads them)
  bool outbound_block_private = true;  // unset: true, except false when ENVIRONMENT=development
  std::string outbound_allow_cidrs;    // comma-separated CIDRs
  std::string outbound_proxy;          // http URL
  std::string http_proxy;
  std::string https_proxy;
  std::string no_proxy;
};

// Where a setting's raw text came from, lowest precedence first.
using env_map = std::map<std::string, std::string>;

struct parse_result {
  settings values;
  std::vector<std::string> problems;  // one line per invalid variable, all of them
};

// Parses `.env` content (KEY=VALUE lines, '#' comments, optional quotes).
env_map parse_dotenv(const std::string& text);

// Builds settings from `dotenv` overridden by `environ`; never throws. A setting may be given as
// NAME_FILE=/path instead: the file's content, trailing line breaks removed (the file is read
// here); NAME and NAME_FILE together, or a file that cannot be read, are problems.
parse_result parse_settings(const env_map& dotenv, const env_map& environ);

// Reads ./.env (if any) and the process environment.
parse_result load_settings_from_process();

// `NAME=value` lines with secrets masked, in table order.
std::string print_config(const settings& s);

// The Markdown text of docs/configuration.md.
std::string configuration_markdown();

// Masks the password in a URL: scheme://user:***@host/...
std::string mask_url_password(const std::string& url);

// Scheduler threads = min(usable cores x WORKERS_PER_CORE, MAX_WORKERS).
int64_t scheduler_threads(const settings& s, int64_t usable_cores);

// CPUs this process may use (affinity mask and cgroup v2/v1 quota).
int64_t usable_cores();

}  // namespace vutf
