// The list index's structure: where pages start (both orders, the last partial page, past the
// end), the version chain that carries this instance's own writes forward (in order, answered
// out of order, a gap, a failed bump, a re-seeded version), the versions the keys serve, the
// reads that wait for own bumps or for another read's build, the tickets that keep a write
// racing a rebuild from bringing back a deleted key (unsure until settled), its bound, and its
// use from many threads.
#include "storage/list_index.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace vutf::storage {
namespace {

using key = list_index::key;
using op = list_index::change::op;

// The n-th key: created at n ms, with a canonical UUID that sorts like n.
key nth(int64_t n) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-7000-8000-%012llx",
                static_cast<unsigned long long>(n));
  return key{n, id};
}

std::vector<key> keys_from(int64_t first, int64_t last) {
  std::vector<key> out;
  for (int64_t n = last; n >= first; --n) out.push_back(nth(n));  // any order will do
  return out;
}

// Where the page at `offset` starts, as created_at, or -1 past the end; -2 when not exact.
int64_t start(list_index& x, int64_t version, int64_t offset, bool newest_first = true) {
  auto at = x.page("alice", version, offset, newest_first);
  if (!at) return -2;
  return at->first ? at->first->created_at : -1;
}

list_index::change add(int64_t n, uint64_t before, uint64_t after) {
  return {op::add, nth(n), before, after};
}
list_index::change remove(int64_t n) {
  return {op::remove, nth(n)};
}

TEST(list_index, keys_as_old_as_max_age_are_dropped_and_rebuilt) {
  // A write on another instance whose bump failed leaves the version where it was: only age
  // ends what such keys leave out. max_age 0: every key set is already too old to use.
  list_index x(1000, std::chrono::seconds(0));
  ASSERT_TRUE(x.install("alice", 7, x.ticket(), keys_from(1, 45)));
  EXPECT_FALSE(x.page("alice", 7, 0, true));
  EXPECT_EQ(x.owners(), 0u) << "dropped, so the next read may install afresh";
  EXPECT_TRUE(x.install("alice", 7, x.ticket(), keys_from(1, 46)));
}

TEST(list_index, pages_start_at_their_key_in_either_order) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 7, x.ticket(), keys_from(1, 45)));
  auto first = x.page("alice", 7, 0, true);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->total, 45);
  EXPECT_EQ(first->first, nth(45)) << "newest first: page 1 starts at the newest";
  EXPECT_EQ(start(x, 7, 20), 25);
  EXPECT_EQ(start(x, 7, 40), 5) << "the last, partial page";
  EXPECT_EQ(start(x, 7, 45), -1) << "past the end";
  EXPECT_EQ(start(x, 7, 0, false), 1) << "oldest first: page 1 starts at the oldest";
  EXPECT_EQ(start(x, 7, 40, false), 41);
  EXPECT_EQ(start(x, 7, 45, false), -1);
  EXPECT_EQ(start(x, 8, 0), -2) << "keys exact for version 7 say nothing of version 8";
  EXPECT_FALSE(x.page("bob", 7, 0, true));
}

TEST(list_index, an_empty_list_is_exact_too) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 1, x.ticket(), {}));
  auto at = x.page("alice", 1, 0, true);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->total, 0);
  EXPECT_FALSE(at->first);
}

TEST(list_index, refuses_ids_that_are_not_canonical_uuids) {
  list_index x(1000);
  std::vector<key> keys = keys_from(1, 3);
  keys[1].id = "not-a-uuid";
  EXPECT_FALSE(x.install("alice", 1, x.ticket(), keys));
  keys[1] = nth(2);
  keys[1].id[0] = 'A';  // upper case would sort apart from the database's text order
  EXPECT_FALSE(x.install("alice", 1, x.ticket(), keys));
  EXPECT_EQ(x.owners(), 0u);
}

TEST(list_index, keeps_only_newer_versions) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 5, x.ticket(), keys_from(1, 3)));
  EXPECT_FALSE(x.install("alice", 5, x.ticket(), keys_from(1, 9)));
  EXPECT_FALSE(x.install("alice", 4, x.ticket(), keys_from(1, 9)));
  EXPECT_EQ(x.page("alice", 5, 0, true)->total, 3);
  EXPECT_TRUE(x.install("alice", 6, x.ticket(), keys_from(1, 9)));
  EXPECT_EQ(x.page("alice", 6, 0, true)->total, 9);
  EXPECT_EQ(x.keys(), 9u);
}

TEST(list_index, an_own_write_moving_the_version_by_one_carries_the_keys_forward) {
  list_index x(1000);
  uint64_t before = x.ticket();
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t later = x.ticket();
  // A write that ran after the keys were read, answered v+1: applied.
  x.apply("alice", 11, add(6, later, x.ticket()));
  EXPECT_EQ(x.page("alice", 11, 0, true)->total, 6);
  EXPECT_EQ(start(x, 11, 0), 6);
  x.apply("alice", 12, remove(3));
  EXPECT_EQ(x.page("alice", 12, 0, true)->total, 5);
  EXPECT_EQ(start(x, 12, 3), 2) << "newest first: 6 5 4 2 1";
  x.apply("alice", 13, {});  // an update: the keys stay, the version moves
  EXPECT_EQ(x.page("alice", 13, 0, true)->total, 5);
  EXPECT_EQ(start(x, 12, 0), 6) << "a read that saw 12 gets the list as it is now";
  EXPECT_EQ(start(x, 9, 0), -2) << "a version before the keys were read";
  // A bump at or below the version the keys were read at was there before they were read.
  x.apply("alice", 10, add(99, before, before));
  EXPECT_EQ(x.page("alice", 13, 0, true)->total, 5);
}

TEST(list_index, knows_when_the_list_moved_past_a_version_that_a_page_was_read_at) {
  list_index x(1000);
  EXPECT_FALSE(x.moved_past("alice", 10)) << "nothing known of alice";
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  EXPECT_FALSE(x.moved_past("alice", 10));
  x.bumping("alice");
  EXPECT_TRUE(x.moved_past("alice", 10)) << "an own bump is on its way";
  x.apply("alice", 11, add(6, x.ticket(), x.ticket()));
  EXPECT_TRUE(x.moved_past("alice", 10)) << "carried to 11";
  EXPECT_FALSE(x.moved_past("alice", 11));
  EXPECT_FALSE(x.moved_past("bob", 1));
}

TEST(list_index, own_writes_answered_out_of_order_apply_in_version_order) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t t = x.ticket();
  x.apply("alice", 12, add(7, t, t));
  EXPECT_FALSE(x.page("alice", 12, 0, true)) << "version 11 is not applied yet";
  EXPECT_EQ(x.page("alice", 10, 0, true)->total, 5);
  x.apply("alice", 11, add(6, t, t));
  ASSERT_TRUE(x.page("alice", 12, 0, true));
  EXPECT_EQ(x.page("alice", 12, 0, true)->total, 7);
  EXPECT_EQ(start(x, 12, 0), 7);
}

TEST(list_index, a_version_nobody_here_wrote_leaves_the_keys_unusable) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t t = x.ticket();
  // Version 11 was another instance's write: this one's is 12, and 11 never comes.
  x.apply("alice", 12, add(6, t, t));
  EXPECT_EQ(start(x, 11, 0), -2);
  EXPECT_EQ(start(x, 12, 0), -2) << "a gap is never bridged";
  // More such writes than are kept waiting (two batches of bumps' worth): the keys go.
  for (int64_t v = 13; v < 13 + 520; ++v) x.apply("alice", v, {});
  EXPECT_EQ(x.owners(), 0u);
}

TEST(list_index, a_bump_that_did_not_happen_drops_the_keys) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t t = x.ticket();
  x.apply("alice", 0, add(6, t, t));
  EXPECT_EQ(x.owners(), 0u);
  EXPECT_EQ(start(x, 10, 0), -2);
}

TEST(list_index, keys_serve_every_version_their_own_writes_carried_them_through) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t t = x.ticket();
  x.apply("alice", 11, add(6, t, x.ticket()));
  x.apply("alice", 12, add(7, t, x.ticket()));
  // A read that saw 10 or 11 (its lookup came before these writes were applied) gets the list
  // as it is now, with them: as a read of the database now would.
  EXPECT_EQ(start(x, 10, 0), 7);
  EXPECT_EQ(start(x, 11, 0), 7);
  EXPECT_EQ(x.page("alice", 10, 0, true)->total, 7);
  EXPECT_EQ(start(x, 9, 0), -2) << "before the keys were read: not theirs to tell";
  EXPECT_EQ(start(x, 13, 0), -2) << "past the chain: a write they do not hold";
}

TEST(list_index, a_version_the_chain_already_passed_through_drops_the_keys) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t t = x.ticket();
  x.apply("alice", 10, add(99, t, t));  // bumped before the keys were read: they hold it
  EXPECT_EQ(x.page("alice", 10, 0, true)->total, 5);
  x.apply("alice", 11, add(6, t, t));
  // 11 again: the version key expired and was seeded again, lower; the chain cannot be trusted.
  x.apply("alice", 11, add(7, t, t));
  EXPECT_EQ(x.owners(), 0u);
}

TEST(list_index, a_read_behind_by_own_unanswered_bumps_waits_for_them) {
  using step = list_index::step;
  constexpr std::chrono::milliseconds none{0};
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  EXPECT_EQ(x.prepare("alice", 10, none), step::serve);
  EXPECT_EQ(x.prepare("alice", 11, none), step::build) << "no own bump in flight: another wrote";
  x.built("alice");
  x.bumping("alice");
  x.bumping("alice");
  EXPECT_EQ(x.prepare("alice", 12, none), step::offset) << "catching up; no patience: OFFSET";
  EXPECT_EQ(x.prepare("alice", 13, none), step::build) << "more versions than own bumps";
  x.built("alice");
  EXPECT_EQ(x.prepare("alice", 9, none), step::offset) << "a rebuild for 9 would be refused";
  EXPECT_EQ(x.prepare("bob", 11, none), step::build);
  x.built("bob");
  // Answered while a read waits (or before it begins to): the read is served.
  uint64_t t = x.ticket();
  std::thread answers([&] {
    x.apply("alice", 11, add(6, t, t));
    x.apply("alice", 12, add(7, t, t));
  });
  EXPECT_EQ(x.prepare("alice", 12, std::chrono::minutes(1)), step::serve);
  answers.join();
  EXPECT_EQ(start(x, 12, 0), 7);
  // One answered out of order waits on another that may never come: rebuild rather than wait.
  x.bumping("alice");
  x.bumping("alice");
  x.apply("alice", 14, add(8, t, t));
  EXPECT_EQ(x.prepare("alice", 14, none), step::build);
}

TEST(list_index, one_read_per_owner_builds_the_keys_while_the_others_wait_for_them) {
  using step = list_index::step;
  constexpr std::chrono::milliseconds none{0};
  list_index x(1000);
  EXPECT_EQ(x.prepare("alice", 10, none), step::build);
  EXPECT_EQ(x.prepare("alice", 10, none), step::offset) << "another read builds; no patience";
  EXPECT_EQ(x.prepare("bob", 10, none), step::build) << "one build per owner, not per index";
  std::thread builder([&] {
    x.install("alice", 10, x.ticket(), keys_from(1, 5));
    x.built("alice");
  });
  EXPECT_EQ(x.prepare("alice", 10, std::chrono::minutes(1)), step::serve);
  builder.join();
  // A build that installed nothing (its read failed, or was refused) hands the build on.
  x.built("bob");
  EXPECT_EQ(x.prepare("bob", 10, none), step::build);
}

TEST(list_index, drop_and_clear_forget_the_keys) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 1, x.ticket(), keys_from(1, 5)));
  ASSERT_TRUE(x.install("bob", 1, x.ticket(), keys_from(1, 5)));
  x.drop("alice");
  EXPECT_EQ(start(x, 1, 0), -2);
  EXPECT_TRUE(x.page("bob", 1, 0, true));
  x.clear();
  EXPECT_FALSE(x.page("bob", 1, 0, true));
  EXPECT_EQ(x.keys(), 0u);
}

TEST(list_index, an_add_applies_to_keys_read_before_its_write_ran) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t before = x.ticket(), after = x.ticket();
  x.apply("alice", 11, add(6, before, after));
  EXPECT_EQ(x.page("alice", 11, 0, true)->total, 6);
}

TEST(list_index, an_add_is_a_no_op_on_keys_read_after_its_write_committed) {
  // The key was created, then deleted (anywhere), and the keys were read after both: the
  // create's bump, answered later, must not bring it back.
  list_index x(1000);
  uint64_t before = x.ticket(), after = x.ticket();
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  x.apply("alice", 11, add(6, before, after));
  EXPECT_EQ(x.page("alice", 11, 0, true)->total, 5);
}

TEST(list_index, an_add_racing_the_read_of_the_keys_is_unsure_until_the_database_settles_it) {
  list_index x(1000);
  uint64_t before = x.ticket();
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 6)));
  uint64_t after = x.ticket();
  x.apply("alice", 11, add(6, before, after));
  EXPECT_EQ(x.page("alice", 11, 0, true)->total, 6) << "the read saw it: nothing to tell";
  EXPECT_TRUE(x.page("alice", 11, 0, true)->unsure.empty());
  // Not there: not committed yet when the keys were read, or deleted since? Ask first.
  x.apply("alice", 12, add(7, before, after));
  x.apply("alice", 13, add(8, before, after));
  auto at = x.page("alice", 13, 0, true);
  ASSERT_TRUE(at);
  EXPECT_FALSE(at->first) << "no page until settled";
  ASSERT_EQ(at->unsure, (std::vector<key>{nth(7), nth(8)}));
  x.settle("alice", at->unsure, {nth(8).id});  // 7 is live, 8 was deleted
  at = x.page("alice", 13, 0, true);
  ASSERT_TRUE(at);
  EXPECT_TRUE(at->unsure.empty());
  EXPECT_EQ(at->total, 7);
  EXPECT_EQ(at->first, nth(7));
}

TEST(list_index, only_the_keys_checked_are_settled) {
  list_index x(1000);
  uint64_t before = x.ticket();
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t after = x.ticket();
  x.apply("alice", 11, add(6, before, after));
  auto checked = x.page("alice", 11, 0, true)->unsure;
  x.apply("alice", 12, add(7, before, after));  // between the check and the settle
  x.settle("alice", checked, {});
  EXPECT_EQ(x.page("alice", 12, 0, true)->unsure, (std::vector<key>{nth(7)}));
}

TEST(list_index, a_remove_answered_before_its_add_keeps_the_key_out) {
  list_index x(1000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  uint64_t before = x.ticket(), after = x.ticket();
  x.apply("alice", 11, remove(6));  // the delete's bump came first
  x.apply("alice", 12, add(6, before, after));
  auto at = x.page("alice", 12, 0, true);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->total, 5);
  EXPECT_EQ(at->first, nth(5));
}

TEST(list_index, what_an_owner_remembers_beside_its_keys_is_bounded_too) {
  // Removes of keys not there yet: past 1 024, the keys go rather than the memory growing.
  list_index x(100000);
  ASSERT_TRUE(x.install("alice", 10, x.ticket(), keys_from(1, 5)));
  for (int64_t v = 1; v <= 1024; ++v) x.apply("alice", 10 + v, remove(1000 + v));
  EXPECT_EQ(x.owners(), 1u);
  x.apply("alice", 1035, remove(5000));
  EXPECT_EQ(x.owners(), 0u);
  // Adds racing the read (unsure until settled): the same bound.
  uint64_t before = x.ticket();
  ASSERT_TRUE(x.install("alice", 2000, x.ticket(), keys_from(1, 5)));
  uint64_t after = x.ticket();
  for (int64_t v = 1; v <= 1024; ++v) x.apply("alice", 2000 + v, add(1000 + v, before, after));
  EXPECT_EQ(x.page("alice", 3024, 0, true)->unsure.size(), 1024u);
  x.apply("alice", 3025, add(5000, before, after));
  EXPECT_EQ(x.owners(), 0u);
}

TEST(list_index, the_least_recently_listed_owners_go_beyond_the_bound) {
  list_index x(10);
  ASSERT_TRUE(x.install("alice", 1, x.ticket(), keys_from(1, 4)));
  ASSERT_TRUE(x.install("bob", 1, x.ticket(), keys_from(1, 4)));
  ASSERT_TRUE(x.page("alice", 1, 0, true));  // alice is now the most recently used
  ASSERT_TRUE(x.install("carol", 1, x.ticket(), keys_from(1, 4)));
  EXPECT_TRUE(x.page("alice", 1, 0, true));
  EXPECT_FALSE(x.page("bob", 1, 0, true));
  EXPECT_TRUE(x.page("carol", 1, 0, true));
  EXPECT_LE(x.keys(), 10u);
  EXPECT_FALSE(x.install("dave", 1, x.ticket(), keys_from(1, 11))) << "larger than the bound";
  for (int i = 0; i < 20; ++i) x.install("empty" + std::to_string(i), 1, x.ticket(), {});
  EXPECT_LE(x.owners(), 10u) << "owners of empty lists count against the bound too";
}

TEST(list_index, writers_and_readers_on_many_threads_agree_on_the_result) {
  list_index x(100000);
  ASSERT_TRUE(x.install("alice", 1000, x.ticket(), {}));
  constexpr int64_t threads = 4, each = 250;
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t) {
    pool.emplace_back([&x, t] {
      for (int64_t i = 0; i < each; ++i) {
        int64_t n = i * threads + t + 1;
        uint64_t before = x.ticket();
        // Versions answered in any order across threads: each thread owns every threads-th one.
        x.apply("alice", 1000 + n, add(n, before, x.ticket()));
        x.page("alice", 1000 + n, 0, true);
      }
    });
  }
  for (auto& th : pool) th.join();
  auto at = x.page("alice", 1000 + threads * each, 0, true);
  if (at) {  // answered too far out of order, the keys were dropped: never wrong
    EXPECT_EQ(at->total, threads * each);
    EXPECT_EQ(at->first, nth(threads * each));
  } else {
    EXPECT_EQ(x.owners(), 0u);
  }
}

}  // namespace
}  // namespace vutf::storage
