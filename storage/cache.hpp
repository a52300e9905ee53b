// Cache backends: Redis (blocking, one connection per cache actor) and an in-process LRU with
// TTLs and a memory bound. Only cache actors call them.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace vutf::storage {

// Thrown by a backend that cannot answer (Redis down or slow): callers treat it as a miss.
struct cache_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class cache_backend {
 public:
  virtual ~cache_backend() = default;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
  virtual void del(const std::string& key) = 0;
  // Atomically adds `by` to an integer key (created at 0) and returns the new value.
  virtual int64_t incr(const std::string& key, int64_t by) = 0;
  // Adds 1 to every key (each created at 0); one round trip on Redis however many keys.
  virtual void bump(const std::vector<std::string>& keys) = 0;
  virtual void ping() = 0;
  // In one step: the version under `version_key` (set to `initial` when missing) and the value
  // under `prefix` + version + ":" + `suffix`. One round trip on Redis.
  virtual std::pair<int64_t, std::optional<std::string>> versioned_get(
      const std::string& version_key, int64_t initial, const std::string& prefix,
      const std::string& suffix) = 0;
  // Counts one more hit on `key`, which expires `window` after its first hit; returns the count.
  virtual int64_t hit(const std::string& key, std::chrono::seconds window) = 0;
};

struct redis_url {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;
  std::string password;
  int db = 0;
};

// Parses redis://[[user]:password@]host[:port][/db]; throws std::invalid_argument.
redis_url parse_redis_url(const std::string& url);

// Connects lazily; every command is bounded by `timeout`.
std::unique_ptr<cache_backend> make_redis_cache(const redis_url& url,
                                                std::chrono::milliseconds timeout);

// In-process cache: least recently used entries go first once `max_bytes` is reached.
class memory_cache : public cache_backend {
 public:
  explicit memory_cache(size_t max_bytes) : max_bytes_(max_bytes) {}
  std::optional<std::string> get(const std::string& key) override;
  void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override;
  void del(const std::string& key) override;
  int64_t incr(const std::string& key, int64_t by) override;
  void bump(const std::vector<std::string>& keys) override;
  void ping() override {}
  std::pair<int64_t, std::optional<std::string>> versioned_get(const std::string& version_key,
                                                               int64_t initial,
                                                               const std::string& prefix,
                                                               const std::string& suffix) override;
  int64_t hit(const std::string& key, std::chrono::seconds window) override;
  size_t bytes() const { return bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  using clock = std::chrono::steady_clock;
  struct entry {
    std::string key;
    std::string value;
    clock::time_point expires;
  };
  void erase(std::list<entry>::iterator it);
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace vutf::storage
