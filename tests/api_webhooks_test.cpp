// Webhooks: the routes (in process, on SQLite), the secret, and deliveries to the mock receiver
// checked against the Standard Webhooks convention by a verifier written here from the spec,
// independent of the service's signing code.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>

#include "tests/mock_target/mock_target.hpp"
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

using namespace std::chrono_literals;

// Standard base64 decoding without the service's helpers (OpenSSL's block decoder).
std::string decode_base64(const std::string& text) {
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  EXPECT_GE(n, 0) << text;
  size_t pad = text.size() - text.find_last_not_of('=') - 1;
  out.resize(static_cast<size_t>(std::max(n, 0)) - pad);
  return out;
}

// Whether `signatures` (space-separated "v1,<base64>" entries) holds the Standard Webhooks
// signature of (id, timestamp, body) under `secret` ("whsec_" + base64 of the key).
bool verifies(const std::string& secret, const std::string& id, const std::string& timestamp,
              const std::string& body, const std::string& signatures) {
  if (secret.rfind("whsec_", 0) != 0) return false;
  std::string key = decode_base64(secret.substr(6));
  std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len);
  unsigned char encoded[2 * EVP_MAX_MD_SIZE];
  int encoded_len = EVP_EncodeBlock(encoded, mac, static_cast<int>(mac_len));
  std::string expected = "v1," + std::string(reinterpret_cast<char*>(encoded), encoded_len);
  std::istringstream entries(signatures);
  for (std::string one; entries >> one;)
    if (one == expected) return true;
  return false;
}

bool verifies(const std::string& secret, const mock::webhook& hook) {
  return verifies(secret, hook.id, hook.timestamp, hook.body, hook.signature);
}

// The sign test of the Standard Webhooks reference libraries
// (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts).
TEST(standard_webhooks, known_answer) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const std::string body = R"({"test": 2432232314})";
  const std::string expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  EXPECT_EQ(identity::webhook_signature(secret, id, 1614265330, body), expected);
  EXPECT_TRUE(verifies(secret, id, "1614265330", body, expected));  // the verifier agrees
  EXPECT_TRUE(verifies(secret, id, "1614265330", body, "v1,bm90IGl0 " + expected));
  EXPECT_FALSE(verifies(secret, id, "1614265331", body, expected));
  // A secret that is not "whsec_" + base64 signs nothing.
  EXPECT_EQ(identity::webhook_signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, 1, body), "");
  EXPECT_EQ(identity::webhook_signature("whsec_not*base64", id, 1, body), "");
  EXPECT_EQ(identity::webhook_signature("whsec_", id, 1, body), "");
}

TEST(standard_webhooks, secrets_are_32_random_bytes_in_base64) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    std::string secret = identity::make_webhook_secret();
    ASSERT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
    EXPECT_EQ(secret.size(), 6u + 44u);
    EXPECT_EQ(decode_base64(secret.substr(6)).size(), 32u);
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 20u);
}

class webhooks_test : public api_test {
 protected:
  json create_webhook(const std::string& url, json events = {"scan.completed"},
                      http::header_list headers = {}) {
    auto r = call("POST", "/api/v1/webhooks", json{{"url", url}, {"events", events}}.dump(),
                  std::move(headers));
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }

  std::string create_target(const std::string& url) {
    json body = target_body("t-" + make_uuid().substr(0, 8));
    body["endpoint_url"] = url + "/v1";
    return create(body)["id"];
  }

  // Starts a scan of `target` (a few prompts) and waits for it to end.
  json run_scan(const std::string& target, json extra = json::object()) {
    json body = {{"target_id", target}, {"probes", {"jailbreak"}}, {"max_prompts", 3}};
    body.update(extra);
    return scan_to_end(body);
  }

  // The attempts `mock` received at `target` (path and query) once there are `n`.
  static std::vector<mock::webhook> received(const mock::mock_target& mock,
                                             const std::string& target, size_t n) {
    std::vector<mock::webhook> at;
    EXPECT_TRUE(test::eventually(
        [&] {
          at.clear();
          for (auto& h : mock.webhooks())
            if (h.target == target) at.push_back(h);
          return at.size() >= n;
        },
        20s))
        << "only " << at.size() << " of " << n << " webhooks at " << target;
    return at;
  }
};

TEST_F(webhooks_test, created_with_a_secret_shown_once_then_listed_without_it) {
  auto r =
      call("POST", "/api/v1/webhooks",
           R"({"url":"https://hooks.example.com/a","events":["scan.completed","scan.failed"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  json w = json::parse(r.body);
  for (const char* key : {"id", "url", "events", "secret", "created_at"})
    EXPECT_TRUE(w.contains(key)) << key;
  EXPECT_EQ(w.size(), 5u) << w.dump();
  EXPECT_EQ(w["events"], json({"scan.completed", "scan.failed"}));
  EXPECT_EQ(header(r, "Location"), "/api/v1/webhooks/" + w["id"].get<std::string>());
  std::string secret = w["secret"];
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);

  create_webhook("https://hooks.example.com/b", {"schedule.failed", "scan.regressed"});
  auto list = call("GET", "/api/v1/webhooks", "", {}, {{"per_page", "1"}});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(secret), std::string::npos) << "the secret is shown only once";
  json page = json::parse(list.body);
  EXPECT_EQ(page["total"], 2);
  EXPECT_EQ(page["pages"], 2);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["url"], "https://hooks.example.com/b");  // newest first
  EXPECT_FALSE(page["items"][0].contains("secret"));
  json second =
      json::parse(call("GET", "/api/v1/webhooks", "", {}, {{"page", "2"}, {"per_page", "1"}}).body);
  EXPECT_EQ(second["items"][0]["id"], w["id"]);
  expect_problem(call("GET", "/api/v1/webhooks", "", {}, {{"sort", "url"}}), 422,
                 "VALIDATION_ERROR");

  // One webhook per URL: a scan's webhook_url must name exactly one secret.
  expect_problem(call("POST", "/api/v1/webhooks",
                      R"({"url":"https://hooks.example.com/a","events":["scan.failed"]})"),
                 409, "CONFLICT");
}

TEST_F(webhooks_test, bad_bodies_get_422_naming_every_bad_field) {
  auto bad = call("POST", "/api/v1/webhooks", R"({"url":"ftp://x","events":["scan.done"],"x":1})");
  expect_problem(bad, 422, "VALIDATION_ERROR");
  std::set<std::string> fields;
  json errors = json::parse(bad.body)["errors"];
  for (const auto& e : errors) fields.insert(e["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"url", "events", "x"}));
  expect_problem(call("POST", "/api/v1/webhooks", R"({"url":"https://h.example.com","events":[]})"),
                 422, "VALIDATION_ERROR");
  expect_problem(
      call("POST", "/api/v1/webhooks", R"({"url":"https://h.example.com","events":"scan.failed"})"),
      422, "VALIDATION_ERROR");
  auto missing = call("POST", "/api/v1/webhooks", "{}");
  expect_problem(missing, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(missing.body)["errors"].size(), 2u);
  expect_problem(call("POST", "/api/v1/webhooks", "[1]"), 422, "VALIDATION_ERROR");
  expect_problem(call("POST", "/api/v1/webhooks", "{"), 400, "BAD_REQUEST");
  // Duplicates in events are one subscription.
  EXPECT_EQ(create_webhook("https://h.example.com/d", {"scan.failed", "scan.failed"})["events"],
            json({"scan.failed"}));
}

TEST_F(webhooks_test, rotate_replaces_the_secret_and_delete_removes_the_webhook) {
  json w = create_webhook("https://hooks.example.com/r");
  std::string id = w["id"];
  auto rotated = call("POST", "/api/v1/webhooks/" + id + "/rotate");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  json next = json::parse(rotated.body);
  EXPECT_EQ(next["id"], id);
  EXPECT_EQ(next["url"], w["url"]);
  EXPECT_EQ(next["created_at"], w["created_at"]);
  EXPECT_NE(next["secret"], w["secret"]);
  EXPECT_EQ(next["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  EXPECT_EQ(call("DELETE", "/api/v1/webhooks/" + id).status, 204);
  expect_problem(call("DELETE", "/api/v1/webhooks/" + id), 404, "NOT_FOUND");
  expect_problem(call("POST", "/api/v1/webhooks/" + id + "/rotate"), 404, "NOT_FOUND");
  expect_problem(call("DELETE", "/api/v1/webhooks/not-a-uuid"), 404, "NOT_FOUND");
  EXPECT_EQ(json::parse(call("GET", "/api/v1/webhooks").body)["total"], 0);
}

TEST_F(webhooks_test, another_users_webhooks_are_not_found) {
  json mine = create_webhook("https://hooks.example.com/mine");
  std::string id = mine["id"];
  http::header_list other = {{"Authorization", "Bearer " + token_for("other")}};
  EXPECT_EQ(json::parse(call("GET", "/api/v1/webhooks", "", other).body)["total"], 0);
  expect_problem(call("DELETE", "/api/v1/webhooks/" + id, "", other), 404, "NOT_FOUND");
  expect_problem(call("POST", "/api/v1/webhooks/" + id + "/rotate", "", other), 404, "NOT_FOUND");
  // The same URL is free for another user (each signs with their own secret).
  create_webhook("https://hooks.example.com/mine", {"scan.failed"}, other);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/webhooks").body)["total"], 1);
  // A read-only API key lists but cannot change anything.
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"ro","scopes":["read"]})").body);
  http::header_list ro = {{"X-API-Key", k["key"]}, {"Authorization", ""}};
  EXPECT_EQ(call("GET", "/api/v1/webhooks", "", ro).status, 200);
  expect_problem(call("POST", "/api/v1/webhooks",
                      R"({"url":"https://hooks.example.com/ro","events":["scan.failed"]})", ro),
                 403, "FORBIDDEN");
  expect_problem(call("POST", "/api/v1/webhooks/" + id + "/rotate", "", ro), 403, "FORBIDDEN");
  expect_problem(call("DELETE", "/api/v1/webhooks/" + id, "", ro), 403, "FORBIDDEN");
}

TEST_F(webhooks_test, changes_are_audited_and_no_secret_is_kept_for_replay) {
  http::header_list key = {{"Idempotency-Key", "hook-1"}};
  json w = create_webhook("https://hooks.example.com/audited", {"scan.completed"}, key);
  std::string id = w["id"];
  // The header is ignored (the response holds a secret): a retry is a new request, here a 409.
  auto again =
      call("POST", "/api/v1/webhooks",
           R"({"url":"https://hooks.example.com/audited","events":["scan.completed"]})", key);
  expect_problem(again, 409, "CONFLICT");
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "");
  ASSERT_EQ(call("POST", "/api/v1/webhooks/" + id + "/rotate").status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/webhooks/" + id).status, 204);

  http::header_list admin = {{"Authorization", "Bearer " + token_for("root")}};
  json page;
  ASSERT_TRUE(test::eventually([&] {
    page = json::parse(
        call("GET", "/api/v1/audit-logs", "", admin, {{"resource_type", "webhook"}}).body);
    return page["total"] == 4;
  })) << page.dump();
  std::vector<std::string> actions;
  for (const auto& a : page["items"]) {
    actions.push_back(a["action"]);
    if (a["outcome"] == "success") {
      EXPECT_EQ(a["resource_id"], id) << a.dump();
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"webhook.delete", "webhook.rotate", "webhook.create",
                                               "webhook.create"}));
}

TEST_F(webhooks_test, a_scans_webhook_url_must_be_one_of_the_callers_webhooks) {
  mock::mock_target mock({"safe"});
  std::string target = create_target(mock.url());
  auto scan = [&](const std::string& url) {
    return call(
        "POST", "/api/v1/scans",
        json{{"target_id", target}, {"probes", {"jailbreak"}}, {"webhook_url", url}}.dump());
  };
  auto unknown = scan(mock.url() + "/webhook");
  expect_problem(unknown, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(unknown.body)["errors"][0]["field"], "webhook_url");
  // Someone else's webhook does not qualify either.
  http::header_list other = {{"Authorization", "Bearer " + token_for("other")}};
  create_webhook(mock.url() + "/webhook?to=other", {"scan.failed"}, other);
  expect_problem(scan(mock.url() + "/webhook?to=other"), 422, "VALIDATION_ERROR");
  // Both bad fields at once.
  auto both = call("POST", "/api/v1/scans",
                   json{{"target_id", make_uuid()},
                        {"probes", {"jailbreak"}},
                        {"webhook_url", mock.url() + "/webhook"}}
                       .dump());
  expect_problem(both, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(both.body)["errors"].size(), 2u);
  create_webhook(mock.url() + "/webhook");
  EXPECT_EQ(scan(mock.url() + "/webhook").status, 202);
}

TEST_F(webhooks_test, deliveries_are_signed_with_the_webhooks_secret_and_retried) {
  mock::mock_target mock({"vulnerable"});
  mock.fail_webhooks(1);
  std::string target = create_target(mock.url());
  // Subscribed to nothing a scan sends: the scan's webhook_url receives its end regardless.
  json w = create_webhook(mock.url() + "/webhook", {"schedule.failed"});
  json s = run_scan(target, {{"webhook_url", mock.url() + "/webhook"}});
  ASSERT_EQ(s["status"], "completed");
  auto hooks = received(mock, "/webhook", 2);
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_FALSE(hooks[0].accepted);
  EXPECT_TRUE(hooks[1].accepted);
  for (const auto& hook : hooks) {
    EXPECT_TRUE(verifies(w["secret"], hook)) << hook.signature;
    EXPECT_EQ(hook.id, hooks[0].id) << "the same webhook-id on every retry";
    EXPECT_EQ(hook.id.rfind("msg_", 0), 0u);
    int64_t ts = std::stoll(hook.timestamp);
    EXPECT_LE(std::abs(ts - now_ms() / 1000), 300) << "unix seconds";
    for (std::string name : hook.header_names) {
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      EXPECT_NE(name, "x-signature") << "nothing is signed with SECRET_KEY any more";
    }
  }
  json body = json::parse(hooks[1].body);
  EXPECT_EQ(body["type"], "scan.completed");
  EXPECT_EQ(body["timestamp"].get<std::string>().size(), 24u);
  EXPECT_EQ(body["data"],
            json::parse(call("GET", "/api/v1/scans/" + s["id"].get<std::string>()).body))
      << "data is the scan as GET /scans/{id} returns it";
  EXPECT_EQ(metric("webhook_deliveries_total{outcome=\"retried\"}"), 1);
  EXPECT_EQ(metric("webhook_deliveries_total{outcome=\"delivered\"}"), 1);
}

TEST_F(webhooks_test, subscribers_hear_of_every_scan_and_a_rotated_secret_signs_at_once) {
  mock::mock_target mock({"safe"});
  std::string target = create_target(mock.url());
  json completed = create_webhook(mock.url() + "/webhook?to=completed", {"scan.completed"});
  json failed = create_webhook(mock.url() + "/webhook?to=failed", {"scan.failed"});
  // Rotation: the next delivery is signed with the new secret, never the old one.
  json rotated = json::parse(
      call("POST", "/api/v1/webhooks/" + completed["id"].get<std::string>() + "/rotate").body);

  json s = run_scan(target);  // no webhook_url: only subscribers hear of it
  ASSERT_EQ(s["status"], "completed");
  auto hook = received(mock, "/webhook?to=completed", 1).at(0);
  EXPECT_EQ(json::parse(hook.body)["type"], "scan.completed");
  EXPECT_EQ(json::parse(hook.body)["data"]["id"], s["id"]);
  EXPECT_TRUE(verifies(rotated["secret"], hook));
  EXPECT_FALSE(verifies(completed["secret"], hook));

  mock.set_mode("down");
  json f = run_scan(target);
  ASSERT_EQ(f["status"], "failed");
  auto failure = received(mock, "/webhook?to=failed", 1).at(0);
  EXPECT_EQ(json::parse(failure.body)["type"], "scan.failed");
  EXPECT_TRUE(verifies(failed["secret"], failure));
  EXPECT_NE(failure.id, hook.id) << "one webhook-id per event";
}

}  // namespace
}  // namespace vutf
