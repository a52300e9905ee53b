#include "config/settings.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <variant>

#include "config/cidr.hpp"
#include "config/egress.hpp"
#include "config/strings.hpp"

extern char** environ;

namespace vutf {
namespace {

// Checks a string value; returns "" when valid, else what is allowed.
using string_check = std::string (*)(const std::string&);

struct integer_rule {
  int64_t settings::*field;
  int64_t min;
  int64_t max;
  const char* unit;  // shown in docs ("s", "h", "days", "bytes" or "")
};
struct boolean_rule {
  bool settings::*field;
};
struct choice_rule {
  std::string settings::*field;
  std::vector<std::string> values;
};
struct text_rule {
  std::string settings::*field;
  string_check check;
  const char* allowed;  // human description of what is allowed
};

// How --print-config shows a value: as is, with a URL's password masked, or masked whole.
enum class shown { plain, url_password, masked };

struct setting_def {
  const char* name;
  const char* group;
  const char* default_value;  // "" = unset
  shown secret;
  std::variant<integer_rule, boolean_rule, choice_rule, text_rule> rule;
  const char* help;
};

bool has_prefix(const std::string& s, const char* p) {
  return s.rfind(p, 0) == 0;
}

std::string check_host(const std::string& v) {
  if (v.empty() || v.size() > 253) return "an IPv4/IPv6 literal or hostname";
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '_'))
      return "an IPv4/IPv6 literal or hostname";
  return "";
}

const char* const database_url_allowed =
    "postgresql://, postgresql+asyncpg://, postgres://, sqlite:///PATH, "
    "sqlite+aiosqlite:///PATH or sqlite:///:memory:";

std::string check_database_url(const std::string& v) {
  for (const char* p : {"postgresql://", "postgresql+asyncpg://", "postgres://"})
    if (has_prefix(v, p) && v.size() > std::string(p).size()) return "";
  for (const char* p : {"sqlite:///", "sqlite+aiosqlite:///"})
    if (has_prefix(v, p) && v.size() > std::string(p).size()) return "";
  return database_url_allowed;
}

const char* const read_url_allowed = "empty, postgresql://, postgresql+asyncpg:// or postgres://";

// A replica is PostgreSQL's (SQLite has none); empty means no replica.
std::string check_read_url(const std::string& v) {
  if (v.empty()) return "";
  for (const char* p : {"postgresql://", "postgresql+asyncpg://", "postgres://"})
    if (has_prefix(v, p) && v.size() > std::string(p).size()) return "";
  return read_url_allowed;
}

std::string check_secret_key(const std::string& v) {
  return v.size() >= 32 ? "" : "at least 32 characters";
}

std::string check_origins(const std::string& v) {
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string origin =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!origin.empty() && origin.front() == ' ') origin.erase(0, 1);
    while (!origin.empty() && origin.back() == ' ') origin.pop_back();
    bool scheme = has_prefix(origin, "http://") || has_prefix(origin, "https://");
    size_t host = origin.find("://") + 3;
    if (!scheme || origin.size() <= host || origin.find('/', host) != std::string::npos)
      return "comma-separated http(s) origins such as https://app.example.com";
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return "";
}

std::string check_nonempty(const std::string& v) {
  return v.empty() ? "not empty" : "";
}

std::string check_redis_url(const std::string& v) {
  if (v.empty()) return "";
  if (has_prefix(v, "rediss://"))
    return "redis://[:password@]host[:port][/db] (rediss:// is not supported: this build has no "
           "TLS for Redis; terminate TLS in a local proxy such as stunnel)";
  if (!has_prefix(v, "redis://") || v.size() <= 8) return "redis://[:password@]host[:port][/db]";
  return "";
}

std::string check_cidr_list(const std::string& v) {
  return parse_cidr_list(v) ? "" : "comma-separated IPv4/IPv6 CIDRs such as 10.0.0.0/8, ::1";
}

const char* const proxy_allowed = "an http URL: http://[user:password@]host[:port]";

std::string check_proxy(const std::string& v) {
  std::string why;
  return parse_proxy(v, &why) ? "" : std::string(proxy_allowed) + " (" + why + ")";
}

const char* const no_proxy_allowed = "comma-separated host names, IP addresses, CIDRs or *";

std::string check_no_proxy(const std::string& v) {
  std::string why;
  return parse_no_proxy(v, &why) ? "" : std::string(no_proxy_allowed) + " (" + why + ")";
}

// The one table. Order = order in --print-config and docs.
const std::vector<setting_def>& table() {
  static const std::vector<setting_def> defs = {
      {"SERVER_HOST", "Server and workers", "127.0.0.1", shown::plain,
       text_rule{&settings::server_host, check_host, "IPv4/IPv6 literal or hostname"},
       "Bind address of the API; 0.0.0.0 in containers."},
      {"SERVER_PORT", "Server and workers", "8000", shown::plain,
       integer_rule{&settings::server_port, 0, 65535, ""},
       "API port; 0 picks any free port and prints it at startup."},
      {"WORKERS_PER_CORE", "Server and workers", "1", shown::plain,
       integer_rule{&settings::workers_per_core, 1, 4, ""},
       "Scheduler threads per usable CPU core."},
      {"MAX_WORKERS", "Server and workers", "10", shown::plain,
       integer_rule{&settings::max_workers, 1, 100, ""},
       "Upper bound of scheduler threads: min(cores x WORKERS_PER_CORE, MAX_WORKERS)."},
      {"MAX_CONNECTIONS", "Server and workers", "256", shown::plain,
       integer_rule{&settings::max_connections, 8, 10000, ""},
       "Open client connections; more wait briefly, then get 503. Idle ones and those still "
       "sending their request head cost a buffer, not a thread."},
      {"MAX_ACTIVE_REQUESTS", "Server and workers", "128", shown::plain,
       integer_rule{&settings::max_active_requests, 4, 10000, ""},
       "Requests served at once, each on a frontend thread; connections with a complete request "
       "beyond it wait for a thread."},
      {"MAX_EVENT_STREAMS", "Server and workers", "64", shown::plain,
       integer_rule{&settings::max_event_streams, 1, 10000, ""},
       "Scan event streams (GET /scans/{id}/events) open at once, at most half of "
       "MAX_ACTIVE_REQUESTS: each holds a connection and its thread while it is open. More get 503."},
      {"KEEPALIVE", "Server and workers", "5", shown::plain,
       integer_rule{&settings::keepalive, 0, 300, "s"},
       "Idle keep-alive timeout; 0 disables keep-alive."},
      {"MAX_REQUEST_SIZE", "Server and workers", "10485760", shown::plain,
       integer_rule{&settings::max_request_size, 1024, 1073741824, "bytes"},
       "Larger request bodies get 413, chunked ones included."},
      {"REQUEST_TIMEOUT", "Server and workers", "60", shown::plain,
       integer_rule{&settings::request_timeout, 10, 300, "s"},
       "End-to-end deadline of one request; past it 504 and its database work is cancelled."},
      {"GZIP_MIN_SIZE", "Server and workers", "1000", shown::plain,
       integer_rule{&settings::gzip_min_size, 0, 10485760, "bytes"},
       "Smallest response body that is gzip-compressed."},
      {"GZIP_LEVEL", "Server and workers", "6", shown::plain,
       integer_rule{&settings::gzip_level, 1, 9, ""}, "zlib compression level."},
      {"DATABASE_URL", "Database", "sqlite:///./app.db", shown::url_password,
       text_rule{&settings::database_url, check_database_url, database_url_allowed},
       "Database; the +driver suffixes mean the same database. The password is never shown."},
      {"DATABASE_POOL_SIZE", "Database", "5", shown::plain,
       integer_rule{&settings::database_pool_size, 1, 20, ""},
       "Persistent database connection actors."},
      {"DATABASE_MAX_OVERFLOW", "Database", "10", shown::plain,
       integer_rule{&settings::database_max_overflow, 0, 20, ""},
       "Extra connection actors under peak load, closed after DATABASE_POOL_RECYCLE_IDLE."},
      {"DATABASE_POOL_TIMEOUT", "Database", "30", shown::plain,
       integer_rule{&settings::database_pool_timeout, 1, 300, "s"},
       "How long a request waits for a free connection before 503 DB_POOL_EXHAUSTED."},
      {"DATABASE_POOL_RECYCLE_IDLE", "Database", "60", shown::plain,
       integer_rule{&settings::database_pool_recycle_idle, 1, 3600, "s"},
       "Idle time after which an overflow connection is closed."},
      {"DATABASE_GROUP_COMMIT_MAX", "Database", "32", shown::plain,
       integer_rule{&settings::database_group_commit_max, 1, 64, ""},
       "Most waiting writes of one owner run in one transaction (group commit); 1 turns it off."},
      {"DATABASE_STATEMENT_TIMEOUT", "Database", "30", shown::plain,
       integer_rule{&settings::database_statement_timeout, 1, 300, "s"},
       "Server-side statement timeout; never longer than the request's remaining time."},
      {"DATABASE_READ_URL", "Database", "", shown::url_password,
       text_rule{&settings::database_read_url, check_read_url, read_url_allowed},
       "Unset = every read from DATABASE_URL. A streaming replica of it: lists, reports, exports "
       "and statistics read there, except a caller's reads right after their own write (until "
       "the replica has replayed it), and all reads while it is down or lagging. Unreachable at "
       "start: the service starts and reads from the primary. The password is never shown."},
      {"DATABASE_READ_POOL_SIZE", "Database", "0", shown::plain,
       integer_rule{&settings::database_read_pool_size, 0, 20, ""},
       "Persistent connection actors to the replica; 0 = DATABASE_POOL_SIZE. Overflow and "
       "timeouts as for the primary."},
      {"DATABASE_READ_MAX_LAG_SECONDS", "Database", "10", shown::plain,
       integer_rule{&settings::database_read_max_lag_seconds, 1, 3600, "s"},
       "Replay lag beyond which the replica is left alone (every read to the primary) until it "
       "catches up."},
      {"REDIS_URL", "Cache", "", shown::url_password,
       text_rule{&settings::redis_url, check_redis_url, "redis://[:password@]host[:port][/db]"},
       "Unset = in-process cache. The password is never shown."},
      {"CACHE_TTL", "Cache", "300", shown::plain, integer_rule{&settings::cache_ttl, 60, 3600, "s"},
       "Default time-to-live of cached entries."},
      {"REDIS_MAX_CONNECTIONS", "Cache", "20", shown::plain,
       integer_rule{&settings::redis_max_connections, 1, 1000, ""}, "Redis connection actors."},
      {"REDIS_TIMEOUT", "Cache", "2", shown::plain,
       integer_rule{&settings::redis_timeout, 1, 60, "s"},
       "Connect and command timeout; a slow or dead Redis is a cache miss, never a failure."},
      {"NEAR_CACHE_ENTRIES", "Cache", "10000", shown::plain,
       integer_rule{&settings::near_cache_entries, 0, 1000000, ""},
       "Entries (principals, records, list pages) each instance keeps in memory, least recently "
       "used dropped first; kept exact by Redis invalidation messages, or locally without "
       "REDIS_URL. 0 = no near cache."},
      {"ENABLE_METRICS", "Metrics and logs", "true", shown::plain,
       boolean_rule{&settings::enable_metrics}, "Serve Prometheus metrics on METRICS_PORT."},
      {"METRICS_PORT", "Metrics and logs", "9090", shown::plain,
       integer_rule{&settings::metrics_port, 0, 65535, ""},
       "Port of http://SERVER_HOST:METRICS_PORT/metrics; 0 picks any free port."},
      {"LOG_LEVEL", "Metrics and logs", "info", shown::plain,
       choice_rule{&settings::log_level, {"debug", "info", "warning", "error"}},
       "Least severe level logged."},
      {"LOG_FORMAT", "Metrics and logs", "json", shown::plain,
       choice_rule{&settings::log_format, {"json", "text"}}, "One line per event."},
      {"ENVIRONMENT", "Security and identity", "development", shown::plain,
       choice_rule{&settings::environment, {"development", "staging", "production"}},
       "Deployment environment; production requires SECRET_KEY and adds HSTS."},
      {"SECRET_KEY", "Security and identity", "", shown::masked,
       text_rule{&settings::secret_key, check_secret_key, "at least 32 characters"},
       "Signs access and refresh tokens (webhooks have secrets of their own). Required in "
       "production; in development a generated key is kept next to the database."},
      {"ACCESS_TOKEN_EXPIRE_MINUTES", "Security and identity", "30", shown::plain,
       integer_rule{&settings::access_token_expire_minutes, 5, 1440, ""},
       "Lifetime of an access token."},
      {"REFRESH_TOKEN_EXPIRE_DAYS", "Security and identity", "7", shown::plain,
       integer_rule{&settings::refresh_token_expire_days, 1, 30, ""},
       "Lifetime of a session and its refresh tokens."},
      {"RATE_LIMIT_ENABLED", "Security and identity", "true", shown::plain,
       boolean_rule{&settings::rate_limit_enabled}, "Enforce the per-caller rate limits."},
      {"RATE_LIMIT_PER_MINUTE", "Security and identity", "60", shown::plain,
       integer_rule{&settings::rate_limit_per_minute, 10, 100000, ""},
       "Default limit per caller for routes without a class of their own."},
      {"RATE_LIMIT_POLL_PER_MINUTE", "Security and identity", "600", shown::plain,
       integer_rule{&settings::rate_limit_poll_per_minute, 10, 100000, ""},
       "Limit per caller for polling a scan (GET /scans/{id}), counted apart from the default "
       "budget so that waiting for a scan does not starve the caller's other requests."},
      {"ALLOWED_ORIGINS", "Security and identity", "", shown::plain,
       text_rule{&settings::allowed_origins, check_origins, "comma-separated http(s) origins"},
       "Origins allowed by CORS; empty allows none."},
      {"ADMIN_USERNAME", "Security and identity", "", shown::plain,
       text_rule{&settings::admin_username, check_nonempty, "a username"},
       "With ADMIN_EMAIL and ADMIN_PASSWORD: the admin created at startup if missing."},
      {"ADMIN_EMAIL", "Security and identity", "", shown::plain,
       text_rule{&settings::admin_email, check_nonempty, "an email address"},
       "Email of the bootstrap admin."},
      {"ADMIN_PASSWORD", "Security and identity", "", shown::masked,
       text_rule{&settings::admin_password, check_nonempty, "a password"},
       "Password of the bootstrap admin (registration rules apply)."},
      {"SCAN_WORKERS", "Scans", "4", shown::plain, integer_rule{&settings::scan_workers, 1, 64, ""},
       "Scans that run at once on this instance; more wait queued in the database."},
      {"SCHEDULER_TICK_SECONDS", "Scans", "15", shown::plain,
       integer_rule{&settings::scheduler_tick_seconds, 1, 3600, "s"},
       "How often each instance looks for due scan schedules (POST /schedules); a run starts at "
       "most this late. Any number of instances may tick: each due run creates one scan."},
      {"SCAN_MAX_PROMPTS", "Scans", "1000", shown::plain,
       integer_rule{&settings::scan_max_prompts, 1, 100000, ""},
       "Upper bound of prompts sent in one scan (each converter variant counts)."},
      {"TARGET_DEFAULT_TIMEOUT", "Scans", "30", shown::plain,
       integer_rule{&settings::target_default_timeout, 1, 300, "s"},
       "Per-call timeout to a target that sets none."},
      {"CIRCUIT_BREAKER_FAILURES", "Scans", "5", shown::plain,
       integer_rule{&settings::circuit_breaker_failures, 1, 100, ""},
       "Consecutive failed calls that open a target's (or webhook host's) circuit."},
      {"CIRCUIT_BREAKER_RESET", "Scans", "30", shown::plain,
       integer_rule{&settings::circuit_breaker_reset, 1, 3600, "s"},
       "Time before an open circuit lets one trial call through."},
      {"AUDIT_RETENTION_DAYS", "Retention", "90", shown::plain,
       integer_rule{&settings::audit_retention_days, 1, 3650, "days"},
       "Audit records older than this are purged (hourly, in batches)."},
      {"IDEMPOTENCY_RETENTION_HOURS", "Retention", "24", shown::plain,
       integer_rule{&settings::idempotency_retention_hours, 24, 720, "h"},
       "How long an Idempotency-Key replays its first response; then the record is purged."},
      {"TRUSTED_PROXIES", "Outbound calls, proxies and quotas", "", shown::plain,
       text_rule{&settings::trusted_proxies, check_cidr_list, "comma-separated IPv4/IPv6 CIDRs"},
       "Peers whose X-Forwarded-For is believed; the client address (rate limits, audit, "
       "sessions) is then the last hop not in these networks. Empty: the socket peer."},
      {"LOGIN_MAX_FAILURES", "Outbound calls, proxies and quotas", "10", shown::plain,
       integer_rule{&settings::login_max_failures, 3, 1000, ""},
       "Failed logins per account in 15 minutes before that account's logins get 429, "
       "whatever address they come from."},
      {"OUTBOUND_BLOCK_PRIVATE", "Outbound calls, proxies and quotas", "", shown::plain,
       boolean_rule{&settings::outbound_block_private},
       "Refuse calls (targets, judges, webhooks) to loopback, private, link-local, CGNAT, "
       "multicast and unspecified addresses (IPv4-mapped and other embedded forms included), "
       "checked on the resolved address at connect time. Unset: true, except false when "
       "ENVIRONMENT=development."},
      {"OUTBOUND_ALLOW_CIDRS", "Outbound calls, proxies and quotas", "", shown::plain,
       text_rule{&settings::outbound_allow_cidrs, check_cidr_list,
                 "comma-separated IPv4/IPv6 CIDRs"},
       "Networks called even when OUTBOUND_BLOCK_PRIVATE refuses them (an internal model "
       "gateway, or 127.0.0.0/8 for local tests)."},
      {"OUTBOUND_PROXY", "Outbound calls, proxies and quotas", "", shown::url_password,
       text_rule{&settings::outbound_proxy, check_proxy, proxy_allowed},
       "Egress proxy for every outbound call (https through CONNECT); overrides HTTPS_PROXY and "
       "HTTP_PROXY. The password is never shown."},
      {"HTTP_PROXY", "Outbound calls, proxies and quotas", "", shown::url_password,
       text_rule{&settings::http_proxy, check_proxy, proxy_allowed},
       "Proxy for http:// calls when OUTBOUND_PROXY is unset (\"host:port\" means "
       "http://host:port). The lowercase form is not read."},
      {"HTTPS_PROXY", "Outbound calls, proxies and quotas", "", shown::url_password,
       text_rule{&settings::https_proxy, check_proxy, proxy_allowed},
       "Proxy for https:// calls when OUTBOUND_PROXY is unset. The lowercase form is not read."},
      {"NO_PROXY", "Outbound calls, proxies and quotas", "", shown::plain,
       text_rule{&settings::no_proxy, check_no_proxy, no_proxy_allowed},
       "Hosts called directly, bypassing any proxy: names (with their subdomains), addresses, "
       "CIDRs, or * for all."},
      {"MAX_TARGETS_PER_USER", "Outbound calls, proxies and quotas", "1000", shown::plain,
       integer_rule{&settings::max_targets_per_user, 1, 1000000, ""},
       "Live targets one user may own; more get 409 QUOTA_EXCEEDED."},
      {"MAX_ACTIVE_SCANS_PER_USER", "Outbound calls, proxies and quotas", "20", shown::plain,
       integer_rule{&settings::max_active_scans_per_user, 1, 10000, ""},
       "Queued plus running scans one user may have; more get 409 QUOTA_EXCEEDED."},
      {"MAX_PROBE_SETS_PER_USER", "Outbound calls, proxies and quotas", "200", shown::plain,
       integer_rule{&settings::max_probe_sets_per_user, 1, 100000, ""},
       "Probe sets one user may own (POST /probe-sets); more get 409 QUOTA_EXCEEDED."},
      {"MAX_SCHEDULES_PER_USER", "Outbound calls, proxies and quotas", "100", shown::plain,
       integer_rule{&settings::max_schedules_per_user, 1, 10000, ""},
       "Scan schedules one user may own (POST /schedules); more get 409 QUOTA_EXCEEDED."},
  };
  return defs;
}

// What is allowed, as shown in error messages and docs.
std::string allowed_text(const setting_def& d) {
  struct visitor {
    std::string operator()(const integer_rule& r) const {
      return "an integer in " + std::to_string(r.min) + ".." + std::to_string(r.max);
    }
    std::string operator()(const boolean_rule&) const { return "true or false"; }
    std::string operator()(const choice_rule& r) const { return "one of " + join(r.values, ", "); }
    std::string operator()(const text_rule& r) const { return r.allowed; }
  };
  return std::visit(visitor{}, d.rule);
}

bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (size_t j = i; j < s.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(s[j]))) return false;
  // from_chars, not stoll: 19 digits can exceed int64 and must be a problem, not a throw.
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(first, s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Stores `raw` into `s`; false when it breaks the rule.
bool apply(const setting_def& d, const std::string& raw, settings& s) {
  struct visitor {
    const std::string& raw;
    settings& s;
    bool operator()(const integer_rule& r) const {
      int64_t v = 0;
      if (!parse_int(raw, v) || v < r.min || v > r.max) return false;
      s.*r.field = v;
      return true;
    }
    bool operator()(const boolean_rule& r) const {
      std::string l = raw;
      std::transform(l.begin(), l.end(), l.begin(), ::tolower);
      if (l == "true" || l == "1" || l == "yes") {
        s.*r.field = true;
      } else if (l == "false" || l == "0" || l == "no") {
        s.*r.field = false;
      } else {
        return false;
      }
      return true;
    }
    bool operator()(const choice_rule& r) const {
      if (std::find(r.values.begin(), r.values.end(), raw) == r.values.end()) return false;
      s.*r.field = raw;
      return true;
    }
    bool operator()(const text_rule& r) const {
      if (!r.check(raw).empty()) return false;
      s.*r.field = raw;
      return true;
    }
  };
  return std::visit(visitor{raw, s}, d.rule);
}

std::string specific_reason(const setting_def& d, const std::string& raw) {
  if (auto* t = std::get_if<text_rule>(&d.rule)) {
    std::string why = t->check(raw);
    if (!why.empty()) return why;
  }
  return allowed_text(d);
}

std::string mask(const setting_def& d, const std::string& v) {
  if (d.secret == shown::url_password) return mask_url_password(v);
  if (d.secret == shown::masked && !v.empty()) return "***";
  return v;
}

std::string shown_value(const setting_def& d, const settings& s) {
  struct visitor {
    const settings& s;
    std::string operator()(const integer_rule& r) const { return std::to_string(s.*r.field); }
    std::string operator()(const boolean_rule& r) const { return s.*r.field ? "true" : "false"; }
    std::string operator()(const choice_rule& r) const { return s.*r.field; }
    std::string operator()(const text_rule& r) const { return s.*r.field; }
  };
  return mask(d, std::visit(visitor{s}, d.rule));
}

std::string strip(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// A NAME_FILE's content is a value, not a document: larger files are refused.
constexpr std::streamsize max_setting_file = 65536;

// The value held in the file at `path` (NAME_FILE), trailing line breaks removed; nullopt with
// `why` set when it cannot be used. Only regular files are read, so a FIFO or a device cannot
// block or flood startup.
std::optional<std::string> setting_file_value(const std::string& path, std::string& why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return std::nullopt;
  }
  std::ifstream f(path, std::ios::binary);
  std::string value(static_cast<size_t>(max_setting_file) + 1, '\0');
  f.read(value.data(), max_setting_file + 1);
  if (f.bad() || (!f && !f.eof())) {
    why = f.is_open() ? "read failed" : std::strerror(errno);
    return std::nullopt;
  }
  if (f.gcount() > max_setting_file) {
    why = "larger than " + std::to_string(max_setting_file) + " bytes";
    return std::nullopt;
  }
  value.resize(static_cast<size_t>(f.gcount()));
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

int64_t cgroup_cpu_limit() {
  std::ifstream v2("/sys/fs/cgroup/cpu.max");
  std::string quota, period;
  if (v2 >> quota >> period && quota != "max") {
    double q = std::stod(quota), p = std::stod(period);
    if (p > 0) return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q / p)));
  }
  std::ifstream q1("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
      p1("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double q = -1, p = 0;
  if (q1 >> q && p1 >> p && q > 0 && p > 0)
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q / p)));
  return 0;  // no limit
}

}  // namespace

env_map parse_dotenv(const std::string& text) {
  env_map out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = strip(line);
    if (line.empty() || line[0] == '#') continue;
    if (has_prefix(line, "export ")) line = strip(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = strip(line.substr(0, eq));
    std::string value = strip(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (size_t hash = value.find(" #"); hash != std::string::npos) {
      value = strip(value.substr(0, hash));  // trailing comment, as in the guide's examples
    }
    out[key] = value;
  }
  return out;
}

parse_result parse_settings(const env_map& dotenv, const env_map& env) {
  parse_result r;
  for (const auto& d : table()) {
    const std::string name = d.name;
    const std::string file_name = name + "_FILE";
    std::optional<std::string> value, path;
    for (const env_map* m : {&dotenv, &env}) {
      if (auto it = m->find(name); it != m->end()) value = it->second;
      if (auto it = m->find(file_name); it != m->end()) path = it->second;
    }
    apply(d, d.default_value, r.values);  // kept when unset or invalid ("" stays unset)
    if (!value && !path) continue;
    // Which one should win would be a guess: a deployment that sets both is refused.
    if (value && path) {
      r.problems.push_back(name + " and " + file_name + " are both set; set only one");
      continue;
    }
    std::string raw = value.value_or(d.default_value);
    std::string source = name + "=" + mask(d, raw);
    if (path) {
      std::string why;
      auto content = setting_file_value(*path, why);
      if (!content) {
        r.problems.push_back(file_name + "=" + *path + ": cannot be read (" + why + ")");
        continue;
      }
      raw = *content;
      source = file_name + "=" + *path;  // its content may be secret: never shown
    }
    if (!apply(d, raw, r.values)) {
      std::string def = *d.default_value ? d.default_value : "unset";
      r.problems.push_back(source + ": must be " + specific_reason(d, raw) + " (default " + def +
                           ")");
    }
  }
  // Rules that span several variables.
  const settings& v = r.values;
  auto reported = [&](const std::string& name) {
    for (const auto& p : r.problems)
      for (const std::string& head : {name + "=", name + "_FILE=", name + " and "})
        if (p.rfind(head, 0) == 0) return true;
    return false;
  };
  auto given = [&](const std::string& name) {
    for (const std::string& key : {name, name + "_FILE"})
      if (dotenv.count(key) || env.count(key)) return true;
    return false;
  };
  if (!given("OUTBOUND_BLOCK_PRIVATE") || reported("OUTBOUND_BLOCK_PRIVATE"))
    r.values.outbound_block_private = v.environment != "development";
  if (v.environment == "production" && v.secret_key.empty() && !reported("SECRET_KEY"))
    r.problems.push_back("SECRET_KEY is required when ENVIRONMENT=production");
  int admin = !v.admin_username.empty() + !v.admin_email.empty() + !v.admin_password.empty();
  if (admin != 0 && admin != 3)
    r.problems.push_back("ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD must be set together");
  if (!v.database_read_url.empty() && !reported("DATABASE_URL") &&
      !check_read_url(v.database_url).empty())
    r.problems.push_back(
        "DATABASE_READ_URL needs a PostgreSQL DATABASE_URL (SQLite has no replicas)");
  return r;
}

parse_result load_settings_from_process() {
  env_map dotenv, env;
  std::ifstream f(".env");
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    dotenv = parse_dotenv(ss.str());
  }
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return parse_settings(dotenv, env);
}

std::string print_config(const settings& s) {
  std::string out;
  for (const auto& d : table()) out += std::string(d.name) + "=" + shown_value(d, s) + "\n";
  return out;
}

std::string configuration_markdown() {
  std::string out =
      "# Configuration\n\n"
      "<!-- Generated by `violentutf-api --config-docs` from the settings table in "
      "config/settings.cpp. Do not edit by hand: a test fails when this file is stale. -->\n\n"
      "Every setting is an environment variable. A `.env` file in the working directory is "
      "read first; real environment variables override it. An invalid value stops startup "
      "with exit code 2 and one line per problem. `violentutf-api --check-config` validates "
      "and exits; `violentutf-api --print-config` prints the effective values with secrets "
      "masked.\n\n"
      "Any setting may instead be given as `NAME_FILE=/path` (in the environment or `.env`), "
      "for secrets mounted as files: the value is the file's content with trailing line breaks "
      "removed. The file must be a regular file of at most 64 KiB. Setting both `NAME` and "
      "`NAME_FILE` stops startup (exit code 2), as does a file that cannot be read; the "
      "message names the file, never its content.\n";
  std::string group;
  for (const auto& d : table()) {
    if (group != d.group) {
      group = d.group;
      out +=
          "\n## " + group + "\n\n| variable | default | allowed | meaning |\n|---|---|---|---|\n";
    }
    std::string def = *d.default_value ? std::string("`") + d.default_value + "`" : "(unset)";
    std::string allowed = allowed_text(d);
    if (auto* r = std::get_if<integer_rule>(&d.rule); r && *r->unit)
      allowed += std::string(" ") + r->unit;
    out += std::string("| `") + d.name + "` | " + def + " | " + allowed + " | " + d.help + " |\n";
  }
  return out;
}

std::string mask_url_password(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

int64_t scheduler_threads(const settings& s, int64_t cores) {
  return std::max<int64_t>(1, std::min(cores * s.workers_per_core, s.max_workers));
}

int64_t usable_cores() {
  cpu_set_t set;
  int64_t n = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN));
  int64_t limit = cgroup_cpu_limit();
  return limit > 0 ? std::min(n, limit) : n;
}

}  // namespace vutf
