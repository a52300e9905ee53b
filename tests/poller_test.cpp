// The poller on its own, with a listening socket of its own: what happens at the edges of the
// process' resources rather than of HTTP (the HTTP behaviour is server_test's).
#include "http/poller.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vutf::http {
namespace {

// A loopback listener on a free port.
int listen_any(sockaddr_in& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot listen on loopback");
  return fd;
}

// What the poller reported, for the test thread to wait on.
struct observed {
  std::mutex m;
  std::condition_variable changed;
  int pauses = 0;
  std::vector<ready_connection> dispatched;

  template <class Pred>
  bool wait(Pred done) {
    std::unique_lock<std::mutex> lock(m);
    return changed.wait_for(lock, std::chrono::seconds(20), [&] { return done(*this); });
  }
};

// Takes every free descriptor below the soft limit, lowered to just above those open now (as
// copies of `any_open`), so the next accept fails with EMFILE; gives them back, and the limit.
class descriptors_exhausted {
 public:
  explicit descriptors_exhausted(int any_open) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (int fd = 0; fd < 4096; ++fd)
      if (::fcntl(fd, F_GETFD) != -1) highest = fd;
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(highest) + 1;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
    for (int fd; (fd = ::dup(any_open)) >= 0;) taken_.push_back(fd);
  }
  ~descriptors_exhausted() { give_back(); }
  void give_back() {
    for (int fd : taken_) ::close(fd);
    taken_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> taken_;
};

TEST(poller_test, out_of_descriptors_it_pauses_accepting_and_resumes_once_they_are_back) {
  sockaddr_in addr{};
  int listener = listen_any(addr);
  observed seen;
  poller_options o;
  o.accept_paused = [&] {
    std::lock_guard<std::mutex> lock(seen.m);
    ++seen.pauses;
    seen.changed.notify_all();
  };
  poller p(
      listener, o,
      [&](ready_connection c) {
        std::lock_guard<std::mutex> lock(seen.m);
        seen.dispatched.push_back(std::move(c));
        seen.changed.notify_all();
      },
      [](int) { return std::string("HTTP/1.1 503 Service Unavailable\r\n\r\n"); });

  // The poller's thread has started and the client's socket exists before the descriptors run
  // out: UBSan's vptr check of the new thread's state probes memory through a pipe, so a thread
  // still starting when they run out fails it. Then the client connects: the connection waits in
  // the backlog, and the poller's accept of it fails.
  std::promise<void> started;
  std::thread running([&] {
    started.set_value();
    p.run();
  });
  started.get_future().wait();
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  descriptors_exhausted exhausted(listener);
  ASSERT_EQ(::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(client, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));

  // The pause is reported (and the listener retried at the next sweep, not in a busy loop).
  EXPECT_TRUE(seen.wait([](observed& s) { return s.pauses >= 1; }));
  {
    std::lock_guard<std::mutex> lock(seen.m);
    EXPECT_TRUE(seen.dispatched.empty());
  }

  exhausted.give_back();
  EXPECT_TRUE(seen.wait([](observed& s) { return s.dispatched.size() == 1; }));
  {
    std::lock_guard<std::mutex> lock(seen.m);
    ASSERT_EQ(seen.dispatched.size(), 1u);
    EXPECT_EQ(seen.dispatched.front().buffered, head);
    ::close(seen.dispatched.front().fd);
  }
  p.closed();
  p.stop();
  running.join();
  ::close(client);
  ::close(listener);
}

}  // namespace
}  // namespace vutf::http
