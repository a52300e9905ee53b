// Outbound calls against hostile endpoints: one total deadline however slowly bytes arrive, the
// address policy at connect time (names that resolve to refused addresses), redirects, the reply
// cap, header rules, proxies, kept-alive connections the peer closed; the gateway surviving any
// URL; and the same rules through the API (422 for refused literals and headers, OUTBOUND_BLOCKED
// from /test, headers dropped when a target moves, a bounded circuit metric).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "actors/gateway.hpp"
#include "metrics/metrics.hpp"
#include "outbound/http_caller.hpp"
#include "tests/mock_target/mock_target.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

using namespace std::chrono_literals;

// Accepts connections on `fd` until `stop`, handing each to `answer` on the calling thread.
template <class Answer>
void accept_until(int fd, const std::atomic<bool>& stop, Answer answer) {
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int c = ::accept(fd, nullptr, nullptr);
    if (c >= 0) answer(c);
  }
}

// An endpoint that answers every connection with `prefix` and then one byte of `trickle` every
// 50 ms, for as long as the client listens: the per-read timeouts of an HTTP client never fire.
// (A space continues a header value as well as it pads a JSON body.)
class trickling_endpoint {
 public:
  trickling_endpoint(std::string prefix, char trickle)
      : fd_(test::listen_on_loopback(port_)), prefix_(std::move(prefix)), trickle_(trickle) {
    thread_ = std::thread([this] { serve(); });
  }
  ~trickling_endpoint() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

 private:
  void serve() {
    accept_until(fd_, stop_, [this](int c) {
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);  // the request (its size does not matter here)
      bool open = ::send(c, prefix_.data(), prefix_.size(), MSG_NOSIGNAL) >= 0;
      while (open && !stop_) {
        std::this_thread::sleep_for(50ms);  // the endpoint's pace, not test synchronisation
        open = ::send(c, &trickle_, 1, MSG_NOSIGNAL) == 1;
      }
      ::close(c);
    });
  }

  int port_ = 0;
  int fd_;
  std::string prefix_;
  char trickle_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An endpoint that answers one request per connection, keeping it alive by its headers, and then
// closes its side (as a server's idle timeout does). Before it counts a connection closed, the
// client's kernel has acknowledged the close: the client can know before its next call.
class closing_endpoint {
 public:
  closing_endpoint() : fd_(test::listen_on_loopback(port_)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~closing_endpoint() {
    stop_ = true;
    thread_.join();
    for (int c : closed_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  // Whether `n` connections were answered and closed.
  bool wait_closed(size_t n) {
    return test::eventually([&] {
      std::lock_guard<std::mutex> lock(mutex_);
      return closed_.size() >= n;
    });
  }
  size_t connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_.size();
  }

 private:
  void serve() {
    accept_until(fd_, stop_, [this](int c) {
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n{}") == std::string::npos) {  // post_to's body is "{}"
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      const std::string reply =
          "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n"
          "Content-Length: 2\r\n\r\n{}";
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::shutdown(c, SHUT_WR);
      test::eventually([&] {  // FIN_WAIT2: the peer's kernel acknowledged our FIN
        tcp_info info{};
        socklen_t len = sizeof info;
        return getsockopt(c, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
               info.tcpi_state == TCP_FIN_WAIT2;
      });
      std::lock_guard<std::mutex> lock(mutex_);
      closed_.push_back(c);  // never read again: a request sent on it gets no answer
    });
  }

  int port_ = 0;
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> closed_;
};

// An HTTP server on 127.0.0.1 whose handler a test chooses; it records what it received.
class recorder {
 public:
  explicit recorder(httplib::Server::Handler handler) {
    server_.Post(".*", [this, handler](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        seen_.push_back(req);
      }
      handler(req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");  // listening from here: connections queue
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);  // else stop() is a no-op
  }
  ~recorder() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<httplib::Request> seen() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<httplib::Request> seen_;
};

void answer_chat(const httplib::Request&, httplib::Response& res) {
  res.set_content(R"({"choices":[{"message":{"content":"hi"}}]})", "application/json");
}

egress loopback_allowed() {
  egress e;
  e.policy = make_address_policy(true, test::loopback_targets);
  return e;
}

outbound_call post_to(const std::string& url, std::chrono::seconds timeout = 5s) {
  outbound_call c;
  c.url = url;
  c.body = "{}";
  c.timeout = timeout;
  return c;
}

// Sends `call` on a thread of its own; a call that never ends fails the test instead of hanging
// it (the bound is a backstop for the broken behaviour, far above the call's own deadline).
outbound_reply send_bounded(http_caller& caller, const outbound_call& call) {
  auto done = std::async(std::launch::async, [&] { return caller.send(call); });
  if (done.wait_for(60s) != std::future_status::ready) {
    ADD_FAILURE() << "the call did not end";
    std::abort();  // the thread cannot be joined; the test binary cannot go on
  }
  return done.get();
}

TEST(http_caller, a_peer_trickling_bytes_cannot_hold_a_call_past_its_deadline) {
  http_caller caller(loopback_allowed());
  for (const char* reply : {"HTTP/1.1 200 OK\r\nX-Slow: a",  // the headers never end
                            "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{"}) {  // the body
    trickling_endpoint slow(reply, ' ');
    outbound_reply r = send_bounded(caller, post_to(slow.url(), 1s));
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("the call's 1 s deadline passed"), std::string::npos) << r.error;
  }
}

TEST(http_caller, a_kept_alive_connection_the_peer_closed_is_not_reused) {
  // cpp-httplib 0.11 checks a kept-alive socket before reusing it; this pins it: a call sent on
  // the closed connection would fail although the endpoint is up (and count against its circuit).
  closing_endpoint endpoint;
  http_caller caller(loopback_allowed());
  for (size_t i = 1; i <= 2; ++i) {
    outbound_reply r = send_bounded(caller, post_to(endpoint.url()));
    EXPECT_EQ(r.status, 200) << r.error;
    ASSERT_TRUE(endpoint.wait_closed(i));
  }
  EXPECT_EQ(endpoint.connections(), 2u);
}

TEST(http_caller, keeps_a_connection_only_while_it_is_used_within_the_idle_limit) {
  // Each call's client port tells its connection apart.
  recorder endpoint(answer_chat);
  auto ports_of_two_calls = [&](http_caller& caller) {
    for (int i = 0; i < 2; ++i) EXPECT_EQ(caller.send(post_to(endpoint.url())).status, 200);
    auto seen = endpoint.seen();
    return std::make_pair(seen[seen.size() - 2].remote_port, seen.back().remote_port);
  };
  http_caller keeping(loopback_allowed(), std::chrono::hours(1));
  auto [a, b] = ports_of_two_calls(keeping);
  EXPECT_EQ(a, b) << "the second call reuses the kept-alive connection";
  http_caller dropping(loopback_allowed(), std::chrono::milliseconds(-1));
  auto [c, d] = ports_of_two_calls(dropping);
  EXPECT_NE(c, d) << "a connection idle past the limit is closed, not reused";
}

TEST(http_caller, names_resolving_to_refused_addresses_are_blocked_at_connect_time) {
  mock::mock_target mock({"safe"});
  std::string path = ":" + std::to_string(mock.port()) + "/v1/chat/completions";
  http_caller blocking(egress{});  // OUTBOUND_BLOCK_PRIVATE on, nothing allowed
  for (const char* host : {"localhost", "127.0.0.1", "[::ffff:127.0.0.1]"}) {
    outbound_reply r = blocking.send(post_to(std::string("http://") + host + path));
    EXPECT_TRUE(r.refused) << host;
    EXPECT_FALSE(r.retryable());
    EXPECT_FALSE(r.breaker_failure());
    EXPECT_EQ(r.error.rfind(std::string(outbound_blocked) + ": ", 0), 0u) << r.error;
  }
  EXPECT_NE(blocking.send(post_to("http://localhost" + path)).error.find("localhost resolves to "),
            std::string::npos);
  EXPECT_EQ(mock.stats().requests, 0);

  http_caller allowing(loopback_allowed());
  outbound_reply ok = allowing.send(post_to("http://localhost" + path));  // pinned to 127.0.0.1
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(mock.stats().requests, 1);
}

TEST(http_caller, urls_no_parser_agrees_on_are_refused_unsent) {
  http_caller caller(loopback_allowed());
  for (const char* url :
       {"http://127.0.0.1:99999999999/v1", "http://2130706433/", "http://0x7f.1/",
        "ftp://127.0.0.1/", "http://u:p@127.0.0.1/", "http://127.0.0.1/a b", "not a url"}) {
    outbound_reply r = caller.send(post_to(url));
    EXPECT_TRUE(r.refused) << url;
    EXPECT_EQ(r.error.rfind("the URL cannot be called: it must", 0), 0u) << r.error;
  }
}

TEST(http_caller, redirects_are_not_followed) {
  mock::mock_target elsewhere({"safe"});
  recorder redirecting([&](const httplib::Request&, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", elsewhere.url() + "/v1/chat/completions");
  });
  http_caller caller(loopback_allowed());
  outbound_reply r = caller.send(post_to(redirecting.url() + "/v1"));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.error, "the endpoint answered HTTP 302");
  EXPECT_EQ(elsewhere.stats().requests, 0);
}

TEST(http_caller, replies_are_capped_at_one_mebibyte) {
  recorder huge([](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string((1 << 20) + 1, 'x'), "application/json");
  });
  http_caller caller(loopback_allowed());
  outbound_reply r = caller.send(post_to(huge.url() + "/v1"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "the response was larger than 1 MiB");
}

TEST(http_caller, framing_headers_and_line_breaks_never_reach_the_wire) {
  recorder endpoint(answer_chat);
  http_caller caller(loopback_allowed());
  outbound_call c = post_to(endpoint.url() + "/v1?x=1");
  c.headers = {{"Host", "evil.example"},
               {"Transfer-Encoding", "chunked"},
               {"X-Injected", "a\r\nX-Smuggled: 1"},
               {"Authorization", "Bearer fine"}};
  ASSERT_EQ(caller.send(c).status, 200);
  auto seen = endpoint.seen();  // a copy: its requests live as long as this test
  ASSERT_EQ(seen.size(), 1u);
  const httplib::Request& got = seen.front();
  EXPECT_EQ(got.get_header_value("Host"), "127.0.0.1:" + std::to_string(endpoint.port()));
  EXPECT_FALSE(got.has_header("Transfer-Encoding"));
  EXPECT_FALSE(got.has_header("X-Injected"));
  EXPECT_FALSE(got.has_header("X-Smuggled"));
  EXPECT_EQ(got.get_header_value("Authorization"), "Bearer fine");
  EXPECT_EQ(got.target, "/v1?x=1");
}

TEST(http_caller, the_egress_proxy_carries_calls_and_no_proxy_bypasses_it) {
  recorder proxy(answer_chat);
  mock::mock_target direct({"safe"});
  egress e = loopback_allowed();
  e.proxy = parse_proxy("http://egress:pa%3Ass@127.0.0.1:" + std::to_string(proxy.port()));
  http_caller caller(e);
  // The proxy resolves the name: this process never needs to.
  outbound_reply r = caller.send(post_to("http://model.invalid:8080/v1/chat?q=1"));
  EXPECT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(proxy.seen().size(), 1u);
  EXPECT_EQ(proxy.seen()[0].target, "http://model.invalid:8080/v1/chat?q=1");  // absolute form
  EXPECT_EQ(proxy.seen()[0].get_header_value("Host"), "model.invalid:8080");
  EXPECT_EQ(proxy.seen()[0].get_header_value("Proxy-Authorization"),
            httplib::make_basic_authentication_header("egress", "pa:ss", true).second);
  // A literal the policy refuses is refused before the proxy sees it.
  http_caller strict([&] {
    egress s = e;
    s.policy = address_policy{};
    return s;
  }());
  EXPECT_TRUE(strict.send(post_to("http://169.254.169.254/latest")).refused);
  EXPECT_EQ(proxy.seen().size(), 1u);

  e.bypass = *parse_no_proxy("127.0.0.1");
  http_caller bypassing(e);
  EXPECT_EQ(bypassing.send(post_to(direct.url() + "/v1/chat/completions")).status, 200);
  EXPECT_EQ(direct.stats().requests, 1);
  EXPECT_EQ(proxy.seen().size(), 1u);
}

// The gateway, spawned alone, asked as the engine asks it.
class gateway_test : public ::testing::Test {
 protected:
  gateway_test() : sys_(cfg_) {
    gateway_config g;
    g.out = loopback_allowed();
    gateway_ = spawn_gateway(sys_, g, std::make_shared<metrics>());
  }
  ~gateway_test() override { caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown); }

  outbound_reply ask(const std::string& url) {
    target_call c{"circuit-1", "openai-chat", 4, post_to(url)};
    outbound_reply out;
    caf::scoped_actor self(sys_);
    self->request(gateway_, 30s, c)
        .receive([&](outbound_reply& r) { out = std::move(r); },
                 [&](caf::error& e) { out.error = "gateway: " + caf::to_string(e); });
    return out;
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  gateway_actor gateway_;
};

TEST_F(gateway_test, a_url_that_once_killed_a_caller_leaves_the_gateway_serving) {
  mock::mock_target mock({"safe"});
  outbound_reply bad = ask("http://127.0.0.1:99999999999/v1");
  EXPECT_TRUE(bad.refused) << bad.error;
  outbound_reply next = ask(mock.url() + "/v1/chat/completions");
  EXPECT_EQ(next.status, 200) << next.error;
}

// The API with OUTBOUND_BLOCK_PRIVATE on and nothing allowed, as in production.
class blocking_api_test : public api_test {
 protected:
  blocking_api_test() {
    extra_settings_ = {{"OUTBOUND_BLOCK_PRIVATE", "true"}, {"OUTBOUND_ALLOW_CIDRS", ""}};
  }
  static std::vector<std::string> bad_fields(const api_response& r) {
    std::vector<std::string> out;
    json doc = json::parse(r.body);
    for (const auto& e : doc["errors"]) out.push_back(e["field"]);
    return out;
  }
};

TEST_F(blocking_api_test, refused_literal_addresses_are_422_on_create_and_patch) {
  for (const char* url : {"http://127.0.0.1:8000/v1", "http://169.254.169.254/latest/meta-data/",
                          "http://[::ffff:127.0.0.1]/v1", "http://[::1]/v1", "http://10.0.0.7/v1",
                          "http://192.168.1.1/v1", "http://0.0.0.0:8000/v1", "http://2130706433/v1",
                          "http://0x7f.1/v1", "http://127.0.0.1:99999999999/v1"}) {
    json body = target_body("t");
    body["endpoint_url"] = url;
    auto r = call("POST", "/api/v1/targets", body.dump());
    EXPECT_EQ(r.status, 422) << url << " " << r.body;
    EXPECT_EQ(bad_fields(r), std::vector<std::string>{"endpoint_url"}) << url;
  }
  json both = target_body("");
  both["endpoint_url"] = "http://127.0.0.1/v1";
  EXPECT_EQ(bad_fields(call("POST", "/api/v1/targets", both.dump())),
            (std::vector<std::string>{"endpoint_url", "name"}));

  json ok = target_body("public");
  ok["endpoint_url"] = "https://api.example.com/v1";
  auto created = call("POST", "/api/v1/targets", ok.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = json::parse(created.body)["id"];
  auto patched = call("PATCH", "/api/v1/targets/" + id,
                      json{{"endpoint_url", "http://169.254.169.254/"}}.dump());
  EXPECT_EQ(patched.status, 422) << patched.body;
  EXPECT_EQ(bad_fields(patched), std::vector<std::string>{"endpoint_url"});
}

TEST_F(blocking_api_test, refused_literal_addresses_are_422_for_webhooks_too) {
  for (const char* url :
       {"http://169.254.169.254/hook", "http://[::ffff:10.0.0.1]/hook", "http://2130706433/hook"}) {
    auto r =
        call("POST", "/api/v1/webhooks", json{{"url", url}, {"events", {"scan.completed"}}}.dump());
    EXPECT_EQ(r.status, 422) << url << " " << r.body;
    EXPECT_EQ(bad_fields(r), std::vector<std::string>{"url"}) << url;
  }
  auto ok =
      call("POST", "/api/v1/webhooks",
           json{{"url", "https://hooks.example.com/x"}, {"events", {"scan.completed"}}}.dump());
  EXPECT_EQ(ok.status, 201) << ok.body;
}

TEST_F(blocking_api_test, a_name_resolving_to_a_refused_address_fails_the_test_unsent) {
  mock::mock_target mock({"safe"});
  json body = target_body("named");
  body["endpoint_url"] = "http://localhost:" + std::to_string(mock.port()) + "/v1";
  auto created = call("POST", "/api/v1/targets", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;  // a name is checked when called
  std::string id = json::parse(created.body)["id"];
  auto r = call("POST", "/api/v1/targets/" + id + "/test");
  ASSERT_EQ(r.status, 200) << r.body;
  json check = json::parse(r.body);
  EXPECT_EQ(check["ok"], false);
  EXPECT_TRUE(check["status_code"].is_null());
  EXPECT_EQ(check["error"].get<std::string>().rfind("OUTBOUND_BLOCKED: localhost resolves to", 0),
            0u)
      << check;
  // A scan fails with the same reason, fast (a refused call is not retried) and sends nothing.
  auto queued =
      call("POST", "/api/v1/scans", json{{"target_id", id}, {"probes", {"jailbreak"}}}.dump());
  ASSERT_EQ(queued.status, 202) << queued.body;
  std::string scan_id = json::parse(queued.body)["id"];
  json scan;
  ASSERT_TRUE(test::eventually([&] {
    scan = json::parse(call("GET", "/api/v1/scans/" + scan_id).body);
    return scan["status"] == "failed";
  })) << scan;
  EXPECT_NE(scan["error"].get<std::string>().find("OUTBOUND_BLOCKED"), std::string::npos) << scan;
  EXPECT_EQ(mock.stats().requests, 0);
}

TEST_F(api_test, framing_headers_and_line_breaks_in_target_headers_are_422) {
  for (const json& headers : {json{{"Host", "evil.example"}}, json{{"content-length", "0"}},
                              json{{"Transfer-Encoding", "chunked"}}, json{{"Connection", "close"}},
                              json{{"X-Key", "a\r\nX-Smuggled: 1"}}, json{{"X-Key", "a\nb"}},
                              json{{"X-Key", std::string("a\0b", 3)}}, json{{"Bad Name", "v"}}}) {
    json body = target_body("h");
    body["headers"] = headers;
    auto r = call("POST", "/api/v1/targets", body.dump());
    EXPECT_EQ(r.status, 422) << headers.dump();
    EXPECT_EQ(json::parse(r.body)["errors"][0]["field"], "headers") << r.body;
  }
}

TEST_F(api_test, moving_a_target_drops_its_secret_headers_unless_the_patch_sets_them) {
  mock::mock_target first({"safe"}), second({"safe"}), third({"safe"});
  json body = target_body("moving");
  body["endpoint_url"] = first.url() + "/v1";
  auto created = call("POST", "/api/v1/targets", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = json::parse(created.body)["id"];
  ASSERT_EQ(call("POST", "/api/v1/targets/" + id + "/test").status, 200);
  EXPECT_EQ(first.stats().last_authorization, "Bearer secret-value");

  auto moved =
      call("PATCH", "/api/v1/targets/" + id, json{{"endpoint_url", second.url() + "/v1"}}.dump());
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(json::parse(call("POST", "/api/v1/targets/" + id + "/test").body)["ok"], true);
  EXPECT_EQ(second.stats().requests, 1);
  EXPECT_EQ(second.stats().last_authorization, "");  // the secret stayed behind

  auto rekeyed = call("PATCH", "/api/v1/targets/" + id,
                      json{{"endpoint_url", third.url() + "/v1"},
                           {"headers", {{"Authorization", "Bearer for-third"}}}}
                          .dump());
  ASSERT_EQ(rekeyed.status, 200) << rekeyed.body;
  ASSERT_EQ(call("POST", "/api/v1/targets/" + id + "/test").status, 200);
  EXPECT_EQ(third.stats().last_authorization, "Bearer for-third");
}

}  // namespace
}  // namespace vutf
