#include "outbound/http_caller.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "domain/target.hpp"

namespace vutf {
namespace {

using clock = std::chrono::steady_clock;

// Shuts down the sockets of calls whose total deadline passed, from a thread of its own:
// cpp-httplib's timeouts are per read (and a TLS record is read with blocking reads), so a peer
// trickling one byte at a time would otherwise hold a call forever. It watches dup()s of the
// sockets: a descriptor it shuts down stays its own until the call ends, so it never touches a
// descriptor number the library closed and someone else reused.
class call_watchdog {
 public:
  static call_watchdog& instance() {
    static call_watchdog w;
    return w;
  }

  uint64_t arm(clock::time_point deadline) {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t ticket = next_++;
    watches_[ticket].deadline = deadline;
    changed_.notify_one();
    return ticket;
  }

  // Adds a socket of the call (a new connection, or the kept-alive one it reuses).
  void watch(uint64_t ticket, int fd) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = watches_.find(ticket);
    if (it == watches_.end() || fd < 0) return;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return;
    it->second.fds.push_back(copy);
    if (it->second.fired) shutdown(copy, SHUT_RDWR);
  }

  // Ends the watch; returns whether the deadline passed and the sockets were shut down.
  bool disarm(uint64_t ticket) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = watches_.find(ticket);
    if (it == watches_.end()) return false;
    bool fired = it->second.fired;
    for (int fd : it->second.fds) close(fd);
    watches_.erase(it);
    return fired;
  }

  ~call_watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }

 private:
  struct watch_entry {
    clock::time_point deadline;
    std::vector<int> fds;
    bool fired = false;
  };

  call_watchdog() : thread_([this] { loop(); }) {}

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      auto now = clock::now();
      auto next = clock::time_point::max();
      for (auto& [ticket, w] : watches_) {
        if (w.fired) continue;
        if (w.deadline <= now) {
          w.fired = true;
          for (int fd : w.fds) shutdown(fd, SHUT_RDWR);
        } else {
          next = std::min(next, w.deadline);
        }
      }
      if (next == clock::time_point::max()) {
        changed_.wait(lock);
      } else {
        changed_.wait_until(lock, next);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, watch_entry> watches_;
  uint64_t next_ = 1;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest exists
};

std::string transport_error(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "could not connect";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting";
    case httplib::Error::Read:
      return "no complete response in time (read failed or timed out)";
    case httplib::Error::Write:
      return "could not send the request";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate could not be verified";
    case httplib::Error::Canceled:
      return "the response was larger than 1 MiB";
    default:
      return "transport error (" + httplib::to_string(e) + ")";
  }
}

outbound_reply refused(std::string error) {
  outbound_reply r;
  r.refused = true;
  r.error = std::move(error);
  return r;
}

// What one name lookup found, shared by the caller and the thread that asks the resolver.
struct lookup_state {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  int rc = 0;
  std::vector<ip_address> found;
};

std::vector<ip_address> addresses_in(const addrinfo* list) {
  std::vector<ip_address> out;
  for (const addrinfo* a = list; a; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = nullptr;
    if (a->ai_family == AF_INET) raw = &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
    if (a->ai_family == AF_INET6)
      raw = &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
    // Through parse_ip, so an IPv4-mapped answer is the IPv4 address it is, as everywhere.
    if (raw && inet_ntop(a->ai_family, raw, text, sizeof text))
      if (auto ip = parse_ip(text)) out.push_back(*ip);
  }
  return out;
}

// The addresses `host` resolves to (a literal is its own), looked up within `deadline`; empty
// with `error` set when none. getaddrinfo has no timeout of its own (the resolver's is 5 s per
// server and attempt), so it runs on a detached thread of its own and the call waits for it only
// until its deadline; a lookup given up on ends, and frees what it found, when the resolver does.
// (Not getaddrinfo_a: its glibc-internal threads are invisible to ThreadSanitizer, which then
// crashes.)
std::vector<ip_address> resolve(const url& u, clock::time_point deadline, std::string& error) {
  if (auto literal = parse_ip(u.host)) return {*literal};
  auto state = std::make_shared<lookup_state>();
  std::thread([state, host = u.host] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    std::vector<ip_address> found = rc == 0 ? addresses_in(list) : std::vector<ip_address>();
    if (list) freeaddrinfo(list);
    std::lock_guard<std::mutex> lock(state->mutex);
    state->rc = rc;
    state->found = std::move(found);
    state->done = true;
    state->finished.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(state->mutex);
  if (!state->finished.wait_until(lock, deadline, [&] { return state->done; })) {
    error = "could not resolve " + u.host + " before the call's deadline";
    return {};
  }
  if (state->rc != 0) {
    error = "could not resolve " + u.host + " (" + gai_strerror(state->rc) + ")";
    return {};
  }
  if (state->found.empty()) error = "could not resolve " + u.host;
  return std::move(state->found);
}

std::string blocked(const url& u, const ip_address& a, const std::string& why) {
  std::string subject = u.host == a.text() ? "" : u.host + " resolves to " + a.text() + ": ";
  return std::string(outbound_blocked) + ": " + subject + why;
}

struct route {
  const proxy_route* proxy = nullptr;
  std::string address;  // the checked address to connect to (direct calls)
};

// Where a call to `u` connects, or the reply that refuses it: directly, to the first address
// the policy allows (IPv4 first); through a proxy, which resolves names itself, after refusing
// a literal or locally resolved address the policy refuses.
std::variant<route, outbound_reply> route_for(const url& u, const egress& e,
                                              clock::time_point deadline) {
  route r;
  r.proxy = e.proxy_for(u);
  std::string error;
  std::vector<ip_address> addresses = resolve(u, deadline, error);
  if (r.proxy) {
    for (const auto& a : addresses)
      if (std::string why = e.policy.refusal(a); !why.empty()) return refused(blocked(u, a, why));
    return r;
  }
  if (addresses.empty()) {
    outbound_reply failed;
    failed.error = error;
    return failed;
  }
  const ip_address* pick = nullptr;
  for (bool v4 : {true, false})
    for (const auto& a : addresses)
      if (!pick && a.v6 != v4 && e.policy.refusal(a).empty()) pick = &a;
  if (!pick) return refused(blocked(u, addresses.front(), e.policy.refusal(addresses.front())));
  r.address = pick->text();
  return r;
}

}  // namespace

struct http_caller::client_slot {
  std::unique_ptr<httplib::ClientImpl> client;
  uint64_t ticket = 0;         // the call in flight's watch, for sockets opened during it
  clock::time_point answered;  // when its last call was answered
};

namespace {

// The watchdog's watch over one call, its ticket kept in `ticket` (where the socket options
// hook of the call's client finds it) and ended on every path out of the call.
class watch_scope {
 public:
  watch_scope(uint64_t& ticket, clock::time_point deadline) : ticket_(ticket) {
    ticket_ = call_watchdog::instance().arm(deadline);
  }
  ~watch_scope() { end(); }
  watch_scope(const watch_scope&) = delete;
  watch_scope& operator=(const watch_scope&) = delete;
  // Whether the deadline passed and the call's sockets were shut down. After the first call
  // `ticket` is never touched again: the slot that holds it may be gone by then.
  bool end() {
    if (!ended_) {
      ended_ = true;
      fired_ = call_watchdog::instance().disarm(ticket_);
      ticket_ = 0;
    }
    return fired_;
  }

 private:
  uint64_t& ticket_;
  bool ended_ = false;
  bool fired_ = false;
};

}  // namespace

http_caller::http_caller(egress e, std::chrono::milliseconds kept_idle)
    : egress_(std::move(e)), kept_idle_(kept_idle) {}
http_caller::~http_caller() = default;

outbound_reply http_caller::send(const outbound_call& call) {
  auto start = clock::now();
  auto deadline = start + call.timeout;
  auto finish = [&](outbound_reply r) {
    r.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return r;
  };
  try {
    if (std::string problem = http_url_problem(call.url); !problem.empty())
      return finish(refused("the URL cannot be called: it " + problem));
    auto u = parse_url(call.url);
    auto routed = route_for(*u, egress_, deadline);
    if (auto* no = std::get_if<outbound_reply>(&routed)) return finish(std::move(*no));
    const route& to = std::get<route>(routed);
    int port = u->effective_port();

    std::string key = u->scheme + "://" + u->host_text() + ":" + std::to_string(port) + "|" +
                      (to.proxy ? to.proxy->shown : to.address);
    if (clients_.size() >= 16 && !clients_.count(key)) clients_.clear();  // few per worker
    if (auto kept = clients_.find(key);
        kept != clients_.end() && clock::now() - kept->second->answered > kept_idle_)
      clients_.erase(kept);  // its connection has been idle too long to trust (see the header)
    auto& slot = clients_[key];
    if (!slot) {
      slot = std::make_unique<client_slot>();
      if (u->scheme == "https") {
        slot->client = std::make_unique<httplib::SSLClient>(u->host, port);
      } else {
        slot->client = std::make_unique<httplib::ClientImpl>(u->host, port);
      }
      auto& c = *slot->client;
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_follow_location(false);
      c.set_url_encode(false);  // the parser checked every character of the path already
      if (to.proxy) {
        c.set_proxy(to.proxy->host, to.proxy->port);
        if (!to.proxy->username.empty())
          c.set_proxy_basic_auth(to.proxy->username, to.proxy->password);
      } else {
        c.set_hostname_addr_map({{u->host, to.address}});  // connect to the checked address only
      }
      client_slot* raw = slot.get();
      c.set_socket_options(
          [raw](socket_t fd) { call_watchdog::instance().watch(raw->ticket, fd); });
    }
    auto& c = *slot->client;
    auto left =
        std::max(std::chrono::duration_cast<std::chrono::microseconds>(deadline - clock::now()),
                 std::chrono::microseconds(1000));
    time_t sec = left.count() / 1000000;
    time_t usec = left.count() % 1000000;
    c.set_connection_timeout(sec, usec);
    c.set_read_timeout(sec, usec);
    c.set_write_timeout(sec, usec);

    httplib::Request req;
    req.method = "POST";
    // Through a proxy cpp-httplib itself names a plain http request's target in absolute form.
    req.path = u->request_target();
    for (const auto& [name, v] : call.headers)
      if (header_problem(name, v).empty()) req.headers.emplace(name, v);  // stored before the rules
    bool default_port =
        (u->scheme == "http" && port == 80) || (u->scheme == "https" && port == 443);
    req.set_header("Host",
                   default_port ? u->host_text() : u->host_text() + ":" + std::to_string(port));
    req.set_header("User-Agent", "violentutf-api");
    req.set_header("Accept", "application/json");
    req.set_header("Content-Type", "application/json");
    req.body = call.body;
    std::string body;
    bool too_large = false;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (body.size() + n > max_reply_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return clock::now() < deadline;
    };

    watch_scope watch(slot->ticket, deadline);
    if (c.is_socket_open()) call_watchdog::instance().watch(slot->ticket, c.socket());
    httplib::Result res = c.send(req);
    bool late = watch.end() || clock::now() >= deadline;

    outbound_reply out;
    if (!res) {
      out.error = too_large ? transport_error(httplib::Error::Canceled)
                  : late    ? "no complete response in time (the call's " +
                               std::to_string(call.timeout.count()) + " s deadline passed)"
                         : transport_error(res.error());
      clients_.erase(key);  // the connection is in an unknown state: open a new one next time
      return finish(std::move(out));
    }
    slot->answered = clock::now();
    out.status = res->status;
    out.body = std::move(body);
    if (res->has_header("Retry-After")) {
      std::string v = res->get_header_value("Retry-After");
      if (!v.empty() && v.size() < 6 && v.find_first_not_of("0123456789") == std::string::npos)
        out.retry_after_s = std::stoll(v);
    }
    if (!out.answered_2xx()) out.error = "the endpoint answered HTTP " + std::to_string(out.status);
    return finish(std::move(out));
  } catch (const std::exception& e) {
    clients_.clear();
    outbound_reply failed;
    failed.error = std::string("the call failed (") + e.what() + ")";
    return finish(std::move(failed));
  }
}

std::string url_origin(const std::string& url) {
  auto u = parse_url(url);
  return u && u->has_authority ? u->origin() : "";
}

}  // namespace vutf
