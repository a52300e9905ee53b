// The audit store's tests, written once for both databases: audit_store_test.cpp runs them on
// SQLite, audit_store_pgtest.cpp on a live PostgreSQL. A batch is written in a few multi-row
// INSERTs (storage/audit_store.cpp); every record must come back whole, in any batch size.
#pragma once

#include <gtest/gtest.h>

#include <tuple>

#include "domain/audit.hpp"
#include "domain/ids.hpp"
#include "storage/audit_store.hpp"
#include "tests/support/store_fixture.hpp"

namespace vutf {

// `Backend::url()` names a new, empty database.
template <class Backend>
class audit_store : public test::store_fixture<Backend> {
 protected:
  using base = test::store_fixture<Backend>;
  using base::tx;

  // Record `i` of a batch: the optional fields empty on every third one (stored as NULL).
  static audit_record record(int64_t i) {
    audit_record a;
    a.timestamp_ms = 1'800'000'000'000 + i;
    a.id = make_time_ordered_uuid(a.timestamp_ms);
    a.request_id = "request-" + std::to_string(i);
    bool anonymous = i % 3 == 0;
    a.actor_id = anonymous ? "" : "user-" + std::to_string(i);
    a.actor_type = anonymous ? "anonymous" : "user";
    a.action = "target.create";
    a.resource_type = anonymous ? "" : "target";
    a.resource_id = anonymous ? "" : "target-" + std::to_string(i);
    a.outcome = i % 2 ? "success" : "failure";
    a.status_code = 200 + i;
    a.ip = anonymous ? "" : "10.0.0." + std::to_string(i % 250);
    a.user_agent = anonymous ? "" : "it's \"quoted\", \\ and 'single'";
    a.duration_ms = i * 7;
    return a;
  }

  // Every stored field of `a`, compared at once (and printed whole when they differ).
  static auto fields(const audit_record& a) {
    return std::make_tuple(a.id, a.timestamp_ms, a.request_id, a.actor_id, a.actor_type, a.action,
                           a.resource_type, a.resource_id, a.outcome, a.status_code, a.ip,
                           a.user_agent, a.duration_ms);
  }

  std::vector<audit_record> all() {
    audit_query q;
    q.newest_first = false;
    q.per_page = 1000;
    std::vector<audit_record> out;
    tx([&](storage::session& s) { out = storage::list_audit(s, q); });
    return out;
  }
};

TYPED_TEST_SUITE_P(audit_store);

TYPED_TEST_P(audit_store, batches_of_every_size_store_every_record_whole_and_in_order) {
  // 1, then 64 + 32 + 4 + 1 (101), then 127: every statement size, and remainders of each.
  std::vector<audit_record> written;
  int64_t i = 0;
  for (int64_t size : {1, 101, 127}) {
    std::vector<audit_record> batch;
    for (int64_t k = 0; k < size; ++k) batch.push_back(this->record(i++));
    this->tx([&](storage::session& s) { storage::insert_audit(s, batch); });
    written.insert(written.end(), batch.begin(), batch.end());
  }
  auto stored = this->all();
  ASSERT_EQ(stored.size(), written.size());
  for (size_t k = 0; k < written.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(this->fields(stored[k]), this->fields(written[k]));
  }
}

TYPED_TEST_P(audit_store, a_batch_holding_a_stored_id_fails_whole) {
  // The audit actor then writes the batch again one record at a time and drops only that one.
  auto first = this->record(1);
  this->tx([&](storage::session& s) { storage::insert_audit(s, {first}); });
  std::vector<audit_record> batch{this->record(2), first, this->record(3)};
  EXPECT_THROW(this->tx([&](storage::session& s) { storage::insert_audit(s, batch); }),
               storage::db_error);
  ASSERT_EQ(this->all().size(), 1u);
}

REGISTER_TYPED_TEST_SUITE_P(audit_store,
                            batches_of_every_size_store_every_record_whole_and_in_order,
                            a_batch_holding_a_stored_id_fails_whole);

}  // namespace vutf
