// service::ask's backstop: a caller waits at most until its message's deadline plus
// service::reply_grace, even when the actor it asked never answers in time.
#include "actors/service.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

// A TCP listener on 127.0.0.1 that never accepts: a client connects (the kernel completes the
// handshake), sends its request and hears nothing until its own timeout.
class silent_listener {
 public:
  silent_listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~silent_listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(service_test, an_ask_whose_reply_never_comes_in_time_ends_at_deadline_plus_grace) {
  log::configure("error", "json");
  silent_listener target_host;
  service svc(test::make_settings({{"DATABASE_URL", "sqlite:///:memory:"}}),
              std::make_shared<metrics>());
  target t = test::sample_target("silent");
  t.endpoint_url = "http://127.0.0.1:" + std::to_string(target_host.port()) + "/v1/chat";
  // The scans actor answers a target test when the target does, bounded by the target's own
  // timeout rather than the request's deadline: an actor that does not answer in time.
  t.timeout_seconds = 5;
  auto created = svc.ask(target_create{test::someone(), t, svc.deadline()});
  ASSERT_TRUE(created.ok());

  auto deadline = clock::now() + std::chrono::milliseconds(500);
  auto r = svc.ask(target_test{test::someone(), created.value.id, deadline});
  auto waited_past_backstop = clock::now() - (deadline + service::reply_grace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, errc::request_timeout);
  EXPECT_GE(waited_past_backstop, std::chrono::milliseconds(0));
  EXPECT_LT(waited_past_backstop, std::chrono::seconds(1));

  // The same thread asks again at once and is answered.
  auto again = svc.ask(target_get{test::someone(), created.value.id, svc.deadline()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value.name, "silent");
}

}  // namespace
}  // namespace vutf
