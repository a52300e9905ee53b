// The near cache: each instance's memory copy of values it read through the shared cache
// (principals, target records, list pages), bounded by entry count (least recently used go
// first) and kept exact by invalidation, not by short lifetimes: a scope's entries go as soon as
// its version changes (a local write, or Redis' invalidation message for its version key).
//
// Reads race writes, so a value may only enter with a ticket taken before it was read: a fill
// is refused when its scope was invalidated, or the cache flushed, after the ticket was taken,
// or when the read was not tracked by the invalidation connection of the current generation.
// Pure and thread-safe (one mutex); no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace vutf::storage {

class near_cache {
 public:
  using clock = std::chrono::steady_clock;

  // `max_entries` bounds it (0 keeps nothing); an entry lives at most `ttl` (CACHE_TTL, as in
  // the shared cache, for what changes without a write: an API key reaching its expiry).
  // `active`: serving from the start (the in-process cache, where every invalidation is local)
  // or only after resume() (Redis: once the invalidation connection is subscribed).
  near_cache(size_t max_entries, std::chrono::seconds ttl, bool active);

  // The value held for (scope, suffix); nullopt when none, when bypassed, or when the fence says
  // invalidations may be waiting unapplied.
  std::optional<std::string> get(const std::string& scope, const std::string& suffix);
  // Taken before reading from the shared cache or the database; 0 when bypassed (no fill).
  uint64_t ticket() const;
  // Keeps `value` unless something the ticket cannot vouch for happened since (see above);
  // `tracked` is the invalidation generation the read was tracked under. True when kept.
  bool fill(uint64_t ticket, uint64_t tracked, const std::string& scope, const std::string& suffix,
            std::string value);
  // Drops every entry of `scope` and refuses fills of it with older tickets; entries dropped.
  size_t invalidate(const std::string& scope);
  // Drops everything and refuses fills with older tickets (Redis flushed its database).
  void flush();
  // The invalidation connection is lost: flush, and serve and keep nothing until resume().
  void bypass();
  // The invalidation connection `generation` is subscribed: serve again, keeping only reads
  // tracked under that generation and begun from now.
  void resume(uint64_t generation);
  // Consulted before every get: false while invalidations may have arrived but not been applied
  // (the invalidation connection has unread data or is applying it). Set once, before use.
  void set_fence(std::function<bool()> settled) { fence_ = std::move(settled); }

  bool active() const;
  uint64_t generation() const;
  size_t size() const;

 private:
  struct entry {
    std::string key;  // scope + '\n' + suffix
    std::string scope;
    std::string value;
    clock::time_point expires;
  };
  using position = std::list<entry>::iterator;
  void erase(position it);
  void reset();  // drops everything; fills with older tickets are refused
  bool refused(uint64_t ticket, const std::string& scope) const;

  const size_t max_entries_;
  const std::chrono::seconds ttl_;
  std::function<bool()> fence_;
  mutable std::mutex m_;
  bool active_;
  uint64_t generation_;
  uint64_t seq_ = 1;      // advances with every invalidation, flush and resume
  uint64_t reset_ = 1;    // tickets below this were taken before the last flush
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, position> index_;
  std::unordered_map<std::string, std::unordered_set<std::string>> scopes_;  // scope → keys
  // The last invalidation of each recently invalidated scope, oldest first in `order_`; a ticket
  // older than the last one forgotten (`forgotten_`) is refused whatever its scope.
  std::unordered_map<std::string, uint64_t> tombstones_;
  std::deque<std::pair<uint64_t, std::string>> order_;
  uint64_t forgotten_ = 0;
};

}  // namespace vutf::storage
