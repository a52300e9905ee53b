// service::ask's backstop: a caller waits at most until its message's deadline plus
// service::reply_grace, even when the actor it asked never answers; and a target test slower
// than its request's deadline is a failed check, answered in time.
#include "actors/service.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <stdexcept>

#include "actors/ask.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

// A TCP listener on 127.0.0.1 that never accepts: a client connects (the kernel completes the
// handshake), sends its request and hears nothing until its own timeout.
class silent_listener {
 public:
  silent_listener() : fd_(test::listen_on_loopback(port_)) {}
  ~silent_listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int port_ = 0;
  int fd_;
};

// Answers target_get at once with a target of that id, except for the id "never": that promise
// is kept and never delivered, like an actor that fails to answer.
struct forgetful_state {
  std::vector<caf::typed_response_promise<result<target>>> kept;
};
using lookup_actor = caf::typed_actor<caf::replies_to<target_get>::with<result<target>>>;
lookup_actor::behavior_type forgetful(lookup_actor::stateful_pointer<forgetful_state> self) {
  return {[self](target_get& g) {
    auto rp = self->make_response_promise<result<target>>();
    if (g.id == "never") {
      self->state.kept.push_back(rp);
    } else {
      target t;
      t.id = g.id;
      rp.deliver(result<target>{{}, t});
    }
    return rp;
  }};
}

// Stops the actor when the test ends, however it ends: the actor system waits for it.
struct stop_at_exit {
  lookup_actor a;
  ~stop_at_exit() { caf::anon_send_exit(a, caf::exit_reason::user_shutdown); }
};

TEST(service_test, an_ask_whose_reply_never_comes_ends_at_deadline_plus_grace) {
  log::configure("error", "json");
  caf::actor_system_config cfg;
  caf::actor_system sys(cfg);
  stop_at_exit actor{sys.spawn(forgetful)};
  askers asks(sys);

  auto deadline = clock::now() + std::chrono::milliseconds(100);
  auto r = asks.ask<result<target>>(actor.a, target_get{test::someone(), "never", deadline},
                                    deadline, "target_get");
  auto waited_past_backstop = clock::now() - (deadline + service::reply_grace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, errc::request_timeout);
  EXPECT_GE(waited_past_backstop, std::chrono::milliseconds(0));
  EXPECT_LT(waited_past_backstop, std::chrono::seconds(1));

  // The same thread asks again at once and is answered.
  auto next = clock::now() + std::chrono::seconds(5);
  auto again = asks.ask<result<target>>(actor.a, target_get{test::someone(), "t-1", next}, next,
                                        "target_get");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value.id, "t-1");
}

TEST(service_test, a_target_slower_than_the_request_deadline_fails_its_test_in_time) {
  log::configure("error", "json");
  silent_listener target_host;
  service svc(test::make_settings({{"DATABASE_URL", "sqlite:///:memory:"}}),
              std::make_shared<metrics>());
  target t = test::sample_target("silent");
  t.endpoint_url = "http://127.0.0.1:" + std::to_string(target_host.port()) + "/v1/chat";
  t.timeout_seconds = 5;  // longer than the request has left
  auto created = svc.ask(target_create{test::someone(), t, svc.deadline()});
  ASSERT_TRUE(created.ok()) << created.error->detail;

  auto deadline = clock::now() + std::chrono::milliseconds(500);
  auto r = svc.ask(target_test{test::someone(), created.value.id, deadline});
  EXPECT_LT(clock::now(), deadline + service::reply_grace);
  ASSERT_TRUE(r.ok()) << r.error->detail;
  EXPECT_FALSE(r.value.ok);
  EXPECT_EQ(r.value.status_code, 0);
  EXPECT_NE(r.value.error.find("no complete response in time"), std::string::npos) << r.value.error;
}

}  // namespace
}  // namespace vutf
