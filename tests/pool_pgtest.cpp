// The database pool against a live PostgreSQL, through messages injected into the service.
#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include <future>
#include <pqxx/pqxx>
#include <thread>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "storage/database.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

using test::sample_target;

// Holds an exclusive lock on the targets table until release(): every statement that touches
// the table waits, which keeps connections busy for as long as a test needs.
class table_lock {
 public:
  explicit table_lock(const std::string& url) : conn_(url), tx_(conn_) {
    tx_.exec("LOCK TABLE targets IN ACCESS EXCLUSIVE MODE");
  }
  void release() { tx_.abort(); }

 private:
  pqxx::connection conn_;
  pqxx::work tx_;
};

class pool_pgtest : public ::testing::Test {
 protected:
  void SetUp() override { log::configure("error", "json"); }

  std::unique_ptr<service> start(const env_map& overrides) {
    env_map env = {{"DATABASE_URL", url_}};
    for (const auto& [k, v] : overrides) env[k] = v;
    return std::make_unique<service>(test::make_settings(env), metrics_);
  }

  // Sends a create on another thread (it will block on the table lock).
  std::future<result<target>> create_async(service& svc, const std::string& name,
                                           clock::time_point deadline) {
    return std::async(std::launch::async, [&svc, name, deadline] {
      return svc.ask(target_create{test::someone(), sample_target(name), deadline});
    });
  }

  std::string url_ = test::fresh_pg_database();
  std::shared_ptr<metrics> metrics_ = std::make_shared<metrics>();
};

TEST_F(pool_pgtest, targets_round_trip_on_postgres) {
  auto svc = start({});
  auto created = svc->ask(target_create{test::someone(), sample_target("pg"), svc->deadline()});
  ASSERT_TRUE(created.ok()) << created.error->detail;
  auto got = svc->ask(target_get{test::someone(), created.value.id, svc->deadline()});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value.name, "pg");
  auto dup = svc->ask(target_create{test::someone(), sample_target("pg"), svc->deadline()});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error->code, errc::conflict);
  target_query q;
  auto page = svc->ask(target_list{test::someone(), q, svc->deadline()});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value.total, 1);
}

TEST_F(pool_pgtest, a_waiting_request_gets_db_pool_exhausted_after_the_pool_timeout) {
  auto svc = start({{"DATABASE_POOL_SIZE", "1"},
                    {"DATABASE_MAX_OVERFLOW", "0"},
                    {"DATABASE_POOL_TIMEOUT", "1"}});
  table_lock lock(url_);
  auto blocked = create_async(*svc, "first", svc->deadline());
  // The first create itself must hold the one connection: background work (the scheduler's
  // first round) may hold it a moment, and the second create would then take it first.
  ASSERT_TRUE(test::eventually([&] { return test::pg_lock_waiters(url_) == 1; }));
  ASSERT_EQ(svc->database_pool().in_use, 1);
  auto start = clock::now();
  auto second = svc->ask(target_create{test::someone(), sample_target("second"), svc->deadline()});
  auto waited = clock::now() - start;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error->code, errc::db_pool_exhausted);
  EXPECT_GE(waited, std::chrono::milliseconds(1000));
  // At least: the service's own background work (the scheduler's tick, the scan queue's claim)
  // may also have waited on the one connection and timed out meanwhile.
  EXPECT_GE(metrics_->db_pool_timeouts_total.Value(), 1);
  lock.release();
  EXPECT_TRUE(blocked.get().ok());
}

TEST_F(pool_pgtest, overflow_grows_under_load_and_shrinks_back_when_idle) {
  // One create per connection: with group commit, creates waiting together (behind background
  // work holding the one persistent connection) would share a connection.
  auto svc = start({{"DATABASE_POOL_SIZE", "1"},
                    {"DATABASE_MAX_OVERFLOW", "2"},
                    {"DATABASE_POOL_RECYCLE_IDLE", "1"},
                    {"DATABASE_GROUP_COMMIT_MAX", "1"}});
  table_lock lock(url_);
  std::vector<std::future<result<target>>> calls;
  for (int i = 0; i < 4; ++i)
    calls.push_back(create_async(*svc, "t" + std::to_string(i), svc->deadline()));
  // The fourth create waits; so may the service's own background work (the scheduler's tick,
  // the scan queue's claim), for as long as the creates hold every connection.
  ASSERT_TRUE(test::eventually([&] {
    auto s = svc->database_pool();
    return s.in_use == 3 && s.overflow_in_use == 2 && s.waiting >= 1;
  })) << "in_use="
      << svc->database_pool().in_use << " overflow_in_use=" << svc->database_pool().overflow_in_use
      << " waiting=" << svc->database_pool().waiting;
  lock.release();
  for (auto& c : calls) EXPECT_TRUE(c.get().ok());
  EXPECT_TRUE(test::eventually([&] {
    auto s = svc->database_pool();
    return s.overflow_in_use == 0 && s.idle == 1 && s.in_use == 0;
  }));
}

TEST_F(pool_pgtest, a_request_past_its_deadline_times_out_and_its_statement_is_cancelled) {
  auto svc = start({});
  table_lock lock(url_);
  auto r = svc->ask(target_create{test::someone(), sample_target("late"),
                                  clock::now() + std::chrono::milliseconds(700)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, errc::request_timeout);
  // The database itself gave up on the statement: nothing of ours waits on the lock any more.
  EXPECT_TRUE(test::eventually([&] { return test::pg_lock_waiters(url_) == 0; }));
  lock.release();
  EXPECT_TRUE(
      svc->ask(target_create{test::someone(), sample_target("after"), svc->deadline()}).ok());
}

// Group commit: creates that queue up behind the pool's one connection (held by a create that
// waits on the table lock) run in one transaction once it is free, each answered for itself.
class group_commit_pgtest : public pool_pgtest {
 protected:
  // Starts a one-connection service (MAX_TARGETS_PER_USER=`quota`), holds its connection with a
  // create named "first", queues creates named `names` behind it and returns all their results.
  std::vector<result<target>> queued_creates(const std::vector<std::string>& names,
                                             const std::string& quota = "100") {
    auto svc = start({{"DATABASE_POOL_SIZE", "1"},
                      {"DATABASE_MAX_OVERFLOW", "0"},
                      {"MAX_TARGETS_PER_USER", quota}});
    table_lock lock(url_);
    auto first = create_async(*svc, "first", svc->deadline());
    EXPECT_TRUE(test::eventually([&] { return test::pg_lock_waiters(url_) == 1; }));
    std::vector<std::future<result<target>>> calls;
    for (const auto& name : names) calls.push_back(create_async(*svc, name, svc->deadline()));
    // At least: background work of the service may wait for the connection too.
    EXPECT_TRUE(test::eventually(
        [&] { return svc->database_pool().waiting >= static_cast<int64_t>(names.size()); }));
    lock.release();
    EXPECT_TRUE(first.get().ok());
    std::vector<result<target>> out;
    for (auto& c : calls) out.push_back(c.get());
    target_query q;
    auto page = svc->ask(target_list{test::someone(), q, svc->deadline()});
    EXPECT_TRUE(page.ok());
    stored_ = page.value.total;
    return out;
  }

  int64_t stored_ = 0;  // the owner's targets afterwards, "first" included
};

TEST_F(group_commit_pgtest, queued_creates_share_one_transaction_and_all_are_stored) {
  auto results = queued_creates({"a", "b", "c", "d", "e"});
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.error->detail;
  EXPECT_EQ(stored_, 6);
  // Five writes waited together: at least one transaction ran several of them.
  EXPECT_GE(metrics_->db_write_batches_total.Value(), 1);
  EXPECT_GE(metrics_->db_batched_writes_total.Value(), 2);
  EXPECT_EQ(test::pg_query(
                url_, "SELECT n FROM owner_counts WHERE owner_id = 'user-1' AND kind = 'targets'"),
            "6");
}

TEST_F(group_commit_pgtest, a_duplicate_name_in_a_batch_is_refused_alone) {
  auto results = queued_creates({"a", "same", "b", "same", "c"});
  int conflicts = 0;
  for (const auto& r : results) {
    if (r.ok()) continue;
    EXPECT_EQ(r.error->code, errc::conflict);
    EXPECT_EQ(r.error->detail, "A target named 'same' already exists.");
    ++conflicts;
  }
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(stored_, 5);
  // The refused create gave its quota place back.
  EXPECT_EQ(test::pg_query(
                url_, "SELECT n FROM owner_counts WHERE owner_id = 'user-1' AND kind = 'targets'"),
            "5");
}

TEST_F(group_commit_pgtest, a_quota_reached_inside_a_batch_refuses_only_the_creates_over_it) {
  auto results = queued_creates({"a", "b", "c", "d", "e"}, "4");
  int refused = 0;
  for (const auto& r : results) {
    if (r.ok()) continue;
    EXPECT_EQ(r.error->code, errc::quota_exceeded);
    ++refused;
  }
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(stored_, 4);
}

TEST_F(pool_pgtest, many_concurrent_creates_of_one_owner_are_all_stored) {
  auto svc = start({});
  constexpr int clients = 32;
  constexpr int each = 8;
  std::vector<std::future<int>> done;
  for (int c = 0; c < clients; ++c)
    done.push_back(std::async(std::launch::async, [&svc, c] {
      int ok = 0;
      for (int i = 0; i < each; ++i)
        ok += svc->ask(target_create{test::someone(),
                                     sample_target(std::to_string(c) + "-" + std::to_string(i)),
                                     svc->deadline()})
                  .ok();
      return ok;
    }));
  int ok = 0;
  for (auto& d : done) ok += d.get();
  EXPECT_EQ(ok, clients * each);
  target_query q;
  auto page = svc->ask(target_list{test::someone(), q, svc->deadline()});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value.total, clients * each);
  EXPECT_EQ(test::pg_query(url_, "SELECT count(*) FROM targets"), std::to_string(clients * each));
}

TEST_F(pool_pgtest, lost_connections_are_reopened_without_failing_requests) {
  auto svc = start({{"DATABASE_POOL_SIZE", "2"}});
  ASSERT_TRUE(
      svc->ask(target_create{test::someone(), sample_target("before"), svc->deadline()}).ok());
  test::pg_query(url_,
                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
                 "current_database() AND application_name = 'violentutf-api' AND "
                 "pid <> pg_backend_pid()");
  for (int i = 0; i < 5; ++i) {
    auto r = svc->ask(target_create{test::someone(), sample_target("after" + std::to_string(i)),
                                    svc->deadline()});
    EXPECT_TRUE(r.ok()) << r.error->detail;
  }
}

TEST_F(pool_pgtest, migrations_are_safe_when_instances_start_at_once) {
  auto url = storage::parse_database_url(url_);
  std::vector<std::thread> starters;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i)
    starters.emplace_back([&] {
      try {
        auto c = storage::connect(url, {});
        storage::migrate(*c);
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : starters) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(test::pg_query(url_, "SELECT count(*) FROM schema_migrations"),
            std::to_string(storage::migrations().size()));
}

TEST(pg_restart, the_service_survives_a_database_restart) {
  log::configure("error", "json");
  test::pg_server pg;
  auto m = std::make_shared<metrics>();
  service svc(test::make_settings({{"DATABASE_URL", pg.url()}, {"DATABASE_POOL_SIZE", "2"}}), m);
  ASSERT_TRUE(
      svc.ask(target_create{test::someone(), sample_target("before"), svc.deadline()}).ok());
  pg.stop();
  auto down = svc.ask(target_create{test::someone(), sample_target("while-down"), svc.deadline()});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error->code, errc::db_unavailable);
  EXPECT_EQ(svc.probe().database.status, "down");
  pg.start();
  int n = 0;
  EXPECT_TRUE(test::eventually([&] {
    return svc
        .ask(target_create{test::someone(), sample_target("after" + std::to_string(n++)),
                           svc.deadline()})
        .ok();
  }));
  EXPECT_EQ(svc.probe().database.status, "up");
  target_query q;
  auto page = svc.ask(target_list{test::someone(), q, svc.deadline()});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value.total, 2);
}

}  // namespace
}  // namespace vutf
