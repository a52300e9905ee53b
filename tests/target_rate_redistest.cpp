// rate_limit_rpm across instances: two gateways, each with its own cache (as two service
// instances have), on one Redis spend one budget per window; in-process (no REDIS_URL) one
// instance keeps it alone. The window is shrunk to 2 s (gateway_config::rate_window), so a test
// takes seconds; the budget of a window stays rate_limit_rpm calls.
//
// No timing assertion: a call is counted in its window before it is sent, so it reaches the mock
// no earlier than that window starts. Hence however slow the machine, the calls the mock has seen
// by the end of window w are at most rpm x (windows from the first one the test could have used
// to w) -- and without a shared budget, twelve calls sent at once break that bound at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <thread>

#include "actors/cache.hpp"
#include "actors/gateway.hpp"
#include "config/address_policy.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "metrics/metrics.hpp"
#include "outbound/target_client.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using namespace std::chrono_literals;

constexpr int64_t rpm = 5;
constexpr std::chrono::seconds window{2};
constexpr int64_t window_ms = 2000;

class target_rate_test : public ::testing::Test {
 protected:
  struct instance {
    std::shared_ptr<metrics> m = std::make_shared<metrics>();
    cache_actor cache;
    gateway_actor gateway;
  };

  void SetUp() override { log::configure("error", "json"); }
  void TearDown() override {
    for (auto& i : instances_) {
      caf::anon_send_exit(i.gateway, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(i.cache, caf::exit_reason::user_shutdown);
    }
  }

  // An instance's cache and gateway ("" = in-process cache).
  void start(const std::string& redis_url) {
    instance i;
    cache_config c;
    c.redis_url = redis_url;
    c.connections = 2;
    i.cache = spawn_cache(sys_, c, i.m);
    gateway_config g;
    g.out.policy = make_address_policy(true, test::loopback_targets);
    g.cache = i.cache;
    g.rate_window = window;
    i.gateway = spawn_gateway(sys_, g, i.m);
    instances_.push_back(std::move(i));
  }

  // Sends `per_instance` calls to `mock` through every instance at once, as one target with
  // rate_limit_rpm = rpm, and checks the bound above on what the mock saw.
  void send_and_check(const mock::mock_target& mock, int per_instance) {
    target t;
    t.id = "rate-" + make_uuid();
    t.kind = "openai-chat";
    t.endpoint_url = mock.url() + "/v1";
    t.timeout_seconds = 10;
    t.max_concurrency = 8;
    target_call call{t.id, t.kind, t.max_concurrency, target_request(t, "hello")};
    call.rate_limit_rpm = rpm;
    int64_t first_window = now_ms() / window_ms;
    std::vector<std::thread> senders;
    std::vector<int> statuses(instances_.size() * static_cast<size_t>(per_instance), -1);
    for (size_t k = 0; k < statuses.size(); ++k)
      senders.emplace_back([&, k] {
        caf::scoped_actor self(sys_);
        self->request(instances_[k % instances_.size()].gateway, 60s, call)
            .receive([&](outbound_reply& r) { statuses[k] = r.status; },
                     [&](caf::error&) { statuses[k] = 0; });
      });
    for (auto& s : senders) s.join();
    for (int s : statuses) EXPECT_EQ(s, 200);

    std::vector<int64_t> arrivals = mock.stats().arrivals_ms;
    ASSERT_EQ(arrivals.size(), statuses.size());
    std::sort(arrivals.begin(), arrivals.end());
    int64_t seen = 0;
    for (int64_t a : arrivals) {
      ++seen;
      int64_t windows_so_far = a / window_ms - first_window + 1;
      EXPECT_LE(seen, rpm * windows_so_far)
          << "call " << seen << " came in window " << windows_so_far;
    }
    // The budget did hold calls back (twelve calls do not fit in one window of five).
    double held = 0;
    for (auto& i : instances_) {
      std::string text = i.m->exposition();
      std::string series = "target_call_throttles_total{cause=\"rate_limit\"} ";
      size_t at = text.find(series);
      if (at != std::string::npos) held += std::stod(text.substr(at + series.size()));
    }
    EXPECT_GT(held, 0);
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::vector<instance> instances_;
};

TEST_F(target_rate_test, two_instances_on_one_redis_share_the_budget) {
  std::string url = test::required_env("VUTF_TEST_REDIS_URL");
  start(url);
  start(url);
  mock::mock_target mock({"safe"});
  send_and_check(mock, 6);
}

TEST_F(target_rate_test, without_redis_an_instance_keeps_the_budget_in_process) {
  start("");
  mock::mock_target mock({"safe"});
  send_and_check(mock, 12);
}

}  // namespace
}  // namespace vutf
