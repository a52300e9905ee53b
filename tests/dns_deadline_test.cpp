// Name resolution is part of a call and obeys its deadline: a resolver that never answers fails
// the call when its deadline passes, not after the resolver's own timeouts (5 s per server and
// attempt). Runs through tests/in_netns.sh: network and mount namespaces of its own, where
// /etc/resolv.conf names only 127.0.0.1 and this test holds port 53 as a black hole.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "outbound/http_caller.hpp"

namespace vutf {
namespace {

TEST(name_lookup, a_resolver_that_never_answers_fails_the_call_at_its_deadline) {
  std::ifstream conf("/etc/resolv.conf");
  std::stringstream text;
  text << conf.rdbuf();
  if (text.str() != "nameserver 127.0.0.1\n")
    GTEST_SKIP() << "run through tests/in_netns.sh (resolv.conf must name 127.0.0.1 only)";

  // Receives the resolver's queries and never answers them.
  int hole = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(hole, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(53);
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(hole, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);

  http_caller caller(egress{});
  outbound_call call;
  call.url = "http://model.example/v1/chat";
  call.body = "{}";
  call.timeout = std::chrono::seconds(1);
  outbound_reply r = caller.send(call);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "could not resolve model.example before the call's deadline");
  pollfd asked{hole, POLLIN, 0};
  EXPECT_EQ(::poll(&asked, 1, 0), 1) << "the resolver never asked the black hole";

  // The lookup given up on finishes later on glibc's thread; the next call is not disturbed.
  outbound_reply again = caller.send(call);
  EXPECT_EQ(again.error, r.error);
  ::close(hole);
}

}  // namespace
}  // namespace vutf
