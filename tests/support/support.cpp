#include "tests/support/support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef VUTF_BINARY
#error "VUTF_BINARY must name the built service binary"
#endif

namespace vutf::test {

int listen_on_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("listen_on_loopback: cannot listen on loopback");
  }
  port = ntohs(a.sin_port);
  return fd;
}

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bool bound = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
               ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(s);
  if (!bound) throw std::runtime_error("free_port: cannot bind a loopback socket");
  return ntohs(a.sin_port);
}

settings make_settings(const env_map& overrides) {
  env_map env = {{"OUTBOUND_ALLOW_CIDRS", loopback_targets}};
  for (const auto& [k, v] : overrides) env[k] = v;
  auto r = parse_settings({}, env);
  EXPECT_TRUE(r.problems.empty()) << (r.problems.empty() ? "" : r.problems.front());
  return r.values;
}

std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    ADD_FAILURE() << name << " is not set: run the integration tests through scripts/test.sh";
    return "";
  }
  return v;
}

std::string pg_query(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  if (r.empty() || r.columns() == 0 || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

int pg_lock_waiters(const std::string& url) {
  return std::stoi(pg_query(url,
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND application_name = 'violentutf-api' AND "
                            "wait_event_type = 'Lock'"));
}

std::string fresh_pg_database() {
  std::string admin = required_env("VUTF_TEST_PG_URL");
  std::mt19937_64 rng{std::random_device{}()};
  std::string name = "t" + std::to_string(rng() % 1000000000000ULL);
  pg_query(admin, "CREATE DATABASE " + name);
  return admin.substr(0, admin.rfind('/') + 1) + name;
}

std::string login_over_http(int port, const std::string& name) {
  httplib::Client c("127.0.0.1", port);
  nlohmann::json account = {
      {"username", name}, {"email", name + "@example.com"}, {"password", "passw0rd-" + name}};
  int status = 0;
  std::string body;
  // A fresh service opens its first database connection on this request; on a machine loaded
  // by other jobs that can time out (503 DB_UNAVAILABLE), which is retried, and nothing else.
  eventually([&] {
    auto reg = c.Post("/api/v1/auth/register", account.dump(), "application/json");
    status = reg ? reg->status : 0;
    body = reg ? reg->body : "no response";
    return status != 503;
  });
  EXPECT_EQ(status, 201) << body;
  auto login = c.Post("/api/v1/auth/login",
                      nlohmann::json{{"username", name}, {"password", account["password"]}}.dump(),
                      "application/json");
  if (!login || login->status != 200) {
    ADD_FAILURE() << "login failed: " << (login ? login->body : "no response");
    return "";
  }
  return nlohmann::json::parse(login->body)["access_token"];
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& dir,
            const std::vector<std::string>& env, const std::string& out, const std::string& err,
            const std::string& in = "") {
  pid_t pid = fork();
  if (pid == 0) {
    if (!dir.empty() && chdir(dir.c_str()) != 0) _exit(127);
    if (!in.empty()) {
      int fd = open(in.c_str(), O_RDONLY);
      dup2(fd, 0);
    }
    if (!out.empty()) {
      int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
    }
    if (!err.empty()) {
      int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 2);
    }
    std::vector<char*> a, e;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    execve(a[0], a.data(), e.data());
    _exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string make_temp_dir() {
  char tmpl[] = "/tmp/vutf-test.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  chmod(dir.c_str(), 0755);
  return dir;
}

int run_and_wait(const std::vector<std::string>& argv) {
  pid_t pid = spawn(argv, "", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "/dev/null", "/dev/null");
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> env_list(const env_map& env) {
  std::vector<std::string> out = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LOG_FORMAT=json"};
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

const std::string pg_bin = "/usr/lib/postgresql/15/bin/";

// Whether something listens on 127.0.0.1:`port`.
bool accepts_connections(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// `text` with its one occurrence of `from` replaced by `to`; throws if there is none, so a
// change to the shipped file fails the test that rewrites it rather than testing something else.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no \"" + from + "\" to replace");
  return text.replace(at, from.size(), to);
}

}  // namespace

redis_server::redis_server() : port_(free_port()) {
  start();
}
redis_server::~redis_server() {
  kill();
}
std::string redis_server::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/0";
}

void redis_server::start() {
  pid_ = spawn({"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no"},
               "/tmp", {}, "/dev/null", "/dev/null");
  eventually([&] { return accepts_connections(port_); });
}

void redis_server::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::pause() {
  ::kill(pid_, SIGSTOP);
}
void redis_server::resume() {
  ::kill(pid_, SIGCONT);
}

pg_server::pg_server() : dir_(make_temp_dir()), port_(free_port()) {
  run_and_wait({"/bin/chown", "postgres:postgres", dir_});
  int rc = run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "initdb", "-D",
                         dir_ + "/data", "-U", "postgres", "-A", "trust", "--no-sync"});
  EXPECT_EQ(rc, 0) << "initdb failed";
  start();
}

pg_server::~pg_server() {
  run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_ctl", "-D",
                dir_ + "/data", "-m", "immediate", "stop"});
  run_and_wait({"/bin/rm", "-rf", dir_});
}

std::string pg_server::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void pg_server::start() {
  int rc = run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_ctl", "-D",
                         dir_ + "/data", "-w", "-l", dir_ + "/log", "-o",
                         "-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -k " +
                             dir_ + " -c fsync=off",
                         "start"});
  EXPECT_EQ(rc, 0) << "pg_ctl start failed";
}

void pg_server::stop() {
  run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_ctl", "-D",
                dir_ + "/data", "-m", "fast", "-w", "stop"});
}

pg_replica::pg_replica(int primary_port) : dir_(make_temp_dir()), port_(free_port()) {
  run_and_wait({"/bin/chown", "postgres:postgres", dir_});
  int rc = run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_basebackup",
                         "-R", "-c", "fast", "-X", "stream", "-D", dir_ + "/data", "-h",
                         "127.0.0.1", "-p", std::to_string(primary_port), "-U", "postgres"});
  EXPECT_EQ(rc, 0) << "pg_basebackup failed";
  // -w: pg_ctl returns once the replica accepts connections (a hot standby does at consistency).
  rc = run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_ctl", "-D",
                     dir_ + "/data", "-w", "-l", dir_ + "/log", "-o",
                     "-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -k " + dir_ +
                         " -c fsync=off",
                     "start"});
  EXPECT_EQ(rc, 0) << "pg_ctl start of the replica failed";
}

pg_replica::~pg_replica() {
  run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_ctl", "-D",
                dir_ + "/data", "-m", "immediate", "stop"});
  run_and_wait({"/bin/rm", "-rf", dir_});
}

std::string pg_replica::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void pg_replica::stop() {
  run_and_wait({"/usr/sbin/runuser", "-u", "postgres", "--", pg_bin + "pg_ctl", "-D",
                dir_ + "/data", "-m", "fast", "-w", "stop"});
}

service_process::service_process(const env_map& env, std::vector<std::string> args,
                                 const std::string& dotenv)
    : dir_(make_temp_dir()) {
  if (!dotenv.empty()) std::ofstream(dir_ + "/.env") << dotenv;
  std::vector<std::string> argv = {VUTF_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  env_map full = {
      {"SERVER_PORT", "0"}, {"METRICS_PORT", "0"}, {"OUTBOUND_ALLOW_CIDRS", loopback_targets}};
  for (const auto& [k, v] : env) full[k] = v;
  pid_ = spawn(argv, dir_, env_list(full), dir_ + "/stdout", dir_ + "/stderr");
}

service_process::~service_process() {
  if (pid_ > 0 && status_ < 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  run_and_wait({"/bin/rm", "-rf", dir_});
}

bool service_process::wait_listening(std::chrono::milliseconds limit) {
  bool up = eventually(
      [&] {
        std::string o = out();
        size_t api = o.find("api=http://");
        if (api == std::string::npos) return false;
        size_t colon = o.find(':', api + 11);
        api_port_ = std::stoi(o.substr(colon + 1));
        size_t m = o.find("metrics=http://", api);
        if (m != std::string::npos) metrics_port_ = std::stoi(o.substr(o.find(':', m + 15) + 1));
        return true;
      },
      limit);
  return up;
}

void service_process::signal(int sig) {
  ::kill(pid_, sig);
}

int service_process::wait_exit(std::chrono::milliseconds limit) {
  if (status_ >= 0) return status_;
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string service_process::out() const {
  return read_file(dir_ + "/stdout");
}
std::string service_process::err() const {
  return read_file(dir_ + "/stderr");
}

run_result run_binary(const env_map& env, const std::vector<std::string>& args,
                      const std::string& dotenv) {
  service_process p(env, args, dotenv);
  int code = p.wait_exit();
  return {code, p.out(), p.err()};
}

run_result run_program(const std::vector<std::string>& argv, const env_map& env,
                       const std::string& input) {
  std::string dir = make_temp_dir();
  std::ofstream(dir + "/stdin") << input;
  pid_t pid = spawn(argv, dir, env_list(env), dir + "/stdout", dir + "/stderr", dir + "/stdin");
  int status = 0;
  waitpid(pid, &status, 0);
  run_result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(dir + "/stdout"),
               read_file(dir + "/stderr")};
  run_and_wait({"/bin/rm", "-rf", dir});
  return r;
}

bool nginx_proxy::installed() {
  return access(binary, X_OK) == 0;
}

nginx_proxy::nginx_proxy(const std::vector<int>& upstream_ports)
    : dir_(make_temp_dir()), port_(free_port()) {
  std::string site = read_file(std::string(VUTF_SOURCE_DIR) + "/deploy/nginx/violentutf-api.conf");
  for (size_t i = 0; i < upstream_ports.size(); ++i)
    site = replace_once(site, "server api-" + std::to_string(i + 1) + ":8000",
                        "server 127.0.0.1:" + std::to_string(upstream_ports[i]));
  site = replace_once(site, "listen 80;", "listen 127.0.0.1:" + std::to_string(port_) + ";");
  site = replace_once(site, "listen [::]:80;", "");
  std::ofstream(dir_ + "/violentutf-api.conf") << site;
  // Root's workers may read the temporary directory; elsewhere nginx keeps the current user.
  std::ofstream(dir_ + "/nginx.conf") << (geteuid() == 0 ? "user root;\n" : "")
                                      << "worker_processes 1;\n"
                                         "events { worker_connections 256; }\n"
                                         "http {\n  access_log off;\n  include "
                                      << dir_ << "/violentutf-api.conf;\n}\n";
  pid_ = spawn({binary, "-e", "stderr", "-p", dir_ + "/", "-c", dir_ + "/nginx.conf", "-g",
                "daemon off; pid " + dir_ + "/nginx.pid; error_log stderr;"},
               dir_, env_list({}), "/dev/null", dir_ + "/stderr");
}

nginx_proxy::~nginx_proxy() {
  // SIGTERM, not SIGKILL: the master stops its workers before it exits.
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  run_and_wait({"/bin/rm", "-rf", dir_});
}

bool nginx_proxy::wait_listening(std::chrono::milliseconds limit) {
  bool exited = false;
  eventually(
      [&] {
        exited = waitpid(pid_, nullptr, WNOHANG) == pid_;
        return exited || accepts_connections(port_);
      },
      limit);
  if (exited) pid_ = -1;
  return !exited && accepts_connections(port_);
}

std::string nginx_proxy::err() const {
  return read_file(dir_ + "/stderr");
}

}  // namespace vutf::test
