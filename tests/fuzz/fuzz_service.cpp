#include "tests/fuzz/fuzz_service.hpp"

#include <memory>
#include <stdexcept>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"

namespace vutf::fuzz {
namespace {

struct fixture {
  settings cfg;
  std::shared_ptr<metrics> meters = std::make_shared<metrics>();
  std::unique_ptr<service> svc;
  std::unique_ptr<http::api> api;
  std::string token;
};

// Stops the service when the thread that built it ends the process. libFuzzer calls exit()
// from its main thread after the last input, and the C++ runtime destroys that thread's
// thread_local objects before it destroys any static one; so the service flushes the last
// inputs' audit records and joins its connection threads while the statements and tables
// those threads use still exist (a static destroyed under a running write was a
// heap-use-after-free at exit).
struct stop_at_exit {
  fixture* f;
  ~stop_at_exit() {
    f->api.reset();
    f->svc.reset();
  }
};

fixture& instance() {
  static fixture* f = [] {
    log::configure("error", "json");
    auto parsed = parse_settings({}, {{"DATABASE_URL", "sqlite:///:memory:"},
                                      {"ADMIN_USERNAME", "root"},
                                      {"ADMIN_EMAIL", "root@example.com"},
                                      {"ADMIN_PASSWORD", "r00t-password"},
                                      {"RATE_LIMIT_ENABLED", "false"},
                                      {"ALLOWED_ORIGINS", "https://app.example.com"}});
    if (!parsed.problems.empty()) throw std::runtime_error(parsed.problems.front());
    auto* made = new fixture;
    made->cfg = parsed.values;
    made->svc = std::make_unique<service>(made->cfg, made->meters);
    made->api = std::make_unique<http::api>(*made->svc, *made->meters, made->cfg);
    auto login = made->svc->ask(user_login{"root", "r00t-password", {}, made->svc->deadline()});
    if (!login.ok()) throw std::runtime_error("fuzz fixture: admin login failed");
    made->token = login.value.access_token;
    thread_local stop_at_exit stop{made};
    return made;
  }();
  return *f;
}

}  // namespace

const http::api& app() {
  return *instance().api;
}

std::string with_token(std::string input) {
  static const std::string placeholder = "@TOKEN@";
  const std::string& token = instance().token;
  for (size_t at = input.find(placeholder); at != std::string::npos;
       at = input.find(placeholder, at + token.size()))
    input.replace(at, placeholder.size(), token);
  return input;
}

void drain(const http::api_response& r, int limit) {
  if (!r.stream) return;
  std::string chunk;
  for (int i = 0; i < limit; ++i) {
    chunk.clear();
    if (r.stream(chunk) != http::stream_step::more) return;
  }
}

}  // namespace vutf::fuzz
