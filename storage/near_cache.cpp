#include "storage/near_cache.hpp"

namespace vutf::storage {
namespace {

// Invalidations remembered per scope; beyond this the oldest are forgotten, and a fill whose
// ticket is older than a forgotten one is refused (a miss more, never a stale entry).
constexpr size_t tombstones_kept = 4096;

}  // namespace

near_cache::near_cache(size_t max_entries, std::chrono::seconds ttl, bool active)
    : max_entries_(max_entries), ttl_(ttl), active_(active), generation_(active ? 1 : 0) {}

std::optional<std::string> near_cache::get(const std::string& scope, const std::string& suffix) {
  // The fence comes first: an invalidation applied after it was asked has already erased the
  // entry by the time the entry is looked up below.
  if (fence_ && !fence_()) return std::nullopt;
  std::lock_guard lock(m_);
  if (!active_) return std::nullopt;
  auto it = index_.find(scope + '\n' + suffix);
  if (it == index_.end()) return std::nullopt;
  if (it->second->expires <= clock::now()) {
    erase(it->second);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

uint64_t near_cache::ticket() const {
  std::lock_guard lock(m_);
  return active_ ? seq_ : 0;
}

bool near_cache::refused(uint64_t ticket, const std::string& scope) const {
  if (!active_ || ticket == 0 || ticket < reset_ || ticket < forgotten_) return true;
  auto t = tombstones_.find(scope);
  return t != tombstones_.end() && t->second > ticket;
}

bool near_cache::fill(uint64_t ticket, uint64_t tracked, const std::string& scope,
                      const std::string& suffix, std::string value) {
  std::lock_guard lock(m_);
  if (max_entries_ == 0 || tracked != generation_ || refused(ticket, scope)) return false;
  std::string key = scope + '\n' + suffix;
  if (auto it = index_.find(key); it != index_.end()) erase(it->second);
  while (index_.size() >= max_entries_) erase(std::prev(lru_.end()));
  lru_.push_front(entry{key, scope, std::move(value), clock::now() + ttl_});
  index_[key] = lru_.begin();
  scopes_[scope].insert(key);
  return true;
}

void near_cache::erase(position it) {
  auto s = scopes_.find(it->scope);
  if (s != scopes_.end()) {
    s->second.erase(it->key);
    if (s->second.empty()) scopes_.erase(s);
  }
  index_.erase(it->key);
  lru_.erase(it);
}

size_t near_cache::invalidate(const std::string& scope) {
  std::lock_guard lock(m_);
  uint64_t seq = ++seq_;
  tombstones_[scope] = seq;
  order_.emplace_back(seq, scope);
  if (order_.size() > tombstones_kept) {
    auto [oldest, name] = order_.front();
    order_.pop_front();
    forgotten_ = oldest;
    if (auto t = tombstones_.find(name); t != tombstones_.end() && t->second == oldest)
      tombstones_.erase(t);
  }
  auto s = scopes_.find(scope);
  if (s == scopes_.end()) return 0;
  std::unordered_set<std::string> keys = std::move(s->second);
  scopes_.erase(s);
  for (const auto& key : keys) {
    auto it = index_.find(key);
    if (it == index_.end()) continue;
    lru_.erase(it->second);
    index_.erase(it);
  }
  return keys.size();
}

void near_cache::reset() {
  lru_.clear();
  index_.clear();
  scopes_.clear();
  tombstones_.clear();
  order_.clear();
  reset_ = ++seq_;
}

void near_cache::flush() {
  std::lock_guard lock(m_);
  reset();
}

void near_cache::bypass() {
  std::lock_guard lock(m_);
  active_ = false;
  reset();
}

void near_cache::resume(uint64_t generation) {
  std::lock_guard lock(m_);
  active_ = true;
  generation_ = generation;
  reset();
}

bool near_cache::active() const {
  std::lock_guard lock(m_);
  return active_;
}

uint64_t near_cache::generation() const {
  std::lock_guard lock(m_);
  return generation_;
}

size_t near_cache::size() const {
  std::lock_guard lock(m_);
  return index_.size();
}

}  // namespace vutf::storage
