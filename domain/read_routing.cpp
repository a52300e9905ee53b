#include "domain/read_routing.hpp"

namespace vutf {
namespace {

std::optional<uint64_t> hex32(const std::string& text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int digit = 0;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else
      return std::nullopt;
    v = v * 16 + static_cast<uint64_t>(digit);
  }
  return v;
}

}  // namespace

std::optional<uint64_t> parse_lsn(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto high = hex32(text.substr(0, slash));
  auto low = hex32(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return (*high << 32) | *low;
}

read_pool choose_pool(bool replica_eligible, const replica_view& replica,
                      std::optional<read_clock::time_point> callers_last_write) {
  if (!replica_eligible || !replica.usable) return read_pool::primary;
  // A write completing exactly at the fence may have committed after the sample: primary.
  if (callers_last_write && *callers_last_write >= replica.replayed_before)
    return read_pool::primary;
  return read_pool::replica;
}

read_clock::time_point shared_last_write(std::optional<int64_t> at_ms, std::chrono::seconds ttl,
                                         read_clock::time_point now,
                                         std::chrono::system_clock::time_point wall_now) {
  if (!at_ms) return now - ttl;
  auto wall = std::chrono::system_clock::time_point(std::chrono::milliseconds(*at_ms));
  return now - std::chrono::duration_cast<read_clock::duration>(wall_now - wall) +
         clock_skew_margin;
}

void replay_fence::sampled(read_clock::time_point started, uint64_t lsn) {
  if (pending_.size() == max_pending) pending_.pop_front();
  pending_.emplace_back(started, lsn);
}

void replay_fence::replayed(uint64_t lsn) {
  while (!pending_.empty() && pending_.front().second <= lsn) {
    covered_ = std::max(covered_, pending_.front().first);
    pending_.pop_front();
  }
}

}  // namespace vutf
