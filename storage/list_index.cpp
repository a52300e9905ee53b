#include "storage/list_index.hpp"

#include <algorithm>

namespace vutf::storage {
namespace {

// Own changes answered before the ones they follow, and removes of keys not there yet, kept per
// owner; beyond these the keys are dropped (a rebuild, never a wrong page). Two batches of bumps
// (up to 256 writes each, actors/cache.cpp) are out at once, on two Redis connections, and the
// later one's writes may be applied first.
constexpr size_t waiting_kept = 512;
constexpr size_t removed_early_kept = 1024;
constexpr size_t unsure_kept = 1024;

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The 16 bytes of a canonical lowercase UUID, whose order is its text's order; nullopt for
// anything else.
std::optional<std::array<uint8_t, 16>> pack_id(const std::string& id) {
  if (id.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> out{};
  size_t n = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (id[i] != '-') return std::nullopt;
      continue;
    }
    int v = nibble(id[i]);
    if (v < 0) return std::nullopt;
    out[n / 2] = static_cast<uint8_t>(n % 2 == 0 ? v << 4 : out[n / 2] | v);
    ++n;
  }
  return out;
}

std::string unpack_id(const std::array<uint8_t, 16>& id) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += digits[id[i] >> 4];
    out += digits[id[i] & 0xf];
  }
  return out;
}

}  // namespace

list_index::list_index(size_t max_keys, std::chrono::seconds max_age)
    : max_keys_(max_keys), max_age_(max_age) {}

uint64_t list_index::ticket() {
  std::lock_guard lock(m_);
  return ++tickets_;
}

std::optional<list_index::slice> list_index::page(const std::string& owner, int64_t version,
                                                  int64_t offset, bool newest_first) {
  std::lock_guard lock(m_);
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end() || offset < 0) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second->built >= max_age_) {
    erase(it->second);  // too old to vouch for (see the constructor): the next read rebuilds
    return std::nullopt;
  }
  if (!serves(*it->second, version)) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  slice out;
  if (!it->second->unsure.empty()) {
    for (const auto& k : it->second->unsure)
      out.unsure.push_back(key{k.first, unpack_id(k.second)});
    return out;
  }
  const auto& keys = it->second->keys;
  out.total = static_cast<int64_t>(keys.size());
  if (offset < out.total) {
    const packed& k = keys[static_cast<size_t>(newest_first ? out.total - 1 - offset : offset)];
    out.first = key{k.first, unpack_id(k.second)};
  }
  return out;
}

bool list_index::install(const std::string& owner, int64_t version, uint64_t read,
                         const std::vector<key>& keys) {
  state fresh;
  fresh.owner = owner;
  fresh.base = version;
  fresh.version = version;
  fresh.read = read;
  fresh.keys.reserve(keys.size());
  for (const auto& k : keys) {
    auto id = pack_id(k.id);
    if (!id) return false;
    fresh.keys.emplace_back(k.created_at, *id);
  }
  std::sort(fresh.keys.begin(), fresh.keys.end());
  std::lock_guard lock(m_);
  if (max_keys_ < fresh.keys.size() + 1) return false;
  if (auto it = by_owner_.find(owner); it != by_owner_.end()) {
    if (it->second->version >= version) return false;
    erase(it->second);
  }
  total_keys_ += fresh.keys.size();
  lru_.push_front(std::move(fresh));
  by_owner_[owner] = lru_.begin();
  evict();
  changed_.notify_all();
  return true;
}

void list_index::bumping(const std::string& owner) {
  std::lock_guard lock(m_);
  ++bumping_[owner];
}

bool list_index::own_catching_up(const state& s, int64_t version) const {
  auto own = bumping_.find(s.owner);
  return own != bumping_.end() && s.version < version && s.waiting.empty() &&
         s.version + own->second >= version;
}

list_index::step list_index::prepare(const std::string& owner, int64_t version,
                                     std::chrono::milliseconds patience) {
  std::unique_lock lock(m_);
  const auto until = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto it = by_owner_.find(owner);
    const state* s = it == by_owner_.end() ? nullptr : &*it->second;
    if (s && serves(*s, version)) return step::serve;
    if (s && s->version > version) return step::offset;
    bool someone_builds = building_.count(owner) != 0;
    if (!someone_builds && !(s && own_catching_up(*s, version))) {
      building_.insert(owner);
      return step::build;
    }
    if (changed_.wait_until(lock, until) == std::cv_status::timeout) return step::offset;
  }
}

void list_index::built(const std::string& owner) {
  std::lock_guard lock(m_);
  building_.erase(owner);
  changed_.notify_all();
}

void list_index::apply(const std::string& owner, int64_t version, const change& c) {
  std::lock_guard lock(m_);
  if (auto own = bumping_.find(owner); own != bumping_.end() && --own->second <= 0)
    bumping_.erase(own);
  // One bump fewer in flight: a read waiting for the keys to catch up looks again, whatever
  // becomes of this one (applied, parked, or already held).
  changed_.notify_all();
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  state& s = *it->second;
  // A version at or before the one they were read at was bumped before the read: they hold the
  // write. One the chain passed through since was another own write's: the version key expired
  // and was seeded again, lower (seeds are microsecond clocks: only clocks skewed across
  // instances do that), and what the keys hold can no longer be told.
  if (version != 0 && version <= s.version) {
    if (version > s.base) erase(it->second);
    return;
  }
  if (version == 0) {  // the bump did not happen: nobody else's keys move, these cannot stay
    erase(it->second);
    return;
  }
  if (version > s.version + 1) {
    s.waiting.emplace(version, c);
    if (s.waiting.size() > waiting_kept) erase(it->second);
    return;
  }
  if (!apply_now(s, c)) {
    erase(it->second);
    return;
  }
  s.version = version;
  changed_.notify_all();
  for (auto next = s.waiting.find(s.version + 1); next != s.waiting.end();
       next = s.waiting.find(s.version + 1)) {
    if (!apply_now(s, next->second)) {
      erase(it->second);
      return;
    }
    s.version = next->first;
    s.waiting.erase(next);
  }
  evict();
}

bool list_index::apply_now(state& s, const change& c) {
  if (c.what == change::op::none) return true;
  auto id = pack_id(c.k.id);
  if (!id) return false;
  packed k{c.k.created_at, *id};
  auto at = std::lower_bound(s.keys.begin(), s.keys.end(), k);
  bool there = at != s.keys.end() && *at == k;
  if (c.what == change::op::remove) {
    if (there) {
      s.keys.erase(at);
      --total_keys_;
    } else {
      // Its add is still to come (its bump was answered later): it must not bring it back.
      s.removed_early.insert(c.k.id);
      if (s.removed_early.size() > removed_early_kept) return false;
    }
    return true;
  }
  if (there || s.removed_early.count(c.k.id) != 0) return true;
  // Keys read after the write committed hold what became of it: a delete since, perhaps.
  if (s.read > c.after) return true;
  // Keys read while it ran may not have seen it yet, or seen it deleted: the database will say.
  if (s.read > c.before) {
    s.unsure.push_back(k);
    if (s.unsure.size() > unsure_kept) return false;
  }
  s.keys.insert(at, k);
  ++total_keys_;
  return true;
}

void list_index::settle(const std::string& owner, const std::vector<key>& checked,
                        const std::vector<std::string>& dead) {
  std::lock_guard lock(m_);
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  state& s = *it->second;
  for (const auto& c : checked) {
    auto id = pack_id(c.id);
    if (!id) continue;
    packed k{c.created_at, *id};
    s.unsure.erase(std::remove(s.unsure.begin(), s.unsure.end(), k), s.unsure.end());
    if (std::find(dead.begin(), dead.end(), c.id) == dead.end()) continue;
    // A deleted target never comes back: out, whatever version the keys are at now.
    auto at = std::lower_bound(s.keys.begin(), s.keys.end(), k);
    if (at != s.keys.end() && *at == k) {
      s.keys.erase(at);
      --total_keys_;
    }
  }
}

void list_index::drop(const std::string& owner) {
  std::lock_guard lock(m_);
  if (auto it = by_owner_.find(owner); it != by_owner_.end()) erase(it->second);
}

void list_index::clear() {
  std::lock_guard lock(m_);
  lru_.clear();
  by_owner_.clear();
  total_keys_ = 0;
  changed_.notify_all();
}

void list_index::erase(position it) {
  total_keys_ -= it->keys.size();
  by_owner_.erase(it->owner);
  lru_.erase(it);
  changed_.notify_all();
}

void list_index::evict() {
  // Each owner costs one key besides its keys, so owners of empty lists are bounded too.
  while (total_keys_ + by_owner_.size() > max_keys_ && !lru_.empty()) erase(std::prev(lru_.end()));
}

bool list_index::moved_past(const std::string& owner, int64_t version) const {
  std::lock_guard lock(m_);
  if (bumping_.count(owner)) return true;  // counts reaching 0 are erased
  auto it = by_owner_.find(owner);
  return it != by_owner_.end() && it->second->version > version;
}

size_t list_index::owners() const {
  std::lock_guard lock(m_);
  return by_owner_.size();
}

size_t list_index::keys() const {
  std::lock_guard lock(m_);
  return total_keys_;
}

}  // namespace vutf::storage
