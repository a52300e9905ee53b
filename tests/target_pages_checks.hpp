// Pages of an owner's list by keyset range, written once for both databases: target_pages_test.cpp
// runs them on SQLite, target_pages_pgtest.cpp on a live PostgreSQL. Every page the list index
// starts (both created_at orders, the last partial page, past the end) equals the page OFFSET
// reads, through creates (many in one millisecond) and deletes interleaved with reads, while the
// index follows the writes by the version chain as the service's own writes carry it.
#pragma once

#include <gtest/gtest.h>

#include "config/time.hpp"
#include "domain/ids.hpp"
#include "storage/list_index.hpp"
#include "storage/target_store.hpp"
#include "tests/support/store_fixture.hpp"

namespace vutf {

// `Backend::url()` names a new, empty database.
template <class Backend>
class target_pages : public test::store_fixture<Backend> {
 protected:
  using base = test::store_fixture<Backend>;
  using base::owner_;
  using base::tx;

  // A target of `owner` created at `at_ms` (ids ordered in time, as the service makes them).
  target add(const std::string& owner, int64_t at_ms) {
    target t;
    t.id = make_time_ordered_uuid(at_ms);
    t.owner_id = owner;
    t.name = "t-" + t.id;
    t.kind = "openai-chat";
    t.endpoint_url = "http://127.0.0.1:9/v1/chat/completions";
    t.timeout_seconds = 30;
    t.max_concurrency = 1;
    t.version = 1;
    t.created_at_ms = t.updated_at_ms = at_ms;
    tx([&](storage::session& s) { ASSERT_TRUE(storage::insert_target(s, t, 100000)); });
    return t;
  }

  void remove(const target& t) {
    tx([&](storage::session& s) {
      ASSERT_TRUE(storage::delete_target(s, t.id, t.owner_id, now_ms()));
    });
  }

  // The ids of every page of the owner's list in `sort` order, by OFFSET and by keyset range
  // from where the index says each starts, one past the end included; both totals too.
  void expect_same_pages(const std::string& sort, int64_t per_page) {
    bool newest_first = sort == "-created_at";
    tx([&](storage::session& s) {
      target_query q;
      q.owner_id = owner_;
      q.sort = sort;
      q.per_page = per_page;
      int64_t total = storage::count_targets(s, q);
      for (q.page = 1; (q.page - 2) * per_page < total; ++q.page) {
        std::vector<std::string> by_offset, by_range;
        for (const auto& t : storage::list_targets(s, q, total)) by_offset.push_back(t.id);
        auto at = index_.page(owner_, version_, (q.page - 1) * per_page, newest_first);
        ASSERT_TRUE(at) << "the index is exact for the current version";
        ASSERT_EQ(at->total, total) << "the index's size is the owner's count";
        if (at->first)
          for (const auto& t :
               storage::list_targets_from(s, owner_, *at->first, newest_first, per_page))
            by_range.push_back(t.id);
        // OFFSET past the end reads nothing, as the service never asks it.
        if ((q.page - 1) * per_page >= total) by_offset.clear();
        EXPECT_EQ(by_range, by_offset) << sort << " page " << q.page << " of " << per_page;
      }
    });
  }

  void rebuild() {
    uint64_t read = index_.ticket();
    tx([&](storage::session& s) {
      ASSERT_TRUE(index_.install(owner_, ++version_, read, storage::target_keys(s, owner_)));
    });
  }

  // A write as the service does it: a ticket before, one after the commit, then the bump's v+1.
  target create(int64_t at_ms) {
    uint64_t before = index_.ticket();
    target t = add(owner_, at_ms);
    index_.apply(
        owner_, ++version_,
        {storage::list_index::change::op::add, {t.created_at_ms, t.id}, before, index_.ticket()});
    return t;
  }
  void destroy(const target& t) {
    remove(t);
    index_.apply(owner_, ++version_,
                 {storage::list_index::change::op::remove, {t.created_at_ms, t.id}});
  }

  storage::list_index index_{100000};
  int64_t version_ = 100;
};

TYPED_TEST_SUITE_P(target_pages);

TYPED_TEST_P(target_pages, keyset_pages_equal_offset_pages_through_creates_and_deletes) {
  // Five targets per millisecond, and another owner's in between: ties on created_at are
  // broken by id, in memory as in the database.
  std::vector<target> live;
  for (int64_t i = 0; i < 45; ++i) {
    live.push_back(this->add(this->owner_, 1000 + i / 5));
    this->add(this->other_, 1000 + i / 5);
  }
  this->rebuild();
  for (const char* sort : {"-created_at", "created_at"})
    for (int64_t per_page : {1, 7, 20, 45, 100}) this->expect_same_pages(sort, per_page);

  for (size_t round = 0; round < 6; ++round) {
    // Creates in the same millisecond as the newest, one in a new one; deletes here and there.
    live.push_back(this->create(live.back().created_at_ms));
    live.push_back(this->create(live.back().created_at_ms + 1));
    this->destroy(live[round * 5]);
    live.erase(live.begin() + static_cast<std::ptrdiff_t>(round * 5));
    this->destroy(live.back());
    live.pop_back();
    for (const char* sort : {"-created_at", "created_at"})
      for (int64_t per_page : {7, 20}) this->expect_same_pages(sort, per_page);
  }
  // And what a rebuild reads is what the writes made of the index.
  auto at = this->index_.page(this->owner_, this->version_, 0, true);
  ASSERT_TRUE(at);
  this->rebuild();
  EXPECT_EQ(this->index_.page(this->owner_, this->version_, 0, true)->total, at->total);
  EXPECT_EQ(this->index_.page(this->owner_, this->version_, 0, true)->first, at->first);
  EXPECT_EQ(at->total, static_cast<int64_t>(live.size()));
}

TYPED_TEST_P(target_pages, a_range_holds_the_owner_s_targets_from_its_key_on) {
  this->add(this->owner_, 1000);
  this->add(this->owner_, 1001);
  this->add(this->other_, 1000);
  const std::string last = "ffffffff-ffff-ffff-ffff-ffffffffffff";
  this->tx([&](storage::session& s) {
    auto both = storage::list_targets_from(s, this->owner_, {1001, last}, true, 20);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0].created_at_ms, 1001);
    EXPECT_EQ(both[1].owner_id, this->owner_);
    EXPECT_EQ(storage::list_targets_from(s, this->owner_, {1000, last}, true, 20).size(), 1u)
        << "from the key (1000, ffff...) down: only the older one";
    EXPECT_EQ(storage::list_targets_from(s, this->owner_, {1001, last}, false, 20).size(), 0u)
        << "from the same key up: nothing";
    EXPECT_EQ(storage::list_targets_from(s, this->owner_, {1001, last}, true, 1).size(), 1u);
  });
}

TYPED_TEST_P(target_pages, creates_racing_a_rebuild_are_settled_by_the_database) {
  for (int64_t i = 0; i < 10; ++i) this->add(this->owner_, 1000 + i);
  storage::list_index& index = this->index_;
  const std::string& owner = this->owner_;
  // One create commits after the keys were read, one commits and is deleted before: both
  // answered (bumped) after the rebuild, so the keys cannot tell which is which.
  uint64_t before = index.ticket();
  target gone = this->add(owner, 2000);
  this->remove(gone);
  uint64_t read = index.ticket();
  std::vector<storage::list_index::key> keys;
  this->tx([&](storage::session& s) { keys = storage::target_keys(s, owner); });
  target late = this->add(owner, 2001);
  uint64_t after = index.ticket();
  ASSERT_TRUE(index.install(owner, ++this->version_, read, keys));
  index.apply(owner, ++this->version_,
              {storage::list_index::change::op::add, {gone.created_at_ms, gone.id}, before, after});
  index.apply(owner, ++this->version_,
              {storage::list_index::change::op::add, {late.created_at_ms, late.id}, before, after});
  this->tx([&](storage::session& s) {
    bool built = false;
    auto at = storage::indexed_start(s, index, owner, this->version_, 0, true,
                                     storage::clock::now() + std::chrono::seconds(5), built);
    ASSERT_TRUE(at);
    EXPECT_FALSE(built);
    EXPECT_TRUE(at->unsure.empty());
    EXPECT_EQ(at->total, 11) << "the deleted one settled out, the late one in";
    EXPECT_EQ(at->first->id, late.id);
  });
  for (const char* sort : {"-created_at", "created_at"}) this->expect_same_pages(sort, 4);
}

REGISTER_TYPED_TEST_SUITE_P(target_pages,
                            keyset_pages_equal_offset_pages_through_creates_and_deletes,
                            a_range_holds_the_owner_s_targets_from_its_key_on,
                            creates_racing_a_rebuild_are_settled_by_the_database);

}  // namespace vutf
