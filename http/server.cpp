#include "http/server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>

#include "config/log.hpp"
#include "http/framing.hpp"
#include "http/from_httplib.hpp"
#include "http/poller.hpp"
#include "http/problem.hpp"
#include "metrics/metrics.hpp"

namespace vutf::http {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto write_timeout = std::chrono::seconds(10);
// How long a worker keeps a quiet connection after an answer before handing it back to the
// poller: keep-alive clients that send their next request at once (most API clients, every
// benchmark) stay on their thread, without a round trip through the poller per request.
constexpr auto linger = std::chrono::milliseconds(20);
constexpr size_t read_chunk = 16384;
// A response's head and a body up to this size go out in one send (one segment, not two).
constexpr size_t coalesce_limit = 65536;

int millis_until(clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock::now()).count();
  return ms <= 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

bool wait_for(int sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

// A buffered stream over a non-blocking socket whose reads fail once the current request's
// deadline has passed. It starts with the bytes the poller received (a whole request head). What
// cpp-httplib reads through read() is the request head; it is kept, so the head can be checked as
// it came over the wire. Bodies are read with consume(), by the framing rules.
class deadline_stream : public httplib::Stream {
 public:
  deadline_stream(int sock, std::string received) : sock_(sock), buf_(std::move(received)) {}

  // A new request starts: its head must arrive by `deadline`.
  void start_request(clock::time_point deadline) {
    deadline_ = deadline;
    head_.clear();
  }
  // The next write, the response's head (cpp-httplib writes it whole, then the body), is held
  // and sent with the write after it, or by flush(): one send per response, not two. Only a
  // whole response's: not a "100 Continue" (written before routing) nor a stream's head.
  void hold_response_head() { hold_ = true; }
  // Sends what is held; false when the connection broke.
  bool flush() {
    hold_ = false;
    if (held_.empty()) return true;
    bool ok = send_all(held_.data(), held_.size());
    held_.clear();
    return ok;
  }
  void arm(clock::time_point deadline) { deadline_ = deadline; }
  bool buffered() const { return pos_ < buf_.size(); }
  std::string_view pending() const { return std::string_view(buf_).substr(pos_); }
  // The bytes received and not read, for the poller when the connection goes back to it.
  std::string take_pending() { return buf_.substr(pos_); }
  // The bytes cpp-httplib read since start_request(), up to max_head_bytes + 1 of them.
  std::string_view head() const { return head_; }

  // Reads what has arrived, without waiting, up to a head's worth; false when the peer closed
  // or the connection broke.
  bool read_arrived() {
    buf_.erase(0, pos_);
    pos_ = 0;
    while (buf_.size() <= max_head_bytes) {
      size_t old = buf_.size();
      buf_.resize(old + read_chunk);
      ssize_t n = ::recv(sock_, buf_.data() + old, read_chunk, MSG_DONTWAIT);
      buf_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
      if (n > 0 && static_cast<size_t>(n) < read_chunk) return true;  // all there was
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    return true;
  }

  // Shows `take` the buffered bytes (waiting for more when there are none) and consumes as many
  // as it returns; false when nothing arrived before the deadline or the peer closed.
  template <class Take>
  bool consume(Take take) {
    if (!buffered() && !fill()) return false;
    pos_ += take(pending());
    return true;
  }

  bool is_readable() const override {
    return buffered() || wait_for(sock_, POLLIN, millis_until(deadline_));
  }
  bool is_writable() const override {
    return wait_for(sock_, POLLOUT, static_cast<int>(write_timeout.count() * 1000));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!buffered() && !fill()) return -1;
    size_t n = std::min(size, buf_.size() - pos_);
    std::memcpy(ptr, buf_.data() + pos_, n);
    pos_ += n;
    if (head_.size() <= max_head_bytes)
      head_.append(ptr, std::min(n, max_head_bytes + 1 - head_.size()));
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (hold_) {
      hold_ = false;
      held_.assign(ptr, size);
      return static_cast<ssize_t>(size);
    }
    bool ok;
    if (!held_.empty() && held_.size() + size <= coalesce_limit) {
      held_.append(ptr, size);
      ok = flush();
    } else {
      ok = flush() && send_all(ptr, size);
    }
    return ok ? static_cast<ssize_t>(size) : -1;
  }

  // cpp-httplib asks for both addresses on every request; a connection's never change.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (!peer_) peer_ = address_of(::getpeername);
    ip = peer_->ip;
    port = peer_->port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!local_) local_ = address_of(::getsockname);
    ip = local_->ip;
    port = local_->port;
  }
  socket_t socket() const override { return sock_; }

 private:
  // Refills the empty buffer; false on the deadline, an error or the peer's close.
  bool fill() {
    while (wait_for(sock_, POLLIN, millis_until(deadline_))) {
      buf_.resize(read_chunk);
      ssize_t n = ::recv(sock_, buf_.data(), read_chunk, 0);
      buf_.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
      pos_ = 0;
      if (n > 0) return true;
      if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    }
    return false;
  }

  bool send_all(const char* ptr, size_t size) {
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::send(sock_, ptr + done, size - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!is_writable()) return false;
        continue;
      }
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  struct endpoint {
    std::string ip;
    int port = 0;
  };
  // The address `name` (getpeername or getsockname) gives the socket; empty when it fails.
  endpoint address_of(int (*name)(int, sockaddr*, socklen_t*)) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    endpoint out;
    if (name(sock_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return out;
    char buf[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
      inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
      out.port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
      inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
      out.port = ntohs(a.sin6_port);
    }
    out.ip = buf;
    return out;
  }

  int sock_;
  std::string buf_;
  size_t pos_ = 0;
  clock::time_point deadline_ = clock::now();
  std::string head_;
  bool hold_ = false;
  std::string held_;  // a response's head, waiting for its body
  mutable std::optional<endpoint> peer_, local_;
};

// What the request handler tells the connection loop about the request it just served.
struct connection_context {
  deadline_stream* stream = nullptr;
  bool must_close = false;
};
thread_local connection_context current;

std::string raw_response(const api_response& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + status_title(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [k, v] : r.headers)
    if (k != "Connection") out += k + ": " + v + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out + r.body;
}

}  // namespace

// The threads that serve requests: created on demand up to MAX_ACTIVE_REQUESTS, fed by the
// poller with connections whose request head is complete.
class worker_pool {
 public:
  worker_pool(size_t max, std::function<void(ready_connection)> serve)
      : max_(max), serve_(std::move(serve)) {}

  void push(ready_connection c) {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(std::move(c));
    if (ready_.size() > idle_ && threads_.size() < max_)
      threads_.emplace_back([this] { work(); });
    else
      wake_.notify_one();
  }
  // Whether connections wait for a thread now (a worker with a quiet connection lets it go).
  bool others_waiting() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ready_.size() > idle_;
  }
  // Serves what is queued, then joins every thread; nothing may be pushed from now on.
  void finish() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& t : threads) t.join();
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      ++idle_;
      wake_.wait(lock, [&] { return !ready_.empty() || done_; });
      --idle_;
      if (ready_.empty()) return;
      ready_connection c = std::move(ready_.front());
      ready_.pop_front();
      lock.unlock();
      serve_(std::move(c));
      lock.lock();
    }
  }

  size_t max_;
  std::function<void(ready_connection)> serve_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<ready_connection> ready_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool done_ = false;
};

class frontend : public httplib::Server {
 public:
  frontend(const api& a, const settings& s, server_options o)
      : app(a),
        cfg(s),
        options(o),
        workers_(static_cast<size_t>(s.max_active_requests),
                 [this](ready_connection c) { serve_connection(std::move(c)); }) {}

  // The listening socket is bound: from here on stop() reaches the poller.
  void start_polling() {
    ::listen(svr_sock_, options.backlog);  // cpp-httplib 0.11 hard-codes a backlog of 5
    poller_options po;
    po.max_connections = static_cast<size_t>(cfg.max_connections);
    po.header_timeout = options.header_timeout;
    po.keepalive = std::chrono::seconds(cfg.keepalive);
    po.admission_wait = options.admission_wait;
    po.max_head_bytes = max_head_bytes;
    po.accept_paused = [this] { app.meters().http_accept_paused_total.Increment(); };
    poller_ = std::make_unique<poller>(
        svr_sock_, po, [this](ready_connection c) { workers_.push(std::move(c)); },
        [this](int status) { return rejection(status); });
  }

  void run() {
    poller_->run();
    workers_.finish();
    poller_->close_returned();
    ::close(svr_sock_.exchange(INVALID_SOCKET));
  }

  void stop_serving() {
    stopping_ = true;
    if (poller_) poller_->stop();
  }

  const api& app;
  const settings& cfg;
  server_options options;

 private:
  std::string rejection(int status) const {
    api_request req;
    if (status == 408) {
      return raw_response(app.reject(408, req,
                                     "The request head did not arrive within " +
                                         std::to_string(options.header_timeout.count()) + " ms."));
    }
    api_response r = app.reject(503, req, "The server is at MAX_CONNECTIONS; retry shortly.");
    r.headers.emplace_back("Retry-After", "1");
    return raw_response(r);
  }

  enum class next { serve, hand_back, close };

  // After an answer: serve the next request if its head has arrived or arrives soon; hand the
  // connection back to the poller if it goes quiet (or others wait for a thread); close it if the
  // peer did.
  next after_answer(deadline_stream& strm) {
    auto until = clock::now() + linger;
    // A whole head, or more bytes than a head may have (which the parser refuses).
    auto request_ready = [&] {
      return head_complete(strm.pending(), 0) || strm.pending().size() > max_head_bytes;
    };
    while (true) {
      if (request_ready()) return next::serve;
      if (stopping_) return next::close;
      // Bytes that arrived already are taken at once; they are waited for only while no other
      // connection waits for a thread.
      bool hurry = clock::now() >= until || workers_.others_waiting();
      if (!wait_for(strm.socket(), POLLIN, hurry ? 0 : millis_until(until))) return next::hand_back;
      if (!strm.read_arrived()) return next::close;
    }
  }

  void serve_connection(ready_connection c) {
    int sock = c.fd;
    deadline_stream strm(sock, std::move(c.buffered));
    current = connection_context{&strm, false};
    next then = next::close;
    do {
      strm.start_request(clock::now() + options.header_timeout);
      bool closed = false;
      bool close_after = cfg.keepalive == 0 || stopping_;
      // The API serves no ranges: cpp-httplib would cut a Range out of any 200 it answers.
      bool ok = process_request(strm, close_after, closed,
                                [](httplib::Request& req) { req.ranges.clear(); });
      ok = strm.flush() && ok;  // a response without a body (204, HEAD) is only held so far
      then = !ok || closed || close_after || current.must_close ? next::close : after_answer(strm);
    } while (then == next::serve);
    bool linger_close = current.must_close;
    current = connection_context{};
    if (then == next::hand_back) {
      poller_->give_back({sock, strm.take_pending()}, clock::now() + options.header_timeout);
    } else if (linger_close) {
      poller_->close_after_answer(sock);  // the peer reads our answer before the close
    } else {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
      poller_->closed();
    }
  }

  std::atomic<bool> stopping_{false};
  worker_pool workers_;
  std::unique_ptr<poller> poller_;
};

namespace {

void apply(const api_response& r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  if (r.stream) {
    // Chunked: each chunk is produced as the client reads, never the whole body in memory.
    auto stream = r.stream;
    res.set_chunked_content_provider(r.content_type, [stream](size_t, httplib::DataSink& sink) {
      std::string chunk;
      stream_step step = stream(chunk);
      if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
      // Failed: no final chunk, so the client sees the body cut short.
      if (step == stream_step::failed) return false;
      if (step == stream_step::last) sink.done();
      return true;
    });
  } else if (!r.body.empty()) {
    res.set_content(r.body, r.content_type);
  }
  if (r.close_connection) {
    res.set_header("Connection", "close");
    current.must_close = true;
  }
}

// Every request that cpp-httplib parsed comes here, before its routing could read (or not
// read) a body: the head is checked as received, the body framed by our own rules and read only
// if the route asks for it. A body left unread closes the connection after the response, so its
// bytes can never be taken for the next request.
httplib::Server::HandlerResponse serve_request(frontend& svr, const httplib::Request& req,
                                               httplib::Response& res) {
  deadline_stream& strm = *current.stream;
  // The head arrived; the body may take the rest of the request's time.
  auto body_deadline = clock::now() + std::chrono::seconds(svr.cfg.request_timeout);
  byte_source body = [&strm, body_deadline](const std::function<size_t(std::string_view)>& take) {
    strm.arm(body_deadline);
    return strm.consume(take);
  };
  api_response answer = answer_framed(svr.app, from_httplib(req), strm.head(), body);
  // Not a stream's head: scan events may wait long for their first chunk.
  if (!answer.stream) strm.hold_response_head();
  apply(answer, res);
  return httplib::Server::HandlerResponse::Handled;
}

// What went wrong when cpp-httplib refused a request before routing it.
std::string frontend_detail(int status) {
  switch (status) {
    case 400:
      return "The request line or a header line is malformed.";
    case 414:
      return "The request line is longer than 8192 bytes.";
    case 416:
      return "The Range header is malformed (this API serves no ranges).";
    default:
      return std::string(status_title(status)) + '.';
  }
}

// Errors cpp-httplib detects itself (malformed request line, oversized headers...) and
// exceptions become the API's problem+json.
void answer_errors_as_problems(frontend& svr) {
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [&svr](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours
        api_request ar = from_httplib(req);
        apply(svr.app.reject(res.status, ar, frontend_detail(res.status)), res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_exception_handler(
      [&svr](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        api_request ar = from_httplib(req);
        apply(svr.app.reject(500, ar, "An internal error occurred."), res);
      });
}

}  // namespace

struct server::impl {
  frontend svr;
  int port = 0;
  impl(const api& a, const settings& s, server_options o) : svr(a, s, o) {}
};

server::server(const api& a, const settings& s, server_options o)
    : impl_(std::make_unique<impl>(a, s, o)) {
  auto& svr = impl_->svr;
  // Only advertised in the Keep-Alive header: the connection loop in frontend enforces both.
  svr.set_keep_alive_timeout(s.keepalive);
  svr.set_keep_alive_max_count(s.keepalive == 0 ? 1 : 1000000);
  svr.set_pre_routing_handler(httplib::Server::HandlerWithResponse(
      [&svr](const httplib::Request& req, httplib::Response& res) {
        return serve_request(svr, req, res);
      }));
  // cpp-httplib adds Keep-Alive unless it chose to close itself, and its own Connection: close
  // when the client asked for one: a response that closes says Connection: close, once.
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.get_header_value("Connection") != "close") return;
    res.headers.erase("Keep-Alive");
    res.headers.erase("Connection");
    res.set_header("Connection", "close");
  });
  answer_errors_as_problems(svr);
}

server::~server() = default;

int server::bind() {
  auto& svr = impl_->svr;
  const auto& s = svr.cfg;
  int port = static_cast<int>(s.server_port);
  if (port == 0) {
    port = svr.bind_to_any_port(s.server_host);
    if (port < 0) port = 0;
  } else if (!svr.bind_to_port(s.server_host, port)) {
    port = 0;
  }
  if (port == 0)
    throw std::runtime_error("cannot listen on " + s.server_host + ":" +
                             std::to_string(s.server_port));
  svr.start_polling();
  impl_->port = port;
  return port;
}

void server::serve() {
  impl_->svr.run();
}

void server::stop() {
  impl_->svr.app.drain();
  impl_->svr.stop_serving();
}

}  // namespace vutf::http
