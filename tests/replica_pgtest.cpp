// The read replica (DATABASE_READ_URL) against a real streaming replica: a private PostgreSQL,
// a pg_basebackup -R copy of it started on another loopback port, and the built binary between.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/support.hpp"

namespace vutf {
namespace {

// The value of the series `series` (name and labels as exposed) on the service's /metrics.
double metric(const test::service_process& p, const std::string& series) {
  httplib::Client m("127.0.0.1", p.metrics_port());
  auto r = m.Get("/metrics");
  if (!r) return -1;
  std::istringstream lines(r->body);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return 0;  // a labelled series not counted yet
}

const std::string replica_reads = R"(database_reads_total{pool="replica"})";
const std::string primary_reads = R"(database_reads_total{pool="primary"})";

// A user of the service. API keys are the resource of these tests: their list is read from the
// database on every call (no cache in front that would hide which pool answered).
struct caller {
  httplib::Client c;
  // `token`: the user's access token (instances that share SECRET_KEY all take it).
  caller(int port, const std::string& token) : c("127.0.0.1", port) {
    c.set_bearer_token_auth(token);
  }
  int create_key(const std::string& name) {
    auto r = c.Post("/api/v1/api-keys", R"({"name":")" + name + R"(","scopes":["read"]})",
                    "application/json");
    return r ? r->status : -1;
  }
  // The names of the caller's API keys; {"error"} when the list failed.
  std::vector<std::string> key_names() {
    auto r = c.Get("/api/v1/api-keys");
    if (!r || r->status != 200) {
      ADD_FAILURE() << "listing API keys: " << (r ? r->body : "no answer");
      return {"error"};
    }
    std::vector<std::string> names;
    auto page = nlohmann::json::parse(r->body);
    for (const auto& k : page["items"]) names.push_back(k["name"]);
    return names;
  }
};

// A new user, signed in through the instance on `port`.
caller signed_up(int port, const std::string& name) {
  return caller(port, test::login_over_http(port, name));
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(replica_pg, lists_come_from_the_replica_writers_read_their_writes_and_a_stop_falls_back) {
  test::pg_server primary;
  test::pg_replica replica(primary.port());
  // A replica paused on purpose (below) must stay in use: no lag limit worth the name.
  test::service_process p(env_map{{"DATABASE_URL", primary.url()},
                                  {"DATABASE_READ_URL", replica.url()},
                                  {"DATABASE_READ_MAX_LAG_SECONDS", "3600"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  ASSERT_TRUE(test::eventually([&] { return metric(p, "database_replica_up") == 1; })) << p.err();

  caller writer = signed_up(p.api_port(), "replica-writer");
  caller reader = signed_up(p.api_port(), "replica-reader");
  // A caller who has not written lately reads lists from the replica.
  ASSERT_TRUE(test::eventually([&] {
    double before = metric(p, replica_reads);
    return reader.key_names().empty() && metric(p, replica_reads) == before + 1;
  }));

  // The replica stops replaying: whatever is written now is on the primary only.
  test::pg_query(replica.url(), "SELECT pg_wal_replay_pause()");
  ASSERT_TRUE(test::eventually([&] {
    return test::pg_query(replica.url(), "SELECT pg_get_wal_replay_pause_state()") == "paused";
  }));
  ASSERT_EQ(writer.create_key("fresh"), 201);
  double from_primary = metric(p, primary_reads);
  // The writer's very next list has it: it came from the primary, the replica has not got it.
  EXPECT_TRUE(has(writer.key_names(), "fresh"));
  EXPECT_EQ(metric(p, primary_reads), from_primary + 1);
  EXPECT_EQ(test::pg_query(replica.url(), "SELECT count(*) FROM api_keys WHERE name = 'fresh'"),
            "0");
  // Meanwhile the reader, who wrote nothing, is still served by the replica.
  double from_replica = metric(p, replica_reads);
  EXPECT_TRUE(reader.key_names().empty());
  EXPECT_EQ(metric(p, replica_reads), from_replica + 1);

  // Once the replica has replayed the write, the writer's lists go back to it.
  test::pg_query(replica.url(), "SELECT pg_wal_replay_resume()");
  EXPECT_TRUE(test::eventually([&] {
    double before = metric(p, replica_reads);
    return has(writer.key_names(), "fresh") && metric(p, replica_reads) == before + 1;
  }));

  // The replica goes away: reads fall back to the primary, with no error on the way.
  replica.stop();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(has(writer.key_names(), "fresh"));
    EXPECT_TRUE(reader.key_names().empty());
  }
  EXPECT_TRUE(test::eventually([&] { return metric(p, "database_replica_up") == 0; }));
  from_primary = metric(p, primary_reads);
  EXPECT_TRUE(reader.key_names().empty());
  EXPECT_EQ(metric(p, primary_reads), from_primary + 1);
  EXPECT_NE(p.err().find("read replica not used"), std::string::npos) << p.err();
}

TEST(replica_pg, a_write_through_one_instance_is_read_back_through_another) {
  test::pg_server primary;
  test::pg_replica replica(primary.port());
  env_map env{{"DATABASE_URL", primary.url()},
              {"DATABASE_READ_URL", replica.url()},
              {"DATABASE_READ_MAX_LAG_SECONDS", "3600"},
              {"REDIS_URL", test::required_env("VUTF_TEST_REDIS_URL")},
              {"SECRET_KEY", "a-secret-key-both-instances-share-000"}};
  test::service_process a(env);
  test::service_process b(env);
  ASSERT_TRUE(a.wait_listening()) << a.err();
  ASSERT_TRUE(b.wait_listening()) << b.err();
  for (auto* p : {&a, &b})
    ASSERT_TRUE(test::eventually([&] { return metric(*p, "database_replica_up") == 1; }))
        << p->err();

  std::string token = test::login_over_http(a.api_port(), "across-writer");
  caller writer_on_a(a.api_port(), token);
  caller writer_on_b(b.api_port(), token);
  caller reader_on_b = signed_up(b.api_port(), "across-reader");
  ASSERT_TRUE(test::eventually([&] {
    double before = metric(b, replica_reads);
    return writer_on_b.key_names().empty() && metric(b, replica_reads) == before + 1;
  }));

  test::pg_query(replica.url(), "SELECT pg_wal_replay_pause()");
  ASSERT_TRUE(test::eventually([&] {
    return test::pg_query(replica.url(), "SELECT pg_get_wal_replay_pause_state()") == "paused";
  }));
  ASSERT_EQ(writer_on_a.create_key("across"), 201);
  // B never saw the write, yet the writer's next list through B has it, from the primary.
  double from_primary = metric(b, primary_reads);
  EXPECT_TRUE(has(writer_on_b.key_names(), "across"));
  EXPECT_EQ(metric(b, primary_reads), from_primary + 1);
  EXPECT_EQ(test::pg_query(replica.url(), "SELECT count(*) FROM api_keys WHERE name = 'across'"),
            "0");
  // Someone who wrote nothing is still served by B's replica.
  double from_replica = metric(b, replica_reads);
  EXPECT_TRUE(reader_on_b.key_names().empty());
  EXPECT_EQ(metric(b, replica_reads), from_replica + 1);

  // Once the replica has the write (and the skew margin has passed), B sends the writer there.
  test::pg_query(replica.url(), "SELECT pg_wal_replay_resume()");
  EXPECT_TRUE(test::eventually([&] {
    double before = metric(b, replica_reads);
    return has(writer_on_b.key_names(), "across") && metric(b, replica_reads) == before + 1;
  }));
}

TEST(replica_pg, a_read_url_pointing_nowhere_starts_and_reads_from_the_primary) {
  std::string db = test::fresh_pg_database();
  int closed = test::free_port();  // nothing listens there
  test::service_process p(env_map{{"DATABASE_URL", db},
                                  {"DATABASE_READ_URL", "postgresql://postgres@127.0.0.1:" +
                                                            std::to_string(closed) + "/postgres"}});
  ASSERT_TRUE(p.wait_listening()) << p.err();
  caller someone = signed_up(p.api_port(), "no-replica");
  ASSERT_EQ(someone.create_key("kept"), 201);
  EXPECT_TRUE(has(someone.key_names(), "kept"));
  EXPECT_TRUE(test::eventually([&] {
    return p.err().find("read replica not used") != std::string::npos;
  })) << p.err();
  EXPECT_EQ(metric(p, "database_replica_up"), 0);
  EXPECT_GE(metric(p, primary_reads), 1);
  EXPECT_EQ(metric(p, replica_reads), 0);
}

}  // namespace
}  // namespace vutf
