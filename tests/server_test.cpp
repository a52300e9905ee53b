// The socket frontend: limits, slow clients, admission, keep-alive — over real loopback sockets.
#include "http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using namespace std::chrono_literals;

// A plain TCP client, so tests control exactly which bytes go out and when.
class raw_client {
 public:
  explicit raw_client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~raw_client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }

  // Reads one response (head and Content-Length body); "" if none arrives within `limit`.
  std::string response(std::chrono::milliseconds limit = 5s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (true) {
      size_t head = buf_.find("\r\n\r\n");
      if (head != std::string::npos) {
        size_t cl = buf_.find("Content-Length: ");
        size_t len = cl != std::string::npos && cl < head ? std::stoul(buf_.substr(cl + 16)) : 0;
        if (buf_.size() >= head + 4 + len) {
          std::string r = buf_.substr(0, head + 4 + len);
          buf_.erase(0, head + 4 + len);
          return r;
        }
      }
      if (!fill(until)) return "";
    }
  }

  // True once the server has closed the connection (within `limit`).
  bool closed_by_server(std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (!fill(until)) return eof_;
    }
    return eof_;
  }

 private:
  bool fill(std::chrono::steady_clock::time_point until) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  until - std::chrono::steady_clock::now())
                  .count();
    pollfd p{fd_, POLLIN, 0};
    if (ms <= 0 || ::poll(&p, 1, static_cast<int>(ms)) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

int status_of(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

std::string body_of(const std::string& response) {
  size_t head = response.find("\r\n\r\n");
  return head == std::string::npos ? "" : response.substr(head + 4);
}

class server_test : public ::testing::Test {
 protected:
  void start(const env_map& overrides, http::server_options opt = {}) {
    log::configure("error", "json");
    char tmpl[] = "/tmp/vutf-server.XXXXXX";
    dir_ = mkdtemp(tmpl);
    env_map env = {{"DATABASE_URL", "sqlite:///" + dir_ + "/app.db"}, {"SERVER_PORT", "0"}};
    for (const auto& [k, v] : overrides) env[k] = v;
    cfg_ = test::make_settings(env);
    svc_ = std::make_unique<service>(cfg_, metrics_);
    api_ = std::make_unique<http::api>(*svc_, *metrics_, cfg_);
    server_ = std::make_unique<http::server>(*api_, cfg_, opt);
    port_ = server_->bind();
    svc_->ask(user_register{"tester", "tester@example.com", "passw0rd-t", std::nullopt,
                            svc_->deadline()});
    token_ = svc_->ask(user_login{"tester", "passw0rd-t", {}, svc_->deadline()}).value.access_token;
    serving_ = std::thread([this] { server_->serve(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (serving_.joinable()) serving_.join();
    server_.reset();
    api_.reset();
    svc_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }
  // What one connection gets back for `bytes`: every response until the server closes it or
  // nothing more comes.
  struct exchanged {
    std::vector<std::string> responses;
    bool closed;
  };
  exchanged exchange(const std::string& bytes) {
    raw_client c(port_);
    c.send(bytes);
    exchanged out{{}, false};
    for (std::string r = c.response(); !r.empty(); r = c.response(2s)) out.responses.push_back(r);
    out.closed = c.closed_by_server(2s);
    return out;
  }
  std::string get_live() {
    raw_client c(port_);
    c.send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return c.response();
  }

  std::string dir_;
  settings cfg_;
  std::shared_ptr<metrics> metrics_ = std::make_shared<metrics>();
  std::unique_ptr<service> svc_;
  std::unique_ptr<http::api> api_;
  std::unique_ptr<http::server> server_;
  std::thread serving_;
  int port_ = 0;
  std::string token_;
};

TEST_F(server_test, sized_bodies_over_the_limit_get_413_before_the_body_is_sent) {
  start({{"MAX_REQUEST_SIZE", "1024"}});
  raw_client c(port_);
  c.send(
      "POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 5000000\r\n\r\n");
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_NE(r.find("Content-Type: application/problem+json"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(body_of(r))["error_code"], "PAYLOAD_TOO_LARGE");
  EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(server_test, chunked_bodies_over_the_limit_get_413) {
  start({{"MAX_REQUEST_SIZE", "1024"}});
  raw_client c(port_);
  c.send(
      "POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  std::string chunk(600, 'a');
  for (int i = 0; i < 4; ++i) c.send("258\r\n" + chunk + "\r\n");  // 0x258 = 600
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(server_test, a_chunked_body_within_the_limit_is_accepted) {
  start({{"MAX_REQUEST_SIZE", "1024"}});
  raw_client c(port_);
  std::string body = R"({"name":"chunky","kind":"openai-chat","endpoint_url":"http://a.test/x"})";
  char size[16];
  snprintf(size, sizeof size, "%zx", body.size());
  c.send(
      "POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer " +
      token_ + "\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) + "\r\n" + body +
      "\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(c.response()), 201);
}

TEST_F(server_test, slow_clients_are_cut_off_and_do_not_starve_others) {
  http::server_options opt;
  opt.header_timeout = 1s;
  start({{"MAX_CONNECTIONS", "8"}}, opt);
  // Six clients trickle a request head one byte every 200 ms: it would take them ~8 s.
  std::vector<std::unique_ptr<raw_client>> slow;
  for (int i = 0; i < 6; ++i) slow.push_back(std::make_unique<raw_client>(port_));
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string head = "GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t i = 0; i < head.size() && !stop; ++i) {
      for (auto& c : slow) c->send(head.substr(i, 1));
      std::this_thread::sleep_for(200ms);
    }
  });
  for (int i = 0; i < 10; ++i) EXPECT_EQ(status_of(get_live()), 200) << "request " << i;
  for (auto& c : slow) EXPECT_TRUE(c->closed_by_server(3s));
  stop = true;
  trickle.join();
}

TEST_F(server_test, connections_beyond_max_connections_get_503_then_recover) {
  http::server_options opt;
  opt.admission_wait = 200ms;
  start({{"MAX_CONNECTIONS", "8"}}, opt);
  std::vector<std::unique_ptr<raw_client>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<raw_client>(port_));
    idle.back()->send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(status_of(idle.back()->response()), 200);  // admitted; now idle in keep-alive
  }
  std::string r = get_live();
  EXPECT_EQ(status_of(r), 503) << r;
  EXPECT_NE(r.find("Retry-After: 1"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(body_of(r))["error_code"], "TOO_MANY_CONNECTIONS");
  idle.clear();
  EXPECT_TRUE(test::eventually([&] { return status_of(get_live()) == 200; }));
}

// The poller holds connections that are idle or still sending their head: with four request
// threads, forty unfinished heads and twenty idle keep-alive connections leave fresh requests
// their threads.
TEST_F(server_test, unfinished_heads_and_idle_connections_hold_no_request_thread) {
  start({{"MAX_CONNECTIONS", "100"}, {"MAX_ACTIVE_REQUESTS", "4"}});
  std::vector<std::unique_ptr<raw_client>> held;
  for (int i = 0; i < 40; ++i) {
    held.push_back(std::make_unique<raw_client>(port_));
    held.back()->send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n");  // no empty line yet
  }
  for (int i = 0; i < 20; ++i) {
    held.push_back(std::make_unique<raw_client>(port_));
    held.back()->send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(status_of(held.back()->response()), 200);  // now idle in keep-alive
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(status_of(get_live()), 200) << "request " << i;
  // The unfinished heads are still served once they end.
  for (int i = 0; i < 40; ++i) {
    held[i]->send("\r\n");
    EXPECT_EQ(status_of(held[i]->response()), 200) << "held " << i;
  }
}

// Twelve keep-alive connections take turns on four request threads: a worker hands a quiet
// connection back to the poller, so none waits for another to close.
TEST_F(server_test, more_keepalive_connections_than_request_threads_are_all_served) {
  start({{"MAX_ACTIVE_REQUESTS", "4"}, {"KEEPALIVE", "30"}});
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 12; ++i) clients.push_back(std::make_unique<raw_client>(port_));
  for (int round = 0; round < 3; ++round) {
    for (auto& c : clients) c->send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n");
    for (size_t i = 0; i < clients.size(); ++i)
      EXPECT_EQ(status_of(clients[i]->response()), 200) << "round " << round << " client " << i;
  }
}

TEST_F(server_test, a_head_that_misses_its_deadline_gets_408_and_the_connection_closes) {
  http::server_options opt;
  opt.header_timeout = 300ms;
  start({}, opt);
  raw_client c(port_);
  c.send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n");
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 408) << r;
  EXPECT_NE(r.find("application/problem+json"), std::string::npos);
  auto problem = nlohmann::json::parse(body_of(r));
  EXPECT_EQ(problem["error_code"], "HEADER_TIMEOUT");
  EXPECT_EQ(problem["status"], 408);
  EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(server_test, pipelined_requests_are_answered_in_order) {
  start({});
  std::string bytes;
  for (int i = 0; i < 5; ++i)
    bytes += "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nX-Request-ID: r" + std::to_string(i) +
             (i == 4 ? "\r\nConnection: close" : "") + "\r\n\r\n";
  auto got = exchange(bytes);
  ASSERT_EQ(got.responses.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_NE(got.responses[i].find("X-Request-ID: r" + std::to_string(i)), std::string::npos)
        << got.responses[i];
}

// A response's head waits for its body, to leave in one send; one without a body (204) must not
// wait for the next request's answer.
TEST_F(server_test, a_response_without_a_body_goes_out_at_once_and_keeps_the_connection) {
  start({});
  raw_client c(port_);
  ASSERT_TRUE(c.send("POST /api/v1/auth/logout HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     token_ + "\r\nContent-Length: 0\r\n\r\n"));
  std::string logout = c.response();
  EXPECT_EQ(status_of(logout), 204) << logout;
  ASSERT_TRUE(c.send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string live = c.response();
  EXPECT_EQ(status_of(live), 200) << live;
  EXPECT_NE(body_of(live).find("alive"), std::string::npos) << live;
}

TEST_F(server_test, keepalive_zero_closes_after_each_response) {
  start({{"KEEPALIVE", "0"}});
  raw_client c(port_);
  c.send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(server_test, idle_keepalive_connections_close_after_keepalive_seconds) {
  start({{"KEEPALIVE", "1"}});
  raw_client c(port_);
  for (int i = 0; i < 3; ++i) {  // several requests share the connection
    c.send("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_of(c.response()), 200);
  }
  auto idle_from = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_server(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - idle_from, 900ms);
}

TEST_F(server_test, malformed_requests_get_problem_json) {
  start({});
  raw_client c(port_);
  c.send("NOT A REQUEST\r\n\r\n");
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_NE(r.find("application/problem+json"), std::string::npos);
  EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos);
}

TEST_F(server_test, no_server_banner_and_gzip_on_the_wire) {
  start({{"GZIP_MIN_SIZE", "0"}});
  raw_client c(port_);
  c.send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
  std::string r = c.response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_EQ(r.find("\r\nServer:"), std::string::npos);
  EXPECT_EQ(body_of(r).substr(0, 2), std::string("\x1f\x8b"));
}

// A request hidden in a body: answered on its own, it would show its X-Request-ID.
const std::string smuggled =
    "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nX-Request-ID: smuggled\r\n\r\n";

std::string with_length(const std::string& head, const std::string& body) {
  return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string chunked(const std::string& head, const std::string& body,
                    const std::string& coding = "chunked", const std::string& trailers = "") {
  char size[16];
  snprintf(size, sizeof size, "%zx", body.size());
  return head + "Transfer-Encoding: " + coding + "\r\n\r\n" + size + "\r\n" + body + "\r\n0\r\n" +
         trailers + "\r\n";
}

TEST_F(server_test, a_body_the_route_does_not_read_closes_the_connection) {
  start({{"MAX_REQUEST_SIZE", "1024"}});
  const std::string json = "Content-Type: application/json\r\n";
  struct sent {
    const char* what;
    std::string bytes;
    int status;
  };
  for (const auto& [what, bytes, status] : std::vector<sent>{
           {"404", with_length("POST /api/v1/nowhere HTTP/1.1\r\nHost: x\r\n", smuggled), 404},
           {"405", with_length("PUT /api/v1/live HTTP/1.1\r\nHost: x\r\n", smuggled), 405},
           {"OPTIONS", with_length("OPTIONS /api/v1/targets HTTP/1.1\r\nHost: x\r\n", smuggled),
            204},
           {"GET", with_length("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n", smuggled), 200},
           {"GET chunked", chunked("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n", smuggled), 200},
           {"TRACE", with_length("TRACE /api/v1/live HTTP/1.1\r\nHost: x\r\n", smuggled), 405},
           {"DELETE chunked", chunked("DELETE /api/v1/targets/x HTTP/1.1\r\nHost: x\r\n", smuggled),
            401},
           {"415 Chunked",
            chunked("POST /api/v1/targets HTTP/1.1\r\nHost: x\r\n", smuggled, "Chunked"), 415},
           {"411", "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n" + json + "\r\n", 411},
           {"413",
            with_length("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n" + json,
                        std::string(2000, ' ') + smuggled),
            413},
           {"413 chunked",
            chunked("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n" + json,
                    std::string(2000, ' ') + smuggled),
            413},
       }) {
    auto got = exchange(bytes);
    ASSERT_EQ(got.responses.size(), 1u) << what << ": " << got.responses.back();
    EXPECT_EQ(status_of(got.responses[0]), status) << what;
    EXPECT_EQ(got.responses[0].find("smuggled"), std::string::npos) << what;
    EXPECT_NE(got.responses[0].find("Connection: close"), std::string::npos) << what;
    EXPECT_EQ(got.responses[0].find("Keep-Alive"), std::string::npos) << what;
    EXPECT_TRUE(got.closed) << what;
  }
}

TEST_F(server_test, ambiguous_framing_gets_400_and_the_connection_closes) {
  start({});
  const std::string post =
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\n";
  std::string hidden = "5\r\nhello\r\n0\r\n\r\n" + smuggled;
  for (const std::string& bytes : {
           post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + hidden,
           post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + hidden,
           post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + hidden,
           post + "Transfer-Encoding: gzip, chunked\r\n\r\n" + hidden,
           post + "Transfer-Encoding: %63hunked\r\n\r\n" + hidden,  // cpp-httplib decodes it
           post + "Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello" + smuggled,
           post + "Content-Length: %35\r\n\r\nhello" + smuggled,
           post + "Content-Length: 5 \r\nContent-Length: 5\r\n\r\nhello" + smuggled,
           post + "Content-Length : 5\r\n\r\nhello" + smuggled,
           post + "X-Folded: a\r\n Transfer-Encoding: chunked\r\n\r\n" + hidden,
           post + "X: y\nTransfer-Encoding: chunked\r\n\r\n" + hidden,  // a bare LF line
           post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" + smuggled,
           post + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" + smuggled,
       }) {
    auto got = exchange(bytes);
    ASSERT_EQ(got.responses.size(), 1u) << bytes;
    EXPECT_EQ(status_of(got.responses[0]), 400) << bytes;
    EXPECT_EQ(nlohmann::json::parse(body_of(got.responses[0]))["error_code"], "BAD_REQUEST");
    EXPECT_TRUE(got.closed) << bytes;
  }
}

TEST_F(server_test, a_body_that_was_read_keeps_the_connection_for_the_next_request) {
  start({});
  const std::string login = R"({"username":"tester","password":"wrong-password"})";
  const std::string post =
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\n";
  const std::string next = "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (const std::string& first : {with_length(post, login), chunked(post, login, "Chunked"),
                                   chunked(post, login, "chunked", "X-Trailer: 1\r\n"),
                                   with_length("GET /api/v1/live HTTP/1.1\r\nHost: x\r\n", "")}) {
    auto got = exchange(first + next);
    ASSERT_EQ(got.responses.size(), 2u) << first;
    EXPECT_EQ(status_of(got.responses[1]), 200) << first;
  }
}

TEST_F(server_test, a_request_line_over_the_limit_gets_414_that_says_414) {
  start({});
  auto got = exchange("GET /api/v1/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_EQ(status_of(got.responses[0]), 414);
  auto problem = nlohmann::json::parse(body_of(got.responses[0]));
  EXPECT_EQ(problem["status"], 414);
  EXPECT_EQ(problem["error_code"], "URI_TOO_LONG");
  EXPECT_EQ(problem["title"], "URI Too Long");
}

TEST_F(server_test, range_headers_are_ignored_and_close_is_said_once) {
  start({});
  auto got = exchange(
      "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nRange: bytes=0-5\r\n"
      "Connection: close\r\n\r\n");
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_EQ(status_of(got.responses[0]), 200);
  EXPECT_EQ(nlohmann::json::parse(body_of(got.responses[0]))["status"], "alive");
  EXPECT_EQ(got.responses[0].find("Content-Range"), std::string::npos);
  // A malformed Range is refused by cpp-httplib before routing: a 400 that says 400.
  got = exchange(
      "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nRange: bytes=abc\r\n"
      "Connection: close\r\n\r\n");
  ASSERT_EQ(got.responses.size(), 1u);
  const std::string& r = got.responses[0];
  EXPECT_EQ(status_of(r), 400);
  EXPECT_EQ(nlohmann::json::parse(body_of(r))["status"], 400);
  size_t close = r.find("Connection: close");
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(r.find("Connection:", close + 1), std::string::npos) << r;
}

}  // namespace
}  // namespace vutf
