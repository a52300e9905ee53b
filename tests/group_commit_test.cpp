// Group commit on SQLite (the embedded default): creates that queue up behind the pool's one
// connection share one transaction, each in a savepoint, and each is answered for itself.
#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include <filesystem>
#include <future>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "metrics/metrics.hpp"
#include "storage/database.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

namespace fs = std::filesystem;

// Holds SQLite's write lock (an open write transaction on a connection of its own) until
// release(): every write of the service waits, which keeps its one connection busy.
class write_lock {
 public:
  explicit write_lock(const std::string& path) {
    auto url = storage::parse_database_url("sqlite:///" + path);
    conn_ = storage::connect(url, {});
    std::promise<void> locked;
    auto is_locked = locked.get_future();
    holder_ = std::async(std::launch::async, [this, &locked, released = released_.get_future()] {
      conn_->transact(storage::access::write, storage::clock::now() + std::chrono::minutes(1),
                      [&](storage::session&) {
                        locked.set_value();
                        released.wait();
                      });
    });
    is_locked.wait();
  }
  ~write_lock() { release(); }
  void release() {
    if (holder_.valid()) {
      released_.set_value();
      holder_.get();
    }
  }

 private:
  std::unique_ptr<storage::connection> conn_;
  std::promise<void> released_;
  std::future<void> holder_;
};

class group_commit_test : public ::testing::Test {
 protected:
  void SetUp() override {
    log::configure("error", "json");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts a one-connection service (MAX_TARGETS_PER_USER=`quota`), holds its connection with a
  // create named "first" waiting on the write lock, queues creates named `names` behind it and
  // returns their results; stored_ is then the owner's count of targets.
  std::vector<result<target>> queued_creates(const std::vector<std::string>& names,
                                             const std::string& quota = "100") {
    std::string path = (fs::path(dir_) / "app.db").string();
    service svc(test::make_settings({{"DATABASE_URL", "sqlite:///" + path},
                                     {"DATABASE_POOL_SIZE", "1"},
                                     {"DATABASE_MAX_OVERFLOW", "0"},
                                     {"MAX_TARGETS_PER_USER", quota}}),
                metrics_);
    write_lock lock(path);
    auto create = [&svc](const std::string& name) {
      return std::async(std::launch::async, [&svc, name] {
        return svc.ask(target_create{test::someone(), test::sample_target(name), svc.deadline()});
      });
    };
    auto first = create("first");
    EXPECT_TRUE(test::eventually([&] { return svc.database_pool().in_use == 1; }));
    std::vector<std::future<result<target>>> calls;
    for (const auto& name : names) calls.push_back(create(name));
    // At least: background work of the service may wait for the connection too.
    EXPECT_TRUE(test::eventually(
        [&] { return svc.database_pool().waiting >= static_cast<int64_t>(names.size()); }));
    lock.release();
    EXPECT_TRUE(first.get().ok());
    std::vector<result<target>> out;
    for (auto& c : calls) out.push_back(c.get());
    auto page = svc.ask(target_list{test::someone(), target_query{}, svc.deadline()});
    EXPECT_TRUE(page.ok());
    stored_ = page.value.total;
    return out;
  }

  std::string dir_ =
      (fs::temp_directory_path() / ("vutf-group-commit-" + std::to_string(test::free_port())))
          .string();
  std::shared_ptr<metrics> metrics_ = std::make_shared<metrics>();
  int64_t stored_ = 0;
};

TEST_F(group_commit_test, queued_creates_share_a_transaction_and_a_duplicate_fails_alone) {
  auto results = queued_creates({"a", "same", "b", "same", "c"});
  int conflicts = 0;
  for (const auto& r : results) {
    if (r.ok()) continue;
    EXPECT_EQ(r.error->code, errc::conflict);
    ++conflicts;
  }
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(stored_, 5);
  EXPECT_GE(metrics_->db_write_batches_total.Value(), 1);
  EXPECT_GE(metrics_->db_batched_writes_total.Value(), 2);
}

TEST_F(group_commit_test, a_quota_reached_inside_a_batch_refuses_only_the_creates_over_it) {
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

}  // namespace
}  // namespace vutf
