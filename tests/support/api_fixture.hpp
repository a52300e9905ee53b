// The fixture of the HTTP API tests (tests/api_*_test.cpp): an in-process service on SQLite
// and api::handle().
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "http/api.hpp"
#include "http/gzip.hpp"
#include "metrics/metrics.hpp"
#include "storage/user_store.hpp"
#include "tests/support/json_request.hpp"
#include "tests/support/support.hpp"

namespace vutf {

using http::api_request;
using http::api_response;
using nlohmann::json;

class api_test : public ::testing::Test {
 protected:
  void SetUp() override {
    log::configure("error", "json");
    char tmpl[] = "/tmp/vutf-api.XXXXXX";
    dir_ = mkdtemp(tmpl);
    env_map env = {{"DATABASE_URL", "sqlite:///" + dir_ + "/app.db"},
                   {"ADMIN_USERNAME", "root"},
                   {"ADMIN_EMAIL", "root@example.com"},
                   {"ADMIN_PASSWORD", "r00t-password"},
                   {"RATE_LIMIT_ENABLED", rate_limits_ ? "true" : "false"},
                   {"ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000"}};
    for (const auto& [k, v] : extra_settings_) env[k] = v;
    cfg_ = test::make_settings(env);
    metrics_ = std::make_shared<metrics>();
    svc_ = std::make_unique<service>(cfg_, metrics_);
    api_ = std::make_unique<http::api>(*svc_, *metrics_, cfg_);
    token_ = token_for("owner");
  }

  // Registers `name` (through the service) and returns an access token.
  std::string token_for(const std::string& name) {
    std::string password = "passw0rd-" + name;
    if (name != "root")
      svc_->ask(
          user_register{name, name + "@example.com", password, std::nullopt, svc_->deadline()});
    auto t = svc_->ask(
        user_login{name, name == "root" ? "r00t-password" : password, {}, svc_->deadline()});
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error->detail);
    return t.value.access_token;
  }
  void TearDown() override {
    api_.reset();
    svc_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }

  api_response call(const std::string& method, const std::string& path,
                    const std::string& body = "", http::header_list headers = {},
                    http::header_list query = {}) {
    bool authorized = false;
    for (const auto& [k, v] : headers) authorized = authorized || k == "Authorization";
    if (!authorized && !token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
    api_request r = test::json_request(method, path, body, std::move(headers), remote_ip_);
    r.query = std::move(query);
    return api_->handle(r);
  }

  // The whole body of `r`, read from its stream as a client would when it has one.
  static std::string body_of(const api_response& r) {
    if (!r.stream) return r.body;
    std::string body = r.body, chunk;
    http::stream_step step;
    do {
      step = r.stream(chunk);
      EXPECT_NE(step, http::stream_step::failed);
      body += chunk;
    } while (step == http::stream_step::more);
    return body;
  }

  static std::string header(const api_response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  // Starts the scan `body` describes and waits for it to end (completed, failed or cancelled):
  // the scan as GET /scans/{id} then shows it. Scans never hang; `limit` only bounds a broken
  // build.
  json scan_to_end(const json& body, std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto r = call("POST", "/api/v1/scans", body.dump());
    EXPECT_EQ(r.status, 202) << r.body;
    std::string id = json::parse(r.body).value("id", "");
    json s;
    EXPECT_TRUE(test::eventually(
        [&] {
          s = json::parse(call("GET", "/api/v1/scans/" + id).body);
          std::string st = s.value("status", "");
          return st == "completed" || st == "failed" || st == "cancelled";
        },
        limit))
        << s.dump();
    return s;
  }

  json create(const json& body) {
    auto r = call("POST", "/api/v1/targets", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }

  static json target_body(const std::string& name) {
    return {{"name", name},
            {"kind", "openai-chat"},
            {"endpoint_url", "http://127.0.0.1:9/v1/chat/completions"},
            {"model", "m"},
            {"headers", {{"Authorization", "Bearer secret-value"}}}};
  }

  // Registers an openai-chat target at `base_url` (a mock target's url()) for the caller, or for
  // the holder of `token`; its id.
  std::string target_at(const std::string& base_url, json extra = json::object(),
                        const std::string& token = "") {
    json body = {{"name", "t-" + make_uuid().substr(0, 8)},
                 {"kind", "openai-chat"},
                 {"endpoint_url", base_url + "/v1"},
                 {"model", "mock"}};
    body.update(extra);
    http::header_list auth;
    if (!token.empty()) auth.emplace_back("Authorization", "Bearer " + token);
    auto r = call("POST", "/api/v1/targets", body.dump(), auth);
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).value("id", "");
  }

  // The first 100 results of `scan`, and its report in `format`.
  json results_of(const json& scan) {
    return json::parse(call("GET", "/api/v1/scans/" + scan["id"].get<std::string>() + "/results",
                            "", {}, {{"per_page", "100"}})
                           .body)["items"];
  }
  std::string report_of(const json& scan, const std::string& format) {
    return body_of(call("GET", "/api/v1/scans/" + scan["id"].get<std::string>() + "/report", "", {},
                        {{"format", format}}));
  }

  // The value of one series of the service's metrics (`name{labels}`), -1 when absent.
  double metric(const std::string& series) {
    std::string text = metrics_->exposition();
    size_t at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
  }

  static void expect_problem(const api_response& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json; charset=utf-8");
    json p = json::parse(r.body);
    EXPECT_EQ(p["status"], status);
    EXPECT_EQ(p["error_code"], code);
    for (const char* key : {"type", "title", "detail", "instance", "request_id"})
      EXPECT_TRUE(p.contains(key)) << key;
    EXPECT_EQ(p["request_id"], header(r, "X-Request-ID"));
  }

  std::string dir_;
  std::string token_;         // sent as the bearer token of call() unless a test gives its own
  bool rate_limits_ = false;  // most tests make more requests than the limits allow
  env_map extra_settings_;    // set by a derived fixture's SetUp before api_test::SetUp
  std::string remote_ip_;     // the socket peer of call()'s requests
  settings cfg_;
  std::shared_ptr<metrics> metrics_;
  std::unique_ptr<service> svc_;
  std::unique_ptr<http::api> api_;
};

}  // namespace vutf
