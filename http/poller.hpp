// The event-driven half of the frontend: one epoll thread accepts every connection and holds
// those that are idle or still sending their request head, at the cost of a buffer, not a
// thread. A connection goes to a worker (the `dispatch` callback) only with a complete request
// head buffered, and comes back (give_back) once it goes quiet after its answers. The poller
// enforces MAX_CONNECTIONS on open sockets (an admission wait, then 503), the deadline of each
// head (408) and KEEPALIVE on idle connections. It knows nothing of HTTP beyond where a head
// ends; its answers are rendered by the caller.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vutf::http {

using poll_clock = std::chrono::steady_clock;

struct poller_options {
  size_t max_connections = 256;                     // MAX_CONNECTIONS: open sockets
  std::chrono::milliseconds header_timeout{10000};  // a head must arrive within this of its start
  std::chrono::milliseconds keepalive{5000};        // KEEPALIVE: idle time between requests
  std::chrono::milliseconds admission_wait{1000};   // a connection over the bound waits this long
  size_t max_head_bytes = 65536;  // a head not ended by then goes to a worker, which refuses it
  // Called on the poller's thread when accept fails for want of descriptors or memory: the
  // listener is left unwatched until the next sweep (100 ms), so the poller does not spin on it.
  std::function<void()> accept_paused = [] {};
};

// A connection with a request to serve: its socket (non-blocking) and the bytes received so far,
// which start with a whole request head (or with max_head_bytes of an unfinished one).
struct ready_connection {
  int fd = -1;
  std::string buffered;
};

// The poller's answers to connections it refuses on its own (503 over MAX_CONNECTIONS, 408 for
// a head that missed its deadline): the whole raw response for `status`.
using reject_renderer = std::function<std::string(int status)>;

// True when `in` holds the end of a request head (an empty line) at or after `from`: CRLF CRLF,
// or a bare LF form that the strict head parser refuses rather than waiting for more.
bool head_complete(std::string_view in, size_t from);

class poller {
 public:
  poller(int listen_fd, poller_options o, std::function<void(ready_connection)> dispatch,
         reject_renderer reject);
  ~poller();
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  // Serves until stop(); then closes every connection it holds and returns.
  void run();
  // Thread-safe: stop accepting, close idle connections (workers finish their requests).
  void stop();
  // Thread-safe: a worker hands back a connection that went quiet, with the bytes it read of a
  // next request (possibly none): the head must be complete by `head_deadline` once one started.
  void give_back(ready_connection c, poll_clock::time_point head_deadline);
  // Thread-safe: a worker closed one of the connections: its MAX_CONNECTIONS slot is free.
  void closed();
  // Thread-safe: a worker answered and the connection must close, but the peer may still be
  // sending (an unread body): the poller reads and drops its bytes a while, then closes, so the
  // kernel does not reset the answer away. The slot is free from now.
  void close_after_answer(int fd);
  // Closes connections handed back after run() returned (the server calls it after its workers
  // have stopped).
  void close_returned();
  // Connections admitted and not yet closed (held here or by a worker).
  size_t open() const { return open_; }

 private:
  enum class phase { idle, head, closing };
  struct held {
    std::string in;
    poll_clock::time_point until;  // idle: closed then; head: 408 then; closing: closed then
    phase at = phase::idle;
    size_t drained = 0;    // closing: bytes read and dropped since the answer
    bool admitted = true;  // counts towards MAX_CONNECTIONS
  };
  struct returned {
    ready_connection c;
    poll_clock::time_point head_deadline;
    bool closing = false;
  };

  void watch_listener();
  void accept_all();
  void admit(int fd, poll_clock::time_point now);
  void on_readable(int fd, held& h);
  void refuse(int fd);  // 503 to a connection never admitted, then the closing phase
  void hold(int fd, held h);
  void release(int fd, held& h);  // stop watching and close
  void answer_and_close(int fd, held& h, int status);
  void linger(int fd, held& h);  // closing phase: read and drop until the peer closes
  void take_returned(poll_clock::time_point now);
  void admit_waiting(poll_clock::time_point now);
  void sweep(poll_clock::time_point now);
  void wake();

  int listen_fd_;
  poller_options opt_;
  std::function<void(ready_connection)> dispatch_;
  reject_renderer reject_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  bool accept_paused_ = false;  // out of descriptors: the listener is not watched until a sweep
  std::atomic<size_t> open_{0};
  std::unordered_map<int, held> conns_;
  std::deque<std::pair<int, poll_clock::time_point>> waiting_;  // accepted over the bound
  std::mutex returned_mutex_;
  std::vector<returned> returned_;
};

}  // namespace vutf::http
