// Cache backends: Redis (blocking, one connection per cache actor) and an in-process LRU with
// TTLs and a memory bound. Only cache actors call them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
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

// A count in a window, and the seconds until the window ends.
struct window_count {
  int64_t count = 0;
  int64_t reset_s = 0;
};

// Every key a backend writes expires: nothing a request makes (a random X-API-Key included)
// stays in Redis for good.
class cache_backend {
 public:
  virtual ~cache_backend() = default;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
  virtual void del(const std::string& key) = 0;
  // Adds 1 to every key that exists and gives it `ttl` again; one round trip on Redis however
  // many keys. A missing key stays missing: the next versioned_get starts it afresh. The new
  // value of each key, 0 for a missing one.
  virtual std::vector<int64_t> bump(const std::vector<std::string>& keys,
                                    std::chrono::seconds ttl) = 0;
  virtual void ping() = 0;
  // In one step: the version under `version_key` (set to `initial` when missing, and then
  // expiring `ttl` later; a lookup never extends it), and the value under `prefix` + version + ":"
  // + `suffix`. One round trip on Redis.
  virtual std::pair<int64_t, std::optional<std::string>> versioned_get(
      const std::string& version_key, int64_t initial, const std::string& prefix,
      const std::string& suffix, std::chrono::seconds ttl) = 0;
  // Adds `by` (1, or -1 to take a hit back) to the count under `key`, which expires `window`
  // after its first hit; the new count and the seconds until the key expires.
  virtual window_count hit(const std::string& key, std::chrono::seconds window, int64_t by) = 0;
  // Keeps the larger of the number under `key` and `value` there, expiring `ttl` from now: two
  // writers racing to mark a time leave the later one. One round trip on Redis.
  virtual void raise(const std::string& key, int64_t value, std::chrono::seconds ttl) = 0;
  // The invalidation generation the last versioned_get was tracked under: Redis will say when
  // that version changes. 0: untracked.
  virtual uint64_t tracked() const { return 0; }
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

// Where reading connections have Redis send their invalidations (CLIENT TRACKING ... REDIRECT):
// the client id of the connection subscribed to __redis__:invalidate, and its generation, which
// changes with every new such connection (0: none yet). Shared by the Redis workers and the
// invalidation listener.
class tracking_redirect {
 public:
  void set(uint64_t generation, int64_t client_id);
  std::pair<uint64_t, int64_t> current() const;

 private:
  mutable std::mutex m_;
  uint64_t generation_ = 0;
  int64_t client_id_ = 0;
};

// Connects lazily; every command is bounded by `timeout`. With `redirect`, the versioned reads
// are tracked (opt-in) and their invalidations sent to the connection it names.
std::unique_ptr<cache_backend> make_redis_cache(const redis_url& url,
                                                std::chrono::milliseconds timeout,
                                                std::shared_ptr<tracking_redirect> redirect = {});

// The connection Redis sends invalidation messages to (RESP2: subscribed to
// __redis__:invalidate). Blocking: only the invalidation listener actor uses it.
class invalidation_channel {
 public:
  // Commands are bounded by `timeout`; after `ping_after` without a message it sends a PING,
  // and a PING unanswered for `timeout` means the connection is lost.
  invalidation_channel(const redis_url& url, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds ping_after);
  ~invalidation_channel();
  invalidation_channel(const invalidation_channel&) = delete;
  invalidation_channel& operator=(const invalidation_channel&) = delete;
  // (Re)connects, names itself vutf-invalidations and subscribes; its client id. Throws
  // cache_error.
  int64_t open();
  void close();
  int fd() const;  // -1 when closed
  // Waits up to `wait` for messages and hands each to `on`: the keys invalidated, or nullopt
  // when Redis dropped everything (FLUSHALL/FLUSHDB). `busy` is true from before bytes are
  // read from the socket until their messages are applied. Throws cache_error when the
  // connection is lost.
  void receive(std::chrono::milliseconds wait, std::atomic<bool>& busy,
               const std::function<void(const std::optional<std::vector<std::string>>&)>& on);

 private:
  using clock = std::chrono::steady_clock;
  struct impl;
  std::unique_ptr<impl> impl_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds ping_after_;
};

// In-process cache: least recently used entries go first once `max_bytes` is reached.
class memory_cache : public cache_backend {
 public:
  explicit memory_cache(size_t max_bytes) : max_bytes_(max_bytes) {}
  std::optional<std::string> get(const std::string& key) override;
  void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override;
  void del(const std::string& key) override;
  std::vector<int64_t> bump(const std::vector<std::string>& keys,
                            std::chrono::seconds ttl) override;
  void ping() override {}
  std::pair<int64_t, std::optional<std::string>> versioned_get(const std::string& version_key,
                                                               int64_t initial,
                                                               const std::string& prefix,
                                                               const std::string& suffix,
                                                               std::chrono::seconds ttl) override;
  window_count hit(const std::string& key, std::chrono::seconds window, int64_t by) override;
  void raise(const std::string& key, int64_t value, std::chrono::seconds ttl) override;
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
  // The live entry under `key`, now the most recently used; expired ones are dropped.
  entry* live(const std::string& key);
  // Replaces the value of a live entry, keeping its expiry.
  void replace(entry& e, std::string value);
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace vutf::storage
