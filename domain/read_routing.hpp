// Where a database read goes when there is a read replica (DATABASE_READ_URL): the pure part of
// actors/db_router, decided from what its monitor last saw. A write's visibility on the replica
// is told by a fence: the monitor samples the primary's WAL end, remembering when the sample's
// query started, then the replica's replay position; once the replica has replayed past a
// sample, every write that had committed before that sample started is on the replica.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace vutf {

using read_clock = std::chrono::steady_clock;

// PostgreSQL's text form of a WAL position, "X/Y" (two hex numbers of at most 8 digits), as one
// ordered 64-bit number; nullopt when `text` is not one.
std::optional<uint64_t> parse_lsn(const std::string& text);

// What the monitor last saw of the replica.
struct replica_view {
  bool usable = false;  // answering, and lagging no more than DATABASE_READ_MAX_LAG_SECONDS
  // Every write that completed before this time is replayed on the replica (the fence).
  read_clock::time_point replayed_before{};
};

enum class read_pool { primary, replica };

// A task marked replica-eligible (list, report, export and statistics reads) goes to the replica
// when it is usable and has replayed its caller's last write (`callers_last_write`: when this
// instance saw that write complete; none when the caller has not written lately); every other
// task goes to the primary.
read_pool choose_pool(bool replica_eligible, const replica_view& replica,
                      std::optional<read_clock::time_point> callers_last_write);

// Read-your-writes across instances: each instance shares when a caller's writes complete
// (wall-clock milliseconds, kept `ttl`), and one that is about to send that caller's read to the
// replica first asks. The instances' clocks agree within this margin (NTP keeps them far
// closer); a shared time is taken that much later.
constexpr std::chrono::milliseconds clock_skew_margin{1000};

// When the caller's last write completed, on this instance's read clock, from the shared mark:
// `at_ms` when there is one, else (the mark expired or never was) no later than `ttl` ago.
read_clock::time_point shared_last_write(std::optional<int64_t> at_ms, std::chrono::seconds ttl,
                                         read_clock::time_point now,
                                         std::chrono::system_clock::time_point wall_now);

// The monitor's fence: primary positions waiting for the replica to replay them.
class replay_fence {
 public:
  // The primary's WAL ended at `lsn` when a query that started at `started` read it.
  void sampled(read_clock::time_point started, uint64_t lsn);
  // The replica has replayed up to `lsn`: every sample at or below it is passed.
  void replayed(uint64_t lsn);
  // The start of the latest sample passed: writes completed before it are on the replica.
  read_clock::time_point covered() const { return covered_; }

  // Samples kept while the replica lags; the oldest go first (a later sample covers more).
  static constexpr size_t max_pending = 64;

 private:
  std::deque<std::pair<read_clock::time_point, uint64_t>> pending_;
  read_clock::time_point covered_{};
};

}  // namespace vutf
