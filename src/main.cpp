// violentutf-api: the wiring diagram. config -> metrics -> storage and actors -> HTTP.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/settings.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "metrics/metrics.hpp"
#include "storage/database.hpp"

namespace {

const char* const usage =
    "Usage: violentutf-api [--help | --version | --print-config | --check-config | "
    "--config-docs | --metrics-docs | migrate]\n\n"
    "The ViolentUTF API: a standalone AI red-teaming service.\n"
    "Settings come from environment variables (a .env file in the working directory is read\n"
    "first); see docs/configuration.md.\n\n"
    "  --help          this text\n"
    "  --version       the version\n"
    "  --print-config  the effective settings, secrets masked\n"
    "  --check-config  validate the settings and exit (2 when invalid)\n"
    "  --config-docs   print docs/configuration.md as generated from the settings table\n"
    "  --metrics-docs  print the metrics table of docs/operations.md, generated from "
    "VUTF_METRICS\n"
    "  migrate         apply pending migrations to DATABASE_URL and exit (0 done, 1 database\n"
    "                  not usable, 2 invalid settings)\n\n"
    "Without an option the service starts (it migrates at startup too).\n";

// `violentutf-api migrate`: the start-up migrations as a one-off step, for an upgrade run before
// the new version's instances start (a Kubernetes Job, a deploy script). One attempt, no
// waiting: whoever runs it sees at once why the database is not usable, and retries.
int migrate_and_exit(const vutf::settings& cfg) {
  try {
    vutf::storage::connect_options connect;
    connect.statement_timeout = std::chrono::seconds(cfg.database_statement_timeout);
    auto conn =
        vutf::storage::connect(vutf::storage::parse_database_url(cfg.database_url), connect);
    vutf::storage::migrate(*conn);
  } catch (const std::exception& e) {
    // The message names host and port (libpq) or the file (SQLite), never the password.
    std::cerr << "migrate: database not usable: " << e.what() << "\n";
    return 1;
  }
  const auto& all = vutf::storage::migrations();
  std::cout << "database is at migration " << (all.empty() ? 0 : all.back().version) << "\n";
  return 0;
}

// Every connection is a descriptor, and the soft limit is often 1024: it is raised towards the
// hard limit so that MAX_CONNECTIONS can be reached. Beyond the limit, accept fails and new
// connections wait in the backlog (http_accept_paused_total counts those pauses).
void raise_descriptor_limit(const vutf::settings& cfg) {
  // The connections, both database pools, Redis, the scans' outbound calls and files, with room.
  auto wanted = static_cast<rlim_t>(cfg.max_connections +
                                    2 * (cfg.database_pool_size + cfg.database_max_overflow) +
                                    cfg.redis_max_connections + 512);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted)
    vutf::log::warning(
        "the descriptor limit is below what MAX_CONNECTIONS needs",
        {{"limit", std::to_string(limit.rlim_cur)}, {"wanted", std::to_string(wanted)}});
}

}  // namespace

int main(int argc, char** argv) {
  std::string flag = argc > 1 ? argv[1] : "";
  if (flag == "--help" || flag == "-h") {
    std::cout << usage;
    return 0;
  }
  if (flag == "--version") {
    std::cout << "violentutf-api " << VUTF_VERSION << "\n";
    return 0;
  }
  if (flag == "--config-docs") {
    std::cout << vutf::configuration_markdown();
    return 0;
  }
  if (flag == "--metrics-docs") {
    std::cout << vutf::metrics_markdown();
    return 0;
  }
  if (!flag.empty() && flag != "--print-config" && flag != "--check-config" && flag != "migrate") {
    std::cerr << "unknown option " << flag << "\n\n" << usage;
    return 2;
  }

  // 1. config
  vutf::parse_result parsed = vutf::load_settings_from_process();
  for (const auto& problem : parsed.problems) std::cerr << problem << "\n";
  if (!parsed.problems.empty()) return 2;
  const vutf::settings& cfg = parsed.values;
  if (flag == "--print-config") {
    std::cout << vutf::print_config(cfg);
    return 0;
  }
  if (flag == "--check-config") {
    std::cout << "configuration is valid\n";
    return 0;
  }
  vutf::log::configure(cfg.log_level, cfg.log_format, VUTF_VERSION);
  if (flag == "migrate") return migrate_and_exit(cfg);
  // A fixed mmap threshold: Argon2's 19 MiB buffers go back to the system when freed instead of
  // raising glibc's dynamic threshold and staying resident for good.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  raise_descriptor_limit(cfg);

  // SIGTERM/SIGINT (stop) and SIGHUP are taken by one thread (below), never by a worker; blocked
  // from here on, a SIGHUP that arrives during startup waits for that thread instead of killing
  // the process (its default action).
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    // 2. metrics
    auto metrics = std::make_shared<vutf::metrics>();
    metrics->build_info.with({VUTF_VERSION}).Set(1);
    metrics->process_start_time_seconds.Set(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    std::unique_ptr<vutf::metrics_server> metrics_endpoint;
    if (cfg.enable_metrics)
      metrics_endpoint = std::make_unique<vutf::metrics_server>(metrics, cfg.server_host,
                                                                static_cast<int>(cfg.metrics_port));
    // 3. storage and actors
    vutf::service svc(cfg, metrics);
    // 4. HTTP
    vutf::http::api api(svc, *metrics, cfg);
    vutf::http::server server(api, cfg);
    int port = server.bind();
    std::string metrics_url = metrics_endpoint
                                  ? "http://" + cfg.server_host + ":" +
                                        std::to_string(metrics_endpoint->port()) + "/metrics"
                                  : "disabled";
    vutf::log::info("listening", {{"api", "http://" + cfg.server_host + ":" + std::to_string(port)},
                                  {"metrics", metrics_url}});
    std::cout << "listening api=http://" << cfg.server_host << ":" << port
              << " metrics=" << metrics_url << std::endl;

    std::thread waiter([&] {
      int sig = 0;
      // SIGHUP asks a daemon to reopen its log files (logrotate, a supervisor): ours go to
      // stderr, which belongs to whoever started us, so there is nothing to reopen.
      while (sigwait(&handled_signals, &sig) == 0 && sig == SIGHUP)
        vutf::log::info("SIGHUP: logs go to stderr, nothing to reopen; still serving");
      vutf::log::info("stopping: draining in-flight requests", {{"signal", strsignal(sig)}});
      server.stop();
    });
    server.serve();
    waiter.join();
    vutf::log::info("stopped");
  } catch (const std::exception& e) {
    vutf::log::error("startup failed", {{"error", e.what()}});
    return 1;
  }
  return 0;
}
