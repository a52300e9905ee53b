// The HTTP API: API keys, their creation, listing, revocation, rotation and read scope.
#include "tests/support/api_fixture.hpp"

namespace vutf {
namespace {

// ---- API keys ----

TEST_F(api_test, api_keys_are_shown_once_and_authenticate) {
  auto created = call("POST", "/api/v1/api-keys", R"({"name":"ci","scopes":["read","write"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  json k = json::parse(created.body);
  std::string key = k["key"];
  EXPECT_EQ(key.rfind("vutf_", 0), 0u);
  EXPECT_GE(key.size(), 5u + 43u);  // 256 bits of base64url
  EXPECT_EQ(k["prefix"], key.substr(0, 12));
  EXPECT_TRUE(k["expires_at"].is_null());
  auto list = call("GET", "/api/v1/api-keys");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key), std::string::npos) << "the key is shown only once";
  EXPECT_EQ(json::parse(list.body)["total"], 1);

  auto with_key = [&](const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return call(method, path, body, {{"X-API-Key", key}, {"Authorization", ""}});
  };
  EXPECT_EQ(json::parse(with_key("GET", "/api/v1/users/me").body)["username"], "owner");
  EXPECT_EQ(with_key("POST", "/api/v1/targets", target_body("by-key").dump()).status, 201);
  expect_problem(call("POST", "/api/v1/api-keys", R"({"name":"ci","scopes":["read"]})"), 409,
                 "CONFLICT");
}

TEST_F(api_test, a_read_only_key_cannot_write) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"ro","scopes":["read"]})").body);
  http::header_list h = {{"X-API-Key", k["key"]}, {"Authorization", ""}};
  EXPECT_EQ(call("GET", "/api/v1/targets", "", h).status, 200);
  expect_problem(call("POST", "/api/v1/targets", target_body("nope").dump(), h), 403, "FORBIDDEN");
  expect_problem(call("DELETE", "/api/v1/targets/00000000-0000-4000-8000-000000000000", "", h), 403,
                 "FORBIDDEN");
}

TEST_F(api_test, revoked_rotated_and_expired_keys_stop_working_at_once) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"r","scopes":["read"]})").body);
  http::header_list h = {{"X-API-Key", k["key"]}, {"Authorization", ""}};
  ASSERT_EQ(call("GET", "/api/v1/users/me", "", h).status, 200);  // now cached as valid
  auto rotated = call("POST", "/api/v1/api-keys/" + k["id"].get<std::string>() + "/rotate");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  json next = json::parse(rotated.body);
  EXPECT_NE(next["key"], k["key"]);
  EXPECT_EQ(next["name"], "r");
  expect_problem(call("GET", "/api/v1/users/me", "", h), 401, "UNAUTHORIZED");
  http::header_list h2 = {{"X-API-Key", next["key"]}, {"Authorization", ""}};
  ASSERT_EQ(call("GET", "/api/v1/users/me", "", h2).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/api-keys/" + next["id"].get<std::string>()).status, 204);
  expect_problem(call("GET", "/api/v1/users/me", "", h2), 401, "UNAUTHORIZED");
  expect_problem(call("DELETE", "/api/v1/api-keys/" + next["id"].get<std::string>()), 404,
                 "NOT_FOUND");

  // An expired key (written straight into the database) is refused.
  std::string expired = identity::make_api_key();
  auto conn = storage::connect(storage::parse_database_url(cfg_.database_url), {});
  conn->transact(storage::access::write, clock::now() + std::chrono::seconds(5),
                 [&](storage::session& s) {
                   api_key old;
                   old.id = make_uuid();
                   old.user_id = json::parse(call("GET", "/api/v1/users/me").body)["id"];
                   old.name = "expired";
                   old.prefix = expired.substr(0, 12);
                   old.key_hash = identity::sha256_hex(expired);
                   old.scopes = {"read"};
                   old.created_at_ms = now_ms() - 10'000;
                   old.expires_at_ms = now_ms() - 1'000;
                   storage::insert_api_key(s, old);
                 });
  expect_problem(
      call("GET", "/api/v1/users/me", "", {{"X-API-Key", expired}, {"Authorization", ""}}), 401,
      "UNAUTHORIZED");
}

TEST_F(api_test, last_used_at_is_recorded_off_the_request_path) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"u","scopes":["read"]})").body);
  EXPECT_TRUE(k["last_used_at"].is_null());
  ASSERT_EQ(
      call("GET", "/api/v1/targets", "", {{"X-API-Key", k["key"]}, {"Authorization", ""}}).status,
      200);
  EXPECT_TRUE(test::eventually(
      [&] {
        json list = json::parse(call("GET", "/api/v1/api-keys").body);
        return !list["items"][0]["last_used_at"].is_null();
      },
      std::chrono::seconds(15)));
}

TEST_F(api_test, api_key_requests_are_validated) {
  auto bad = call("POST", "/api/v1/api-keys",
                  R"({"name":"","scopes":["admin"],"expires_in_days":0,"extra":1})");
  expect_problem(bad, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(bad.body)["errors"].size(), 4u);
  json k = json::parse(
      call("POST", "/api/v1/api-keys", R"({"name":"exp","scopes":["write"],"expires_in_days":30})")
          .body);
  EXPECT_FALSE(k["expires_at"].is_null());
}

// ---- lineage: a key made with a key is bound by it ----

TEST_F(api_test, a_key_made_with_an_api_key_neither_outlives_nor_out_scopes_it) {
  json parent = json::parse(
      call("POST", "/api/v1/api-keys", R"({"name":"p","scopes":["write"],"expires_in_days":30})")
          .body);
  http::header_list with_parent = {{"X-API-Key", parent["key"]}, {"Authorization", ""}};
  auto child = call("POST", "/api/v1/api-keys", R"({"name":"c","scopes":["write"]})", with_parent);
  ASSERT_EQ(child.status, 201) << child.body;
  EXPECT_EQ(json::parse(child.body)["expires_at"], parent["expires_at"])
      << "a key asked for without expiry lives as long as the key that made it";
  auto longer = call("POST", "/api/v1/api-keys",
                     R"({"name":"l","scopes":["write"],"expires_in_days":365})", with_parent);
  expect_problem(longer, 422, "VALIDATION_ERROR");
  EXPECT_EQ(json::parse(longer.body)["errors"][0]["field"], "expires_in_days");
  expect_problem(
      call("POST", "/api/v1/api-keys", R"({"name":"w","scopes":["read","write"]})", with_parent),
      403, "FORBIDDEN");
  EXPECT_EQ(call("POST", "/api/v1/api-keys",
                 R"({"name":"s","scopes":["write"],"expires_in_days":7})", with_parent)
                .status,
            201);
  // Nor by rotating a key that lives longer: the new key would.
  json forever =
      json::parse(call("POST", "/api/v1/api-keys", R"({"name":"f","scopes":["write"]})").body);
  expect_problem(call("POST", "/api/v1/api-keys/" + forever["id"].get<std::string>() + "/rotate",
                      "", with_parent),
                 403, "FORBIDDEN");
  EXPECT_EQ(call("POST", "/api/v1/api-keys/" + forever["id"].get<std::string>() + "/rotate").status,
            201)
      << "the user's session may";
}

TEST_F(api_test, revoking_a_key_revokes_every_key_made_from_it_and_rotating_keeps_them) {
  auto make = [&](const std::string& name, const http::header_list& as) {
    auto r =
        call("POST", "/api/v1/api-keys", R"({"name":")" + name + R"(","scopes":["write"]})", as);
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  };
  auto as_key = [](const json& k) {
    return http::header_list{{"X-API-Key", k["key"]}, {"Authorization", ""}};
  };
  auto works = [&](const json& k) { return call("GET", "/api/v1/targets", "", as_key(k)).status; };
  json root = make("root", {});
  json child = make("child", as_key(root));
  json grandchild = make("grandchild", as_key(child));
  json sibling = make("sibling", {});  // made with the session: no lineage

  // Rotating the root hands its place (and its children) to the new key.
  auto rotated = call("POST", "/api/v1/api-keys/" + root["id"].get<std::string>() + "/rotate");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  json new_root = json::parse(rotated.body);
  EXPECT_EQ(works(root), 401);
  EXPECT_EQ(works(child), 200);
  EXPECT_EQ(works(grandchild), 200);

  // Revoking the key at the top takes the whole tree with it, cached principals included.
  EXPECT_EQ(works(new_root), 200);
  EXPECT_EQ(call("DELETE", "/api/v1/api-keys/" + new_root["id"].get<std::string>()).status, 204);
  EXPECT_EQ(works(new_root), 401);
  EXPECT_EQ(works(child), 401);
  EXPECT_EQ(works(grandchild), 401);
  EXPECT_EQ(works(sibling), 200);
}

// ---- a password change ends the keys ----

TEST_F(api_test, a_password_change_revokes_the_api_keys_unless_kept) {
  json k = json::parse(call("POST", "/api/v1/api-keys", R"({"name":"a","scopes":["read"]})").body);
  http::header_list h = {{"X-API-Key", k["key"]}, {"Authorization", ""}};
  ASSERT_EQ(call("GET", "/api/v1/users/me", "", h).status, 200);  // now cached as valid
  expect_problem(call("POST", "/api/v1/users/me/password",
                      R"({"current_password":"passw0rd-owner","new_password":"n3w-password",)"
                      R"("keep_api_keys":"yes"})"),
                 422, "VALIDATION_ERROR");
  ASSERT_EQ(call("POST", "/api/v1/users/me/password",
                 R"({"current_password":"passw0rd-owner","new_password":"n3w-password"})")
                .status,
            204);
  expect_problem(call("GET", "/api/v1/users/me", "", h), 401, "UNAUTHORIZED");
  EXPECT_EQ(json::parse(call("GET", "/api/v1/api-keys").body)["total"], 0);

  json kept =
      json::parse(call("POST", "/api/v1/api-keys", R"({"name":"b","scopes":["read"]})").body);
  http::header_list h2 = {{"X-API-Key", kept["key"]}, {"Authorization", ""}};
  ASSERT_EQ(call("POST", "/api/v1/users/me/password",
                 R"({"current_password":"n3w-password","new_password":"n3wer-password",)"
                 R"("keep_api_keys":true})")
                .status,
            204);
  EXPECT_EQ(call("GET", "/api/v1/users/me", "", h2).status, 200);
}

}  // namespace
}  // namespace vutf
