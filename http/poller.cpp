#include "http/poller.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace vutf::http {
namespace {

// Timers are checked this often: deadlines are seconds, so a tenth of one is precise enough, and
// a sweep over thousands of held connections stays cheap.
constexpr auto sweep_interval = std::chrono::milliseconds(100);
// A refused connection is read and dropped until the peer closes, for this long or this much, so
// closing with unread bytes does not make the kernel reset the answer away.
constexpr auto linger_time = std::chrono::seconds(1);
constexpr size_t linger_bytes = 1 << 20;
constexpr size_t read_chunk = 16384;

}  // namespace

bool head_complete(std::string_view in, size_t from) {
  for (size_t i = std::max<size_t>(from, 1); i < in.size(); ++i) {
    if (in[i] != '\n') continue;
    if (in[i - 1] == '\n' || (i >= 2 && in[i - 1] == '\r' && in[i - 2] == '\n')) return true;
  }
  return false;
}

poller::poller(int listen_fd, poller_options o, std::function<void(ready_connection)> dispatch,
               reject_renderer reject)
    : listen_fd_(listen_fd),
      opt_(o),
      dispatch_(std::move(dispatch)),
      reject_(std::move(reject)),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("epoll/eventfd unavailable");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

poller::~poller() {
  for (auto& [fd, h] : conns_) ::close(fd);
  for (auto& [fd, t] : waiting_) ::close(fd);
  close_returned();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void poller::run() {
  int flags = 1;
  ::ioctl(listen_fd_, FIONBIO, &flags);
  watch_listener();
  auto next_sweep = poll_clock::now() + sweep_interval;
  std::vector<epoll_event> events(256);
  while (!stopping_) {
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                         static_cast<int>(sweep_interval.count()));
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t v;
        while (::read(wake_fd_, &v, sizeof v) > 0) {
        }
      } else if (fd == listen_fd_) {
        accept_all();
      } else if (auto it = conns_.find(fd); it != conns_.end()) {
        on_readable(fd, it->second);
      }
    }
    auto now = poll_clock::now();
    take_returned(now);
    admit_waiting(now);
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + sweep_interval;
    }
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  // Stopping: idle connections and unfinished heads close now; waiting ones were never served.
  for (auto& [fd, h] : conns_) {
    ::close(fd);
    if (h.admitted) --open_;
  }
  conns_.clear();
  for (auto& [fd, t] : waiting_) ::close(fd);
  waiting_.clear();
  take_returned(poll_clock::now());
}

void poller::watch_listener() {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
}

void poller::stop() {
  stopping_ = true;
  wake();
}

void poller::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void poller::give_back(ready_connection c, poll_clock::time_point head_deadline) {
  {
    std::lock_guard<std::mutex> lock(returned_mutex_);
    returned_.push_back({std::move(c), head_deadline});
  }
  wake();
}

void poller::close_after_answer(int fd) {
  {
    std::lock_guard<std::mutex> lock(returned_mutex_);
    returned_.push_back({{fd, {}}, {}, true});
  }
  wake();
}

void poller::closed() {
  --open_;
  wake();  // a waiting connection may take the slot
}

void poller::close_returned() {
  std::lock_guard<std::mutex> lock(returned_mutex_);
  for (auto& r : returned_) {
    ::close(r.c.fd);
    --open_;
  }
  returned_.clear();
}

void poller::accept_all() {
  auto now = poll_clock::now();
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: the listening socket stays readable, and a
        // level-triggered wait would spin on it. It is left out until the next sweep; the new
        // connections wait in the backlog meanwhile.
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_ = true;
        opt_.accept_paused();
      }
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (open_ < opt_.max_connections) {
      admit(fd, now);
    } else if (waiting_.size() < opt_.max_connections) {
      waiting_.emplace_back(fd, now + opt_.admission_wait);
    } else {
      refuse(fd);
    }
  }
}

void poller::admit(int fd, poll_clock::time_point now) {
  ++open_;
  held h;
  h.until = now + opt_.header_timeout;  // the first request's head is due
  hold(fd, std::move(h));
}

void poller::refuse(int fd) {
  held h;
  h.admitted = false;
  hold(fd, std::move(h));
  answer_and_close(fd, conns_[fd], 503);
}

void poller::hold(int fd, held h) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  conns_[fd] = std::move(h);
}

void poller::release(int fd, held& h) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  if (h.admitted) --open_;
  conns_.erase(fd);
}

void poller::answer_and_close(int fd, held& h, int status) {
  std::string raw = reject_(status);
  // A fresh socket's send buffer takes a problem+json at once; what does not fit is not waited
  // for: the poller never blocks.
  [[maybe_unused]] auto n = ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  linger(fd, h);
}

void poller::linger(int fd, held& h) {
  ::shutdown(fd, SHUT_WR);
  h.at = phase::closing;
  h.in.clear();
  h.in.shrink_to_fit();
  h.drained = 0;
  h.until = poll_clock::now() + linger_time;
}

void poller::on_readable(int fd, held& h) {
  char buf[read_chunk];
  while (true) {
    // A head longer than the limit is not read further here: the worker refuses it.
    if (h.at != phase::closing && h.in.size() > opt_.max_head_bytes) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // the peer closed, or the connection broke
      release(fd, h);
      return;
    }
    if (h.at == phase::closing) {
      h.drained += static_cast<size_t>(n);
      if (h.drained > linger_bytes) {
        release(fd, h);
        return;
      }
      continue;
    }
    size_t from = h.in.size() >= 3 ? h.in.size() - 3 : 0;
    if (h.at == phase::idle) {
      h.at = phase::head;
      h.until = poll_clock::now() + opt_.header_timeout;
    }
    h.in.append(buf, static_cast<size_t>(n));
    if (head_complete(h.in, from)) break;
  }
  // A whole head (or more than a head may be): a worker takes the connection from here.
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  ready_connection c{fd, std::move(h.in)};
  conns_.erase(fd);
  dispatch_(std::move(c));
}

void poller::take_returned(poll_clock::time_point now) {
  std::vector<returned> back;
  {
    std::lock_guard<std::mutex> lock(returned_mutex_);
    back.swap(returned_);
  }
  for (auto& r : back) {
    if (stopping_) {
      ::close(r.c.fd);
      --open_;
      continue;
    }
    if (r.closing) {
      --open_;
      held h;
      h.admitted = false;
      hold(r.c.fd, std::move(h));
      linger(r.c.fd, conns_[r.c.fd]);
      continue;
    }
    held h;
    if (r.c.buffered.empty()) {
      h.until = now + opt_.keepalive;
    } else {
      h.at = phase::head;
      h.until = r.head_deadline;
      h.in = std::move(r.c.buffered);
    }
    int fd = r.c.fd;
    hold(fd, std::move(h));
    // Bytes that arrived meanwhile are reported by epoll (level-triggered) on the next wait.
  }
}

void poller::admit_waiting(poll_clock::time_point now) {
  while (!waiting_.empty() && open_ < opt_.max_connections) {
    admit(waiting_.front().first, now);
    waiting_.pop_front();
  }
}

void poller::sweep(poll_clock::time_point now) {
  if (accept_paused_) {
    watch_listener();
    accept_paused_ = false;
  }
  while (!waiting_.empty() && waiting_.front().second <= now) {
    int fd = waiting_.front().first;
    waiting_.pop_front();
    refuse(fd);
  }
  std::vector<int> due;
  for (auto& [fd, h] : conns_)
    if (h.until <= now) due.push_back(fd);
  for (int fd : due) {
    held& h = conns_[fd];
    if (h.at == phase::head) {
      answer_and_close(fd, h, 408);  // the head missed its deadline
      if (h.admitted) {
        h.admitted = false;  // its slot is free while it lingers
        --open_;
      }
    } else {
      release(fd, h);  // idle past KEEPALIVE (or the first head's deadline), or done lingering
    }
  }
}

}  // namespace vutf::http
