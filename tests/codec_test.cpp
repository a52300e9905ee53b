// Pure tests of the encodings: the cache's binary format, the JSON writer, gzip negotiation.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "config/json_nesting.hpp"
#include "config/json_writer.hpp"
#include "domain/encoding.hpp"
#include "domain/ids.hpp"
#include "domain/target.hpp"
#include "http/client_address.hpp"
#include "http/gzip.hpp"
#include "http/problem.hpp"
#include "storage/cache.hpp"
#include "storage/database.hpp"

namespace vutf {
namespace {

target sample() {
  target t;
  t.id = make_uuid();
  t.name = "n\"ame\\\n";
  t.description = std::string("with\0nul", 8);
  t.kind = "http-json";
  t.endpoint_url = "https://x.test/a";
  t.request_template_json = R"({"q":"{{prompt}}"})";
  t.response_path = "a.b";
  t.version = 7;
  t.created_at_ms = 1700000000123;
  return t;
}

TEST(cache_encoding, targets_and_pages_round_trip) {
  target t = sample();
  target back;
  ASSERT_TRUE(decode(encode(t), back));
  EXPECT_EQ(back.name, t.name);
  EXPECT_EQ(back.description, t.description);
  EXPECT_EQ(back.model, std::nullopt);
  EXPECT_EQ(back.request_template_json, t.request_template_json);
  EXPECT_EQ(back.version, 7);
  EXPECT_EQ(back.created_at_ms, t.created_at_ms);
  target_page p;
  p.items = {t, t};
  p.total = 42;
  p.page = 3;
  target_page pback;
  ASSERT_TRUE(decode(encode(p), pback));
  EXPECT_EQ(pback.items.size(), 2u);
  EXPECT_EQ(pback.total, 42);
  EXPECT_EQ(pback.page, 3);
}

TEST(cache_encoding, corrupt_entries_are_rejected) {
  std::string e = encode(sample());
  target t;
  for (size_t cut : {size_t{0}, size_t{1}, e.size() / 2, e.size() - 1})
    EXPECT_FALSE(decode(e.substr(0, cut), t)) << cut;
  EXPECT_FALSE(decode(e + "x", t));
  target_page p;
  EXPECT_FALSE(decode(e, p));  // a target is not a page
  std::string huge = "T" + std::string(8, '\xff');
  EXPECT_FALSE(decode(huge, t));
}

TEST(json_writer, escapes_and_stays_valid_json) {
  std::string nasty = std::string("q\"b\\s\n\t\x01", 8) + "\xff\xfe" + "é€😀";
  json_writer w;
  w.begin_object().key("s").value(nasty).key("n").value(int64_t{-5}).key("z").null();
  w.key("a").begin_array().value(int64_t{1}).raw("{\"x\":[]}").end_array().end_object();
  auto j = nlohmann::json::parse(w.take());
  EXPECT_EQ(j["s"], std::string("q\"b\\s\n\t\x01", 8) + "\xEF\xBF\xBD\xEF\xBF\xBD" + "é€😀");
  EXPECT_EQ(j["n"], -5);
  EXPECT_TRUE(j["z"].is_null());
  EXPECT_EQ(j["a"][1]["x"].size(), 0u);
}

TEST(json_nesting, finds_the_end_of_the_first_value_and_stops_at_the_depth_limit) {
  constexpr auto npos = std::string_view::npos;
  auto end = [](std::string_view s, size_t from = 0) {
    return measure_json_nesting(s, from, 3).end;
  };
  EXPECT_EQ(end(R"({"a":[1,{"b":"}]"}]} tail)"), 20u);  // brackets inside strings do not count
  EXPECT_EQ(end(R"(x {"q":"\"}"} y)", 2), 13u);         // nor do escaped quotes
  EXPECT_EQ(end(R"({"a":1)"), npos);                    // never closes
  EXPECT_EQ(end("] {}"), npos);                         // a stray closer ends the pass
  EXPECT_EQ(end("42"), npos);                           // a scalar has no brackets
  EXPECT_FALSE(measure_json_nesting("[[[1]]]", 0, 3).too_deep);
  auto deep = measure_json_nesting("[[[[1]]]]", 0, 3);
  EXPECT_TRUE(deep.too_deep);
  EXPECT_EQ(deep.end, npos);
  // Linear and bounded however deep the text goes: it stops at the limit.
  EXPECT_TRUE(measure_json_nesting(std::string(1 << 20, '['), 0, 64).too_deep);
}

TEST(gzip, accept_encoding_negotiation) {
  EXPECT_TRUE(http::accepts_gzip("gzip"));
  EXPECT_TRUE(http::accepts_gzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(http::accepts_gzip("*"));
  EXPECT_FALSE(http::accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(http::accepts_gzip("identity"));
  EXPECT_FALSE(http::accepts_gzip(""));
  EXPECT_FALSE(http::accepts_gzip("gzip;q=0, *"));
}

TEST(problem, every_error_has_one_status_and_a_stable_code) {
  EXPECT_EQ(http::http_status(errc::validation_error), 422);
  EXPECT_EQ(http::http_status(errc::db_pool_exhausted), 503);
  EXPECT_EQ(http::http_status(errc::request_timeout), 504);
  EXPECT_STREQ(error_code(errc::db_pool_exhausted), "DB_POOL_EXHAUSTED");
  auto body = nlohmann::json::parse(
      http::problem_body(errc::validation_error, "d", "/x", "rid", {{"name", "bad"}}));
  EXPECT_EQ(body["type"], "https://violentutf.dev/problems/validation-error");
  EXPECT_EQ(body["errors"][0]["field"], "name");
  auto plain = nlohmann::json::parse(http::problem_body(errc::not_found, "d", "/x", "rid"));
  EXPECT_FALSE(plain.contains("errors"));
}

TEST(validate, target_rules) {
  target t;
  t.name = std::string(101, 'a');
  t.kind = "openai-chat";
  t.endpoint_url = "http://user@host/";
  t.timeout_seconds = 0;
  t.max_concurrency = 65;
  std::set<std::string> fields;
  for (const auto& e : validate(t)) fields.insert(e.field);
  EXPECT_EQ(fields,
            (std::set<std::string>{"name", "endpoint_url", "timeout_seconds", "max_concurrency"}));
  t.name = std::string(100, 'a');
  t.endpoint_url = "https://[::1]:8080/v1";
  t.timeout_seconds = 300;
  t.max_concurrency = 64;
  EXPECT_TRUE(validate(t).empty());
  t.response_path = "";
  EXPECT_EQ(validate(t).size(), 1u);
}

TEST(validate, patching_the_endpoint_or_kind_drops_the_stored_headers) {
  target t;
  t.kind = "openai-chat";
  t.endpoint_url = "https://a.example/v1";
  t.headers_json = R"({"Authorization":"Bearer secret"})";
  target_patch same;
  same.endpoint_url = t.endpoint_url;  // not a change
  same.name = "renamed";
  apply_patch(t, same);
  EXPECT_EQ(t.headers_json, R"({"Authorization":"Bearer secret"})");
  target moved = t;
  target_patch to_b;
  to_b.endpoint_url = "https://b.example/v1";
  apply_patch(moved, to_b);
  EXPECT_EQ(moved.headers_json, "{}");
  target rekinded = t;
  target_patch kind;
  kind.kind = "http-json";
  apply_patch(rekinded, kind);
  EXPECT_EQ(rekinded.headers_json, "{}");
  target_patch with_headers = to_b;
  with_headers.headers_json = R"({"X-Key":"new"})";
  apply_patch(t, with_headers);
  EXPECT_EQ(t.headers_json, R"({"X-Key":"new"})");
}

TEST(validate, header_rules) {
  EXPECT_EQ(header_problem("Authorization", "Bearer x"), "");
  EXPECT_EQ(header_problem("X-Api-Key", std::string(8192, 'k')), "");
  for (const char* framing :
       {"Host", "content-length", "Transfer-Encoding", "CONNECTION", "Keep-Alive", "Upgrade", "TE",
        "Trailer", "Expect", "Proxy-Authorization", "Proxy-Connection"})
    EXPECT_NE(header_problem(framing, "x"), "") << framing;
  for (const std::string& value :
       {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3), std::string(8193, 'k')})
    EXPECT_NE(header_problem("X-Key", value), "");
  for (const std::string& name :
       {std::string(""), std::string("X Key"), std::string("X:Key"), std::string("X\r\nKey"),
        std::string("X\0", 2), std::string(101, 'x')})
    EXPECT_NE(header_problem(name, "v"), "") << name;
}

TEST(uuid, made_ids_are_lowercase_v4) {
  for (int i = 0; i < 100; ++i) {
    std::string id = make_uuid();
    EXPECT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
  }
  EXPECT_FALSE(is_uuid("00000000-0000-4000-8000-00000000000G"));
  EXPECT_FALSE(is_uuid("../etc/passwd"));
}

TEST(uuid, time_ordered_ids_sort_in_creation_order_within_a_millisecond) {
  std::string previous = make_time_ordered_uuid(1000);
  for (int i = 0; i < 5000; ++i) {  // more than the 4096 sequence values of one millisecond
    std::string id = make_time_ordered_uuid(1000);
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7');
    ASSERT_LT(previous, id);
    previous = id;
  }
  std::string later = make_time_ordered_uuid(5000);
  EXPECT_LT(previous, later);
  EXPECT_LT(later, make_time_ordered_uuid(4));  // a clock that steps back never reorders
}

TEST(urls, every_database_url_form_selects_its_database) {
  using storage::database_url;
  auto pg = storage::parse_database_url("postgresql+asyncpg://u:p@h:5/db");
  EXPECT_EQ(pg.type, database_url::kind::postgres);
  EXPECT_EQ(pg.conninfo, "postgresql://u:p@h:5/db");
  EXPECT_EQ(storage::parse_database_url("postgres://h/db").conninfo, "postgresql://h/db");
  auto lite = storage::parse_database_url("sqlite+aiosqlite:///./app.db");
  EXPECT_EQ(lite.type, database_url::kind::sqlite);
  EXPECT_EQ(lite.conninfo, "./app.db");
  EXPECT_EQ(storage::parse_database_url("sqlite:////var/lib/vutf.db").conninfo, "/var/lib/vutf.db");
  EXPECT_EQ(storage::parse_database_url("sqlite:///:memory:").conninfo, ":memory:");
  EXPECT_THROW(storage::parse_database_url("mysql://h/db"), std::invalid_argument);
}

TEST(urls, redis_urls) {
  auto r = storage::parse_redis_url("redis://:pw@cache.internal:6380/2");
  EXPECT_EQ(r.host, "cache.internal");
  EXPECT_EQ(r.port, 6380);
  EXPECT_EQ(r.password, "pw");
  EXPECT_EQ(r.db, 2);
  auto v6 = storage::parse_redis_url("redis://user:pw@[::1]:7000");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 7000);
  EXPECT_EQ(v6.username, "user");
  auto plain = storage::parse_redis_url("redis://localhost");
  EXPECT_EQ(plain.port, 6379);
  EXPECT_EQ(plain.db, 0);
}

TEST(memory_cache, ttl_lru_bound_and_counters) {
  storage::memory_cache c(100);
  c.set("a", std::string(40, 'x'), std::chrono::seconds(60));
  c.set("b", std::string(40, 'y'), std::chrono::seconds(60));
  EXPECT_TRUE(c.get("a"));  // a is now the most recently used
  c.set("c", std::string(40, 'z'), std::chrono::seconds(60));
  EXPECT_FALSE(c.get("b")) << "the least recently used entry goes first";
  EXPECT_TRUE(c.get("a"));
  EXPECT_LE(c.bytes(), 100u);
  c.set("gone", "v", std::chrono::seconds(0));
  EXPECT_FALSE(c.get("gone")) << "expired";
  c.set("huge", std::string(200, 'h'), std::chrono::seconds(60));
  EXPECT_FALSE(c.get("huge")) << "larger than the whole cache";
  auto minute = std::chrono::seconds(60);
  EXPECT_EQ(c.hit("n", minute, 1).count, 1);
  auto counted = c.hit("n", minute, 5);
  EXPECT_EQ(counted.count, 6);
  EXPECT_GT(counted.reset_s, 0);
  EXPECT_LE(counted.reset_s, 60);
  EXPECT_EQ(c.hit("n", minute, -1).count, 5);
  EXPECT_EQ(c.bump({"n", "fresh"}, minute), (std::vector<int64_t>{6, 0}))
      << "each key's new value, 0 for a missing one";
  EXPECT_EQ(c.get("n"), "6");
  EXPECT_FALSE(c.get("fresh")) << "a missing version is not created at 1 by a bump";
  auto [version, value] = c.versioned_get("global:s:version", 1000, "global:s:", "k", minute);
  EXPECT_EQ(version, 1000);
  EXPECT_FALSE(value);
  c.set("global:s:1000:k", "hit", std::chrono::seconds(60));
  EXPECT_EQ(c.versioned_get("global:s:version", 5, "global:s:", "k", minute).second, "hit");
}

TEST(client_address, forwarded_for_is_believed_only_from_trusted_proxies) {
  auto trusted = *parse_cidr_list("10.0.0.0/8, 2001:db8:1::/48");
  auto from = [&](const std::string& peer, http::header_list headers) {
    http::api_request r;
    r.remote_ip = peer;
    r.headers = std::move(headers);
    return http::client_address(r, trusted);
  };
  // No proxies configured, or a peer that is none: the peer, whatever the header says.
  http::api_request direct;
  direct.remote_ip = "10.0.0.1";
  direct.headers = {{"X-Forwarded-For", "192.0.2.1"}};
  EXPECT_EQ(http::client_address(direct, {}), "10.0.0.1");
  EXPECT_EQ(from("198.51.100.7", {{"X-Forwarded-For", "192.0.2.1"}}), "198.51.100.7");
  EXPECT_EQ(from("::ffff:198.51.100.7", {}), "198.51.100.7");
  // A trusted proxy: the last hop it was not itself given by another trusted proxy.
  EXPECT_EQ(from("10.0.0.1", {{"X-Forwarded-For", "192.0.2.1"}}), "192.0.2.1");
  EXPECT_EQ(from("10.0.0.1", {{"X-Forwarded-For", "6.6.6.6, 192.0.2.1, 10.2.3.4"}}), "192.0.2.1")
      << "what the client wrote before the first trusted hop is not believed";
  EXPECT_EQ(from("10.0.0.1", {{"x-forwarded-for", "6.6.6.6"}, {"X-Forwarded-For", "192.0.2.1"}}),
            "192.0.2.1")
      << "several headers are one list, in order";
  EXPECT_EQ(from("10.0.0.1", {{"X-Forwarded-For", "10.9.9.9, 10.2.3.4"}}), "10.9.9.9");
  EXPECT_EQ(from("10.0.0.1", {{"X-Forwarded-For", "junk, 10.2.3.4"}}), "10.2.3.4");
  EXPECT_EQ(from("10.0.0.1", {{"X-Forwarded-For", "192.0.2.1:4711"}}), "10.0.0.1");
  EXPECT_EQ(from("10.0.0.1", {}), "10.0.0.1");
  EXPECT_EQ(from("2001:db8:1::5", {{"X-Forwarded-For", "2001:0DB8:0002:0:0:0:0:9"}}),
            "2001:db8:2::9")
      << "canonical: a limit cannot be dodged by respelling an address";
}

}  // namespace
}  // namespace vutf

namespace vutf {
namespace {

// docs/api.md's table of problem types names every error with the type URI, status and code
// that problem_body sends.
TEST(problem, every_error_has_its_row_in_the_documented_problem_types) {
  std::ifstream f(std::string(VUTF_SOURCE_DIR) + "/docs/api.md");
  std::string doc((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (int i = static_cast<int>(errc::bad_request); i <= static_cast<int>(errc::internal_error);
       ++i) {
    auto e = static_cast<errc>(i);
    auto body = nlohmann::json::parse(http::problem_body(e, "d", "/x", "r"));
    std::string row = "| `" + body["type"].get<std::string>() + "` | " +
                      std::to_string(http::http_status(e)) + " | `" + error_code(e) + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
  }
}

}  // namespace
}  // namespace vutf
