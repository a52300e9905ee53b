// The pure routing decision of the read-replica router (domain/read_routing).
#include "domain/read_routing.hpp"

#include <gtest/gtest.h>

namespace vutf {
namespace {

using namespace std::chrono_literals;

const read_clock::time_point t0 = read_clock::time_point{} + 1h;

replica_view usable_until(read_clock::time_point covered) {
  return replica_view{true, covered};
}

TEST(read_routing, lsns_parse_as_ordered_numbers) {
  EXPECT_EQ(parse_lsn("0/0"), 0u);
  EXPECT_EQ(parse_lsn("0/16B3748"), 0x16B3748u);
  EXPECT_EQ(parse_lsn("1/0"), 1ull << 32);
  EXPECT_EQ(parse_lsn("FFFFFFFF/ffffffff"), ~0ull);
  EXPECT_LT(*parse_lsn("0/FFFFFFFF"), *parse_lsn("1/0"));
  for (const char* bad : {"", "/", "0/", "/0", "0", "0/0/0", "G/0", "123456789/0", "0/-1", " 0/0"})
    EXPECT_FALSE(parse_lsn(bad)) << bad;
}

TEST(read_routing, only_eligible_reads_go_to_a_usable_replica) {
  auto r = usable_until(t0);
  EXPECT_EQ(choose_pool(true, r, std::nullopt), read_pool::replica);
  EXPECT_EQ(choose_pool(false, r, std::nullopt), read_pool::primary);
  EXPECT_EQ(choose_pool(true, replica_view{false, t0}, std::nullopt), read_pool::primary);
}

TEST(read_routing, a_caller_reads_from_the_primary_until_the_replica_has_its_write) {
  auto r = usable_until(t0);
  EXPECT_EQ(choose_pool(true, r, t0 + 1ms), read_pool::primary);  // written after the fence
  EXPECT_EQ(choose_pool(true, r, t0), read_pool::primary);        // at it: maybe not covered
  EXPECT_EQ(choose_pool(true, r, t0 - 1ms), read_pool::replica);  // before it: replayed
  // A write never makes a non-eligible read or an unusable replica any different.
  EXPECT_EQ(choose_pool(false, r, t0 - 1ms), read_pool::primary);
  EXPECT_EQ(choose_pool(true, replica_view{false, t0}, t0 - 1ms), read_pool::primary);
}

TEST(read_routing, a_write_shared_by_another_instance_counts_from_its_time_plus_the_skew_margin) {
  const auto wall = std::chrono::system_clock::time_point{} + 24h * 20000;
  const int64_t wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  // Marked 3 s ago on the other instance's clock: here, 3 s ago plus the margin.
  EXPECT_EQ(shared_last_write(wall_ms - 3000, 12s, t0, wall), t0 - 3s + clock_skew_margin);
  // A clock ahead of ours gives a time in our future: the read waits for the fence to get there.
  EXPECT_EQ(shared_last_write(wall_ms + 500, 12s, t0, wall), t0 + 500ms + clock_skew_margin);
  // No mark: no write within the mark's lifetime.
  EXPECT_EQ(shared_last_write(std::nullopt, 12s, t0, wall), t0 - 12s);
  // With the fence 2 s back, a write 3 s ago on a clock within the margin is on the replica,
  // one 1.5 s ago may not be, and a caller without a mark reads from it.
  auto r = usable_until(t0 - 2s);
  EXPECT_EQ(choose_pool(true, r, shared_last_write(wall_ms - 3500, 12s, t0, wall)),
            read_pool::replica);
  EXPECT_EQ(choose_pool(true, r, shared_last_write(wall_ms - 1500, 12s, t0, wall)),
            read_pool::primary);
  EXPECT_EQ(choose_pool(true, r, shared_last_write(std::nullopt, 12s, t0, wall)),
            read_pool::replica);
  // A fence stuck longer ago than a mark lives sends even those callers to the primary.
  EXPECT_EQ(
      choose_pool(true, usable_until(t0 - 13s), shared_last_write(std::nullopt, 12s, t0, wall)),
      read_pool::primary);
}

TEST(read_routing, the_fence_moves_to_the_latest_sample_the_replica_has_replayed) {
  replay_fence f;
  EXPECT_EQ(f.covered(), read_clock::time_point{});
  f.sampled(t0, 100);
  f.sampled(t0 + 1s, 200);
  f.sampled(t0 + 2s, 300);
  f.replayed(99);
  EXPECT_EQ(f.covered(), read_clock::time_point{});
  f.replayed(250);
  EXPECT_EQ(f.covered(), t0 + 1s);
  f.replayed(250);  // nothing new
  EXPECT_EQ(f.covered(), t0 + 1s);
  f.replayed(300);
  EXPECT_EQ(f.covered(), t0 + 2s);
  f.replayed(10);  // an older position never moves it back
  EXPECT_EQ(f.covered(), t0 + 2s);
}

TEST(read_routing, a_lagging_replica_keeps_the_newest_samples) {
  replay_fence f;
  for (size_t i = 0; i < replay_fence::max_pending + 10; ++i)
    f.sampled(t0 + std::chrono::seconds(i), 100 + i);
  f.replayed(100 + 9);  // the first ten samples were dropped: nothing at or below 109 is left
  EXPECT_EQ(f.covered(), read_clock::time_point{});
  f.replayed(100 + 10);
  EXPECT_EQ(f.covered(), t0 + 10s);
}

}  // namespace
}  // namespace vutf
