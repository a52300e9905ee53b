#include "http/server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <condition_variable>

#include "config/log.hpp"
#include "http/framing.hpp"
#include "http/from_httplib.hpp"
#include "http/problem.hpp"

namespace vutf::http {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto idle_slice = std::chrono::milliseconds(100);
constexpr auto write_timeout = std::chrono::seconds(10);

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

// A buffered socket stream whose reads fail once the current request's deadline has passed.
// What cpp-httplib reads through read() is the request head; it is kept, so the head can be
// checked as it came over the wire. Bodies are read with consume(), by the framing rules.
class deadline_stream : public httplib::Stream {
 public:
  explicit deadline_stream(int sock) : sock_(sock) {}

  // A new request starts: its head must arrive by `deadline`.
  void start_request(clock::time_point deadline) {
    deadline_ = deadline;
    head_.clear();
  }
  void arm(clock::time_point deadline) { deadline_ = deadline; }
  bool buffered() const { return pos_ < len_; }
  // The bytes cpp-httplib read since start_request(), up to max_head_bytes + 1 of them.
  std::string_view head() const { return head_; }

  // Shows `take` the buffered bytes (waiting for more when there are none) and consumes as many
  // as it returns; false when nothing arrived before the deadline or the peer closed.
  template <class Take>
  bool consume(Take take) {
    if (!buffered() && !fill()) return false;
    pos_ += take(std::string_view(buf_ + pos_, len_ - pos_));
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
    size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    if (head_.size() <= max_head_bytes)
      head_.append(ptr, std::min(n, max_head_bytes + 1 - head_.size()));
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    size_t done = 0;
    while (done < size) {
      if (!is_writable()) return -1;
      ssize_t n = ::send(sock_, ptr + done, size - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      describe(addr, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      describe(addr, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  // Refills the empty buffer; false on the deadline, an error or the peer's close.
  bool fill() {
    if (!wait_for(sock_, POLLIN, millis_until(deadline_))) return false;
    ssize_t n;
    do {
      n = ::recv(sock_, buf_, sizeof buf_, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    pos_ = 0;
    len_ = static_cast<size_t>(n);
    return true;
  }

  static void describe(const sockaddr_storage& addr, std::string& ip, int& port) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
      inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
      port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
      inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
      port = ntohs(a.sin6_port);
    }
    ip = buf;
  }

  int sock_;
  char buf_[16384];
  size_t pos_ = 0;
  size_t len_ = 0;
  clock::time_point deadline_ = clock::now();
  std::string head_;
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

// Closes after the peer has had the chance to read our answer: closing with unread request
// bytes would make the kernel send RST and the client could lose the response.
void close_gracefully(int sock) {
  ::shutdown(sock, SHUT_WR);
  char sink[16384];
  size_t drained = 0;
  auto until = clock::now() + std::chrono::seconds(1);
  while (drained < (1u << 20) && wait_for(sock, POLLIN, millis_until(until))) {
    ssize_t n = ::recv(sock, sink, sizeof sink, 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  ::close(sock);
}

}  // namespace

class frontend : public httplib::Server {
 public:
  frontend(const api& a, const settings& s, server_options o) : app(a), cfg(s), options(o) {}

  void stop_serving() {
    stopping_ = true;
    admission_.notify_all();
    stop();
  }
  void relisten() { ::listen(svr_sock_, options.backlog); }

  const api& app;
  const settings& cfg;
  server_options options;

 private:
  bool admit() {
    std::unique_lock<std::mutex> lock(admission_mutex_);
    bool ok = admission_.wait_for(lock, options.admission_wait, [&] {
      return stopping_ || active_ < static_cast<size_t>(cfg.max_connections);
    });
    if (!ok || stopping_) return false;
    ++active_;
    return true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(admission_mutex_);
      --active_;
    }
    admission_.notify_one();
  }

  // Waits for the first byte of the next request, in slices so that stopping closes idle
  // keep-alive connections at once.
  bool wait_request(deadline_stream& s, std::chrono::milliseconds limit) {
    if (s.buffered()) return true;
    auto until = clock::now() + limit;
    while (!stopping_) {
      int slice = std::min(millis_until(until), static_cast<int>(idle_slice.count()));
      if (wait_for(s.socket(), POLLIN, slice)) return true;
      if (clock::now() >= until) return false;
    }
    return false;
  }

  bool process_and_close_socket(socket_t sock) override {
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!admit()) {
      api_request req;
      api_response r = app.reject(503, req, "The server is at MAX_CONNECTIONS; retry shortly.");
      r.headers.emplace_back("Retry-After", "1");
      std::string raw = raw_response(r);
      deadline_stream s(sock);
      s.write(raw.data(), raw.size());
      close_gracefully(sock);
      return true;
    }
    deadline_stream strm(sock);
    current = connection_context{&strm, false};
    auto keepalive = std::chrono::seconds(cfg.keepalive);
    bool first = true;
    while (!stopping_) {
      if (!wait_request(strm, first ? options.header_timeout : keepalive)) break;
      first = false;
      strm.start_request(clock::now() + options.header_timeout);
      bool closed = false;
      bool close_after = cfg.keepalive == 0 || stopping_;
      // The API serves no ranges: cpp-httplib would cut a Range out of any 200 it answers.
      bool ok = process_request(strm, close_after, closed,
                                [](httplib::Request& req) { req.ranges.clear(); });
      if (!ok || closed || close_after || current.must_close) break;
    }
    bool linger = current.must_close;
    current = connection_context{};
    if (linger) {
      close_gracefully(sock);
    } else {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
    }
    release();
    return true;
  }

  std::atomic<bool> stopping_{false};
  std::mutex admission_mutex_;
  std::condition_variable admission_;
  size_t active_ = 0;
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
  apply(answer_framed(svr.app, from_httplib(req), strm.head(), body), res);
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
  size_t threads = static_cast<size_t>(s.max_connections) + 16;  // + room to answer 503s
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_tcp_nodelay(true);
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
  svr.relisten();  // cpp-httplib 0.11 hard-codes a backlog of 5
  impl_->port = port;
  return port;
}

void server::serve() {
  impl_->svr.listen_after_bind();
}

void server::stop() {
  impl_->svr.app.drain();
  impl_->svr.stop_serving();
}

}  // namespace vutf::http
