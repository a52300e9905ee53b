// Helpers shared by the tests: ports, settings, live PostgreSQL/Redis, the built binary.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "domain/identity.hpp"
#include "domain/target.hpp"

namespace vutf::test {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// A TCP socket listening on 127.0.0.1 on a free port (stored in `port`); throws if it cannot.
int listen_on_loopback(int& port);

// A valid openai-chat target named `name` (not stored).
inline target sample_target(const std::string& name) {
  target t;
  t.name = name;
  t.kind = "openai-chat";
  t.endpoint_url = "http://127.0.0.1:9/v1/chat/completions";
  return t;
}

// An authenticated ordinary user, as the identity actor would vouch for it.
inline principal someone(const std::string& user_id = "user-1") {
  principal p;
  p.user_id = user_id;
  p.roles = {"user"};
  p.session_id = "session-" + user_id;
  p.kind = "user";
  return p;
}

// Registers a new user named `name` over HTTP on 127.0.0.1:`port` and returns a bearer token.
std::string login_over_http(int port, const std::string& name);

// OUTBOUND_ALLOW_CIDRS of the tests: mock targets listen on 127.0.0.1, which the outbound policy
// refuses whenever OUTBOUND_BLOCK_PRIVATE is on.
constexpr const char* loopback_targets = "127.0.0.0/8";

// Settings from the table's defaults with `overrides` applied (as environment variables would),
// and OUTBOUND_ALLOW_CIDRS=loopback_targets unless overridden.
settings make_settings(const env_map& overrides = {});

// The value of an environment variable the test runner must provide; fails the test otherwise.
std::string required_env(const char* name);

// A new, empty database on the runner's PostgreSQL (VUTF_TEST_PG_URL); returns its URL.
std::string fresh_pg_database();

// Runs one SQL statement on `url` (libpq); returns the first column of the first row or "".
std::string pg_query(const std::string& url, const std::string& sql);

// How many of the service's connections to the database at `url` wait on a lock (other tests'
// databases on the same server are not counted).
int pg_lock_waiters(const std::string& url);

// Polls `condition` every 20 ms until it holds or `limit` passes; returns whether it held.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

// A private redis-server on a free port, for tests that kill and restart it.
class redis_server {
 public:
  redis_server();
  ~redis_server();
  std::string url() const;
  void kill();
  void start();
  void pause();   // SIGSTOP: connections stay open but nothing answers
  void resume();  // SIGCONT

 private:
  int port_;
  pid_t pid_ = -1;
};

// A private PostgreSQL 15 cluster on a free port, for tests that restart it.
class pg_server {
 public:
  pg_server();
  ~pg_server();
  std::string url() const;  // the "postgres" database
  int port() const { return port_; }
  void stop();
  void start();

 private:
  std::string dir_;
  int port_;
};

// A streaming replica of the pg_server on `primary_port` (pg_basebackup -R over loopback, which
// initdb's trust rules allow), on a free port of its own; stopped and removed with the object.
class pg_replica {
 public:
  explicit pg_replica(int primary_port);
  ~pg_replica();
  pg_replica(const pg_replica&) = delete;
  pg_replica& operator=(const pg_replica&) = delete;
  std::string url() const;  // the "postgres" database, read-only
  void stop();

 private:
  std::string dir_;
  int port_;
};

// The built violentutf-api run as a child process with the given environment (added to a
// minimal one, which allows loopback_targets), in its own temporary working directory.
class service_process {
 public:
  // `dotenv`, when given, is written to .env in the working directory first.
  explicit service_process(const env_map& env, std::vector<std::string> args = {},
                           const std::string& dotenv = "");
  ~service_process();
  // Waits for the "listening" line; returns false if the process exited instead.
  bool wait_listening(std::chrono::milliseconds limit = std::chrono::seconds(30));
  int api_port() const { return api_port_; }
  int metrics_port() const { return metrics_port_; }
  void signal(int sig);
  // Waits for the exit status (-1 on timeout).
  int wait_exit(std::chrono::milliseconds limit = std::chrono::seconds(30));
  std::string out() const;  // everything written to stdout so far
  std::string err() const;  // everything written to stderr so far
  std::string workdir() const { return dir_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int api_port_ = 0;
  int metrics_port_ = 0;
  int status_ = -1;
};

// nginx (Debian nginx-light) run in the foreground as a child, with the repository's
// deploy/nginx/violentutf-api.conf pointed at instances on 127.0.0.1:`upstream_ports` (the file
// names two) and listening on a free loopback port.
class nginx_proxy {
 public:
  static constexpr const char* binary = "/usr/sbin/nginx";
  static bool installed();
  explicit nginx_proxy(const std::vector<int>& upstream_ports);
  ~nginx_proxy();
  // Waits until it accepts connections; returns false if it exited instead.
  bool wait_listening(std::chrono::milliseconds limit = std::chrono::seconds(10));
  int port() const { return port_; }
  std::string err() const;  // nginx's error log so far

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

// Runs the binary to completion (flags like --print-config); returns exit code, stdout, stderr.
struct run_result {
  int code;
  std::string out;
  std::string err;
};
run_result run_binary(const env_map& env, const std::vector<std::string>& args,
                      const std::string& dotenv = "");

// Runs any program (argv[0] a path) to completion in a temporary working directory, with `env`
// added to the minimal environment and `input` on its stdin.
run_result run_program(const std::vector<std::string>& argv, const env_map& env,
                       const std::string& input = "");

}  // namespace vutf::test
