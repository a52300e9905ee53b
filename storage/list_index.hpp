// The list index: each instance's exact copy of the keys (created_at, id) of an owner's live
// targets, in created_at order, so that page N of the owner's unfiltered list starts at a known
// key and is one keyset range of targets_owner_created instead of an OFFSET walk.
//
// An owner's keys are exact for one version of the owner's list scope (the shared cache's
// version, which every write bumps after it commits): built from one read of the database begun
// after that version was read, they hold every write whose bump reached that version. This
// instance's own writes carry them forward: a bump whose reply is v+1 applies its write's change
// to keys exact for v; bumps answered out of order wait (a few) for the ones before them, and what
// cannot be vouched for drops the keys. They serve a read that saw any version of that chain, from
// the one they were read at to the one they reached: a read that saw an earlier one gets the list
// as it is now, with the instance's own writes since, as a read of the database would. Whatever
// changed the list elsewhere (another instance, a write this instance did not account for, a
// flushed or expired version) moves the version past the chain, and they are rebuilt.
//
// A read of the keys may begin after a write committed though the write's bump comes later, so
// the keys may already hold it, or no longer hold it (a delete committed since, on any instance).
// Tickets order the two: an add applies to keys read before its write ran, is a no-op on keys
// read after its write committed, and in between, unless its key is there, applies as unsure:
// the next page first asks the database whether that target is still live (settle). A remove
// of a key not there yet is remembered, so its add, answered later, cannot bring it back.
// Pure and thread-safe (one mutex; prepare blocks its caller, for a bounded time); no I/O.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace vutf::storage {

class list_index {
 public:
  // A key as the database sorts it: ids are canonical lowercase UUIDs, whose text order is the
  // order of their 16 bytes.
  struct key {
    int64_t created_at = 0;
    std::string id;
    bool operator==(const key& o) const { return created_at == o.created_at && id == o.id; }
  };
  // Where a page starts, and the list's total; or, while `unsure` is not empty, the keys whose
  // targets must be checked (settle) before the page can be known.
  struct slice {
    int64_t total = 0;
    std::optional<key> first;  // nullopt: the page lies past the end
    std::vector<key> unsure;
  };
  // One write's change to an owner's list.
  struct change {
    enum class op { add, remove, none } what = op::none;  // none: the list's keys stay
    key k;
    uint64_t before = 0;  // an add: a ticket taken before the write ran
    uint64_t after = 0;   // an add: a ticket taken once it had committed
  };

  // Keeps at most `max_keys` keys over all owners, each owner counting as one more; the least
  // recently used owners go first.
  // Keys are read again once `max_age` old (CACHE_TTL): a write committed on another instance
  // whose bump failed never moved the version, and only age ends what such keys leave out (as
  // it ends a cached page's life).
  explicit list_index(size_t max_keys, std::chrono::seconds max_age = std::chrono::seconds(300));

  // What a read that found no keys to serve its version does next (see prepare).
  enum class step {
    serve,   // keys that serve it came meanwhile: ask page again
    build,   // read the keys and install them, then call built (one read per owner at a time)
    offset,  // read the page by OFFSET
  };

  // Where page `offset / per_page` of `owner`'s list starts (offset counted from the newest when
  // `newest_first`), when the keys held serve `version` (see above); nullopt otherwise.
  std::optional<slice> page(const std::string& owner, int64_t version, int64_t offset,
                            bool newest_first);
  // Orders reads of the keys and writes (see above); every call a later one.
  uint64_t ticket();
  // Keeps `keys` (any order), read from the database after `version` was read and after `read`
  // (a ticket) was taken, as exact for `version`, unless keys for that version or a later one are
  // held already. False when refused, or when an id is not a canonical lowercase UUID (such a
  // list is not indexed: it takes the OFFSET path).
  bool install(const std::string& owner, int64_t version, uint64_t read,
               const std::vector<key>& keys);
  // This instance's committed write of `owner`'s list is about to bump its version; apply (once
  // per such call) tells what became of it.
  void bumping(const std::string& owner);
  // This instance's committed write `c` moved `owner`'s list version to `version` (the bump's
  // reply; 0 when the bump did not happen, which drops the keys, as does a version the chain
  // already passed through: its key expired and was seeded again, lower).
  void apply(const std::string& owner, int64_t version, const change& c);
  // After page found nothing for `version`: waits, at most `patience`, while the keys are behind
  // it by no more than this instance's own bumps still unanswered (with none answered out of
  // order waiting: they are about to catch up), or while another read builds them; then says
  // what to do. `offset` when the keys are from after the version (a rebuild for it would be
  // refused) or the wait ran out. `build` goes to one read per owner at a time: one key array
  // in memory per owner, not one per concurrent page.
  step prepare(const std::string& owner, int64_t version, std::chrono::milliseconds patience);
  // The read that `prepare` told to build the keys of `owner` is done (installed or not).
  void built(const std::string& owner);
  // `checked` keys (a slice's unsure ones) were looked up in the database: of those, the
  // targets in `dead` are no longer live and leave the keys, the others stay, known.
  void settle(const std::string& owner, const std::vector<key>& checked,
              const std::vector<std::string>& dead);
  // Whether this instance knows `owner`'s list to have moved past `version`: its keys were
  // carried beyond it, or one of its own bumps of the list is still unanswered. A page read at
  // such a version is not worth keeping in the shared cache: no reader will ask for it again.
  bool moved_past(const std::string& owner, int64_t version) const;
  void drop(const std::string& owner);
  // Forgets every owner (the shared cache was flushed, or its invalidations may be lost).
  void clear();

  size_t owners() const;
  size_t keys() const;

 private:
  using packed = std::pair<int64_t, std::array<uint8_t, 16>>;
  struct state {
    std::string owner;
    int64_t base = 0;     // the version they were read at
    int64_t version = 0;  // the version own writes carried them to (base at first)
    uint64_t read = 0;    // the ticket of the read they came from
    std::chrono::steady_clock::time_point built = std::chrono::steady_clock::now();
    std::vector<packed> keys;                       // ascending
    std::map<int64_t, change> waiting;              // own changes answered before their turn
    std::unordered_set<std::string> removed_early;  // ids removed before their add was applied
    std::vector<packed> unsure;                     // added while their read may have seen them
  };
  using position = std::list<state>::iterator;
  static bool serves(const state& s, int64_t version) {
    return s.base <= version && version <= s.version;
  }
  bool own_catching_up(const state& s, int64_t version) const;
  void erase(position it);
  // Applies `c` to `s`; false when it cannot be vouched for (the keys must go).
  bool apply_now(state& s, const change& c);
  void evict();

  const size_t max_keys_;
  const std::chrono::seconds max_age_;
  mutable std::mutex m_;
  std::condition_variable changed_;  // keys installed, moved or dropped; a build ended
  size_t total_keys_ = 0;
  uint64_t tickets_ = 0;
  std::list<state> lru_;  // most recently used first
  std::unordered_map<std::string, position> by_owner_;
  std::unordered_map<std::string, int64_t> bumping_;  // own bumps unanswered, by owner
  std::unordered_set<std::string> building_;          // owners whose keys a read is building
};

}  // namespace vutf::storage
