// Retention: audit records older than AUDIT_RETENTION_DAYS and expired Idempotency-Key records
// are purged in batches; younger ones stay. Time is injected as the rows' own timestamps (and
// the `now` the store functions take), never waited for.
#include <gtest/gtest.h>

#include <cstdlib>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "metrics/metrics.hpp"
#include "storage/audit_store.hpp"
#include "storage/database.hpp"
#include "storage/idempotency_store.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

constexpr int64_t day_ms = 86400000;
constexpr int64_t hour_ms = 3600000;

const storage::statement idempotency_count{"test_idempotency_count",
                                           "SELECT COUNT(*) FROM idempotency_keys"};

audit_record record_at(int64_t ts, const std::string& request_id) {
  audit_record a;
  a.timestamp_ms = ts;
  a.id = make_time_ordered_uuid(ts);
  a.request_id = request_id;
  a.actor_type = "anonymous";
  a.action = "auth.login";
  a.outcome = "failure";
  a.status_code = 401;
  return a;
}

std::vector<std::string> request_ids(storage::session& s) {
  audit_query q;
  q.newest_first = false;
  q.per_page = 100;
  std::vector<std::string> out;
  for (const auto& a : storage::list_audit(s, q)) out.push_back(a.request_id);
  return out;
}

void in_transaction(storage::connection& c, const std::function<void(storage::session&)>& fn) {
  c.transact(storage::access::write, clock::now() + std::chrono::seconds(10), fn);
}

TEST(retention_store, audit_records_before_the_cutoff_go_in_batches_oldest_first) {
  auto c = storage::connect(storage::parse_database_url("sqlite:///:memory:"), {});
  storage::migrate(*c);
  int64_t now = 1'800'000'000'000;
  in_transaction(*c, [&](storage::session& s) {
    storage::insert_audit(
        s, {record_at(now - 40 * day_ms, "oldest"), record_at(now - 31 * day_ms, "old"),
            record_at(now - 30 * day_ms - 1, "just old"),
            record_at(now - 30 * day_ms, "at the cutoff"), record_at(now - day_ms, "recent")});
    int64_t cutoff = now - 30 * day_ms;
    EXPECT_EQ(storage::purge_audit(s, cutoff, 2), 2);  // a full batch: more may be due
    EXPECT_EQ(request_ids(s), (std::vector<std::string>{"just old", "at the cutoff", "recent"}));
    EXPECT_EQ(storage::purge_audit(s, cutoff, 2), 1);
    EXPECT_EQ(storage::purge_audit(s, cutoff, 2), 0);
    EXPECT_EQ(request_ids(s), (std::vector<std::string>{"at the cutoff", "recent"}));
  });
}

TEST(retention_store, idempotency_records_go_once_expired) {
  auto c = storage::connect(storage::parse_database_url("sqlite:///:memory:"), {});
  storage::migrate(*c);
  int64_t now = 1'800'000'000'000;
  in_transaction(*c, [&](storage::session& s) {
    for (int64_t age : {48, 25, 24, 23, 1})
      storage::claim_idempotency_key(s, "user:u", "key-" + std::to_string(age), "hash",
                                     now - age * hour_ms, now - age * hour_ms + 24 * hour_ms);
    EXPECT_EQ(storage::purge_idempotency_keys(s, now, 100), 3);  // 48, 25 and 24 h old
    EXPECT_EQ(storage::count_of(s, idempotency_count, {}), 2);
    // The records left still replay.
    auto held = storage::claim_idempotency_key(s, "user:u", "key-23", "hash", now, now + 1);
    EXPECT_TRUE(held.has_value());
  });
}

// The service runs the purge with AUDIT_RETENTION_DAYS and keeps what is younger.
TEST(retention_service, a_round_purges_what_outlived_its_retention) {
  log::configure("error", "json");
  char tmpl[] = "/tmp/vutf-retention.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string url = "sqlite:///" + dir + "/app.db";
  auto m = std::make_shared<metrics>();
  {
    service svc(test::make_settings({{"DATABASE_URL", url}, {"AUDIT_RETENTION_DAYS", "30"}}), m);
    int64_t now = now_ms();
    svc.record(record_at(now - 31 * day_ms, "past retention"));
    svc.record(record_at(now - 29 * day_ms, "within retention"));
    principal admin = test::someone("admin");
    admin.roles = {"user", "admin"};
    audit_query all;
    ASSERT_TRUE(test::eventually([&] {
      return svc.ask(audit_list{admin, all, svc.deadline()}).value.total == 2;
    }));
    auto c = storage::connect(storage::parse_database_url(url), {});
    in_transaction(*c, [&](storage::session& s) {
      storage::claim_idempotency_key(s, "user:u", "expired", "h", now - 25 * hour_ms,
                                     now - hour_ms);
      storage::claim_idempotency_key(s, "user:u", "live", "h", now, now + 24 * hour_ms);
    });

    EXPECT_EQ(svc.purge_expired(), 2);
    auto left = svc.ask(audit_list{admin, all, svc.deadline()}).value;
    ASSERT_EQ(left.total, 1);
    EXPECT_EQ(left.items[0].request_id, "within retention");
    in_transaction(*c, [&](storage::session& s) {
      EXPECT_EQ(storage::count_of(s, idempotency_count, {}), 1);
    });
    EXPECT_EQ(m->retention_rows_deleted_total.with({"audit_logs"}).Value(), 1);
    EXPECT_EQ(m->retention_rows_deleted_total.with({"idempotency_keys"}).Value(), 1);
    EXPECT_EQ(svc.purge_expired(), 0);
  }
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace vutf
