#include "storage/cache.hpp"

#include <hiredis.h>

#include <vector>

namespace vutf::storage {

redis_url parse_redis_url(const std::string& url) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("REDIS_URL must start with redis://");
  redis_url r;
  std::string rest = url.substr(scheme.size());
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = auth.find(':');
    if (colon == std::string::npos) {
      r.password = auth;
    } else {
      r.username = auth.substr(0, colon);
      r.password = auth.substr(colon + 1);
    }
  }
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) r.db = std::stoi(db);
  }
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    size_t close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("REDIS_URL: unclosed [");
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
    rest = rest.substr(1, close - 1);
  } else if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!port.empty()) r.port = std::stoi(port);
  if (!rest.empty()) r.host = rest;
  return r;
}

namespace {

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

class redis_cache : public cache_backend {
 public:
  redis_cache(redis_url url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout) {}
  ~redis_cache() override { drop(); }

  std::optional<std::string> get(const std::string& key) override {
    reply_ptr r = command({"GET", key});
    if (r->type == REDIS_REPLY_STRING) return std::string(r->str, r->len);
    return std::nullopt;
  }
  void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override {
    command({"SET", key, value, "EX", std::to_string(ttl.count())});
  }
  void del(const std::string& key) override { command({"DEL", key}); }
  void bump(const std::vector<std::string>& keys, std::chrono::seconds ttl) override {
    static const std::string script =
        "for _, k in ipairs(KEYS) do "
        "if redis.call('EXISTS', k) == 1 then redis.call('INCR', k) "
        "redis.call('EXPIRE', k, ARGV[1]) end end return #KEYS";
    std::vector<std::string> args = {"EVAL", script, std::to_string(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    args.push_back(std::to_string(ttl.count()));
    command(args);
  }

  void ping() override { command({"PING"}); }

  window_count hit(const std::string& key, std::chrono::seconds window, int64_t by) override {
    // The expiry is set whenever the key has none, not only on the first hit: a count taken
    // back (by = -1) after its window ended would otherwise create a key that never expires.
    static const std::string script =
        "local n = redis.call('INCRBY', KEYS[1], ARGV[2]) "
        "local t = redis.call('TTL', KEYS[1]) "
        "if t < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end "
        "return {n, t}";
    reply_ptr r =
        command({"EVAL", script, "1", key, std::to_string(window.count()), std::to_string(by)});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER)
      throw cache_error("hit: unexpected reply");
    return window_count{r->element[0]->integer, r->element[1]->integer};
  }

  std::pair<int64_t, std::optional<std::string>> versioned_get(const std::string& version_key,
                                                               int64_t initial,
                                                               const std::string& prefix,
                                                               const std::string& suffix,
                                                               std::chrono::seconds ttl) override {
    // The version is read (or created) and the entry fetched in one round trip; the version key
    // lives `ttl` past its last use. The created version is read back as text: Lua would print
    // a 16-digit number in exponent notation.
    static const std::string script =
        "local v = redis.call('GET', KEYS[1]) "
        "if not v then redis.call('INCRBY', KEYS[1], ARGV[1]) v = redis.call('GET', KEYS[1]) end "
        "redis.call('EXPIRE', KEYS[1], ARGV[4]) "
        "return {v, redis.call('GET', ARGV[2] .. v .. ':' .. ARGV[3])}";
    reply_ptr r = command({"EVAL", script, "1", version_key, std::to_string(initial), prefix,
                           suffix, std::to_string(ttl.count())});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING)
      throw cache_error("versioned_get: unexpected reply");
    int64_t version = std::stoll(std::string(r->element[0]->str, r->element[0]->len));
    const redisReply* value = r->element[1];
    if (value->type == REDIS_REPLY_STRING) return {version, std::string(value->str, value->len)};
    return {version, std::nullopt};
  }

 private:
  void drop() {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
  }

  void connect() {
    timeval tv{static_cast<time_t>(timeout_.count() / 1000),
               static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
    ctx_ = redisConnectWithTimeout(url_.host.c_str(), url_.port, tv);
    if (!ctx_ || ctx_->err) {
      std::string msg = ctx_ ? ctx_->errstr : "out of memory";
      drop();
      throw cache_error("redis connect: " + msg);
    }
    redisSetTimeout(ctx_, tv);
    redisEnableKeepAlive(ctx_);
    if (!url_.password.empty()) {
      if (url_.username.empty()) {
        raw({"AUTH", url_.password});
      } else {
        raw({"AUTH", url_.username, url_.password});
      }
    }
    if (url_.db != 0) raw({"SELECT", std::to_string(url_.db)});
  }

  reply_ptr raw(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (!r) {
      std::string msg = ctx_->errstr;
      drop();  // a timed-out or broken context cannot be reused
      throw cache_error("redis: " + msg);
    }
    reply_ptr p(r);
    if (p->type == REDIS_REPLY_ERROR) throw cache_error("redis: " + std::string(p->str, p->len));
    return p;
  }

  reply_ptr command(const std::vector<std::string>& args) {
    if (!ctx_) connect();
    return raw(args);
  }

  redis_url url_;
  std::chrono::milliseconds timeout_;
  redisContext* ctx_ = nullptr;
};

}  // namespace

std::unique_ptr<cache_backend> make_redis_cache(const redis_url& url,
                                                std::chrono::milliseconds timeout) {
  return std::make_unique<redis_cache>(url, timeout);
}

void memory_cache::erase(std::list<entry>::iterator it) {
  bytes_ -= it->key.size() + it->value.size();
  index_.erase(it->key);
  lru_.erase(it);
}

memory_cache::entry* memory_cache::live(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (it->second->expires <= clock::now()) {
    erase(it->second);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void memory_cache::replace(entry& e, std::string value) {
  bytes_ -= e.value.size();
  e.value = std::move(value);
  bytes_ += e.value.size();
}

std::optional<std::string> memory_cache::get(const std::string& key) {
  if (entry* e = live(key)) return e->value;
  return std::nullopt;
}

void memory_cache::set(const std::string& key, const std::string& value, std::chrono::seconds ttl) {
  del(key);
  size_t size = key.size() + value.size();
  if (size > max_bytes_) return;  // larger than the whole cache: not worth keeping
  while (bytes_ + size > max_bytes_ && !lru_.empty()) erase(std::prev(lru_.end()));
  lru_.push_front(entry{key, value, clock::now() + ttl});
  index_[key] = lru_.begin();
  bytes_ += size;
}

void memory_cache::del(const std::string& key) {
  auto it = index_.find(key);
  if (it != index_.end()) erase(it->second);
}

window_count memory_cache::hit(const std::string& key, std::chrono::seconds window, int64_t by) {
  entry* e = live(key);
  if (!e) {
    set(key, std::to_string(by), window);
    return window_count{by, window.count()};
  }
  int64_t next = std::stoll(e->value) + by;
  replace(*e, std::to_string(next));  // keeps the window's expiry
  auto left = std::chrono::duration_cast<std::chrono::seconds>(e->expires - clock::now());
  return window_count{next, std::max<int64_t>(1, left.count())};
}

std::pair<int64_t, std::optional<std::string>> memory_cache::versioned_get(
    const std::string& version_key, int64_t initial, const std::string& prefix,
    const std::string& suffix, std::chrono::seconds ttl) {
  int64_t version = initial;
  if (entry* e = live(version_key)) {
    version = std::stoll(e->value);
    e->expires = clock::now() + ttl;  // lives `ttl` past its last use, as on Redis
  } else {
    set(version_key, std::to_string(version), ttl);
  }
  return {version, get(prefix + std::to_string(version) + ":" + suffix)};
}

void memory_cache::bump(const std::vector<std::string>& keys, std::chrono::seconds ttl) {
  for (const auto& k : keys) {
    if (entry* e = live(k)) {
      replace(*e, std::to_string(std::stoll(e->value) + 1));
      e->expires = clock::now() + ttl;
    }
  }
}

}  // namespace vutf::storage
