#include "storage/cache.hpp"

#include <hiredis.h>
#include <poll.h>

#include <cerrno>
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

// One blocking connection: connects lazily, authenticates and selects the database; every
// command is bounded by `timeout`. An I/O error or a timeout drops it (a hiredis context that
// failed cannot be reused) and throws cache_error; so does an error reply.
class connection {
 public:
  connection(redis_url url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout) {}
  ~connection() { drop(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  bool open() const { return ctx_ != nullptr; }
  redisContext* context() { return ctx_; }
  // How many times it connected: what was set up on one connection is gone on the next.
  uint64_t connects() const { return connects_; }

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
    ++connects_;
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

  // Queues a command; nothing is sent until a reply is read.
  void send(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK)
      fail();
  }

  // The next reply, as it came (an error reply too).
  reply_ptr receive() {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || !r) fail();
    return reply_ptr(static_cast<redisReply*>(r));
  }

  reply_ptr raw(const std::vector<std::string>& args) {
    send(args);
    return checked(receive());
  }

  reply_ptr command(const std::vector<std::string>& args) {
    if (!ctx_) connect();
    return raw(args);
  }

  static reply_ptr checked(reply_ptr p) {
    if (p->type == REDIS_REPLY_ERROR) throw cache_error("redis: " + std::string(p->str, p->len));
    return p;
  }

 private:
  [[noreturn]] void fail() {
    std::string msg = ctx_ ? ctx_->errstr : "not connected";
    drop();  // a timed-out or broken context cannot be reused
    throw cache_error("redis: " + msg);
  }

  redis_url url_;
  std::chrono::milliseconds timeout_;
  redisContext* ctx_ = nullptr;
  uint64_t connects_ = 0;
};

class redis_cache : public cache_backend {
 public:
  redis_cache(redis_url url, std::chrono::milliseconds timeout,
              std::shared_ptr<tracking_redirect> redirect)
      : conn_(std::move(url), timeout), redirect_(std::move(redirect)) {}

  std::optional<std::string> get(const std::string& key) override {
    reply_ptr r = conn_.command({"GET", key});
    if (r->type == REDIS_REPLY_STRING) return std::string(r->str, r->len);
    return std::nullopt;
  }
  void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override {
    conn_.command({"SET", key, value, "EX", std::to_string(ttl.count())});
  }
  void del(const std::string& key) override { conn_.command({"DEL", key}); }
  std::vector<int64_t> bump(const std::vector<std::string>& keys,
                            std::chrono::seconds ttl) override {
    // INCR's reply is an integer (exact below 2^53 as a Lua number), returned as one.
    static const std::string script =
        "local out = {} for i, k in ipairs(KEYS) do out[i] = 0 "
        "if redis.call('EXISTS', k) == 1 then out[i] = redis.call('INCR', k) "
        "redis.call('EXPIRE', k, ARGV[1]) end end return out";
    std::vector<std::string> args = {"EVAL", script, std::to_string(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    args.push_back(std::to_string(ttl.count()));
    reply_ptr r = conn_.command(args);
    std::vector<int64_t> versions(keys.size(), 0);
    if (r->type == REDIS_REPLY_ARRAY)
      for (size_t i = 0; i < r->elements && i < versions.size(); ++i)
        if (r->element[i]->type == REDIS_REPLY_INTEGER) versions[i] = r->element[i]->integer;
    // Redis sends the invalidation messages of this bump in the same pass as its reply, but
    // may write the reply first. A second round trip returns only after that pass ended, so
    // when the writer answers its client, every other instance has the message on its socket,
    // where the near cache's fence sees it before serving the next request.
    if (redirect_) conn_.command({"PING"});
    return versions;
  }

  void ping() override { conn_.command({"PING"}); }

  window_count hit(const std::string& key, std::chrono::seconds window, int64_t by) override {
    // The expiry is set whenever the key has none, not only on the first hit: a count taken
    // back (by = -1) after its window ended would otherwise create a key that never expires.
    static const std::string script =
        "local n = redis.call('INCRBY', KEYS[1], ARGV[2]) "
        "local t = redis.call('TTL', KEYS[1]) "
        "if t < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end "
        "return {n, t}";
    reply_ptr r = conn_.command(
        {"EVAL", script, "1", key, std::to_string(window.count()), std::to_string(by)});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER)
      throw cache_error("hit: unexpected reply");
    return window_count{r->element[0]->integer, r->element[1]->integer};
  }

  void raise(const std::string& key, int64_t value, std::chrono::seconds ttl) override {
    static const std::string script =
        "local v = redis.call('GET', KEYS[1]) "
        "if not v or tonumber(ARGV[1]) > tonumber(v) then v = ARGV[1] end "
        "redis.call('SET', KEYS[1], v, 'EX', ARGV[2]) return 1";
    conn_.command({"EVAL", script, "1", key, std::to_string(value), std::to_string(ttl.count())});
  }

  std::pair<int64_t, std::optional<std::string>> versioned_get(const std::string& version_key,
                                                               int64_t initial,
                                                               const std::string& prefix,
                                                               const std::string& suffix,
                                                               std::chrono::seconds ttl) override {
    // The version is created when missing (expiring `ttl` later) and read, and the entry
    // fetched, in one round trip. Nothing here writes a version that exists: a write to a
    // tracked key would send every instance holding it an invalidation. The version is stored
    // and read back as text: Lua would print a 16-digit number in exponent notation.
    static const std::string script =
        "redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[4]) "
        "local v = redis.call('GET', KEYS[1]) "
        "return {v, redis.call('GET', ARGV[2] .. v .. ':' .. ARGV[3])}";
    std::vector<std::string> eval = {"EVAL",
                                     script,
                                     "1",
                                     version_key,
                                     std::to_string(initial),
                                     prefix,
                                     suffix,
                                     std::to_string(ttl.count())};
    reply_ptr r;
    tracked_ = track();
    if (tracked_ != 0) {
      // Tracking is opt-in: only this read (the version and the entry) is tracked, so counters
      // and other keys never cause invalidation messages. Both commands go in one round trip.
      conn_.send({"CLIENT", "CACHING", "yes"});
      conn_.send(eval);
      reply_ptr caching = conn_.receive();
      r = conn_.receive();
      connection::checked(std::move(caching));
      r = connection::checked(std::move(r));
    } else {
      r = conn_.command(eval);
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING)
      throw cache_error("versioned_get: unexpected reply");
    int64_t version = std::stoll(std::string(r->element[0]->str, r->element[0]->len));
    const redisReply* value = r->element[1];
    if (value->type == REDIS_REPLY_STRING) return {version, std::string(value->str, value->len)};
    return {version, std::nullopt};
  }

  uint64_t tracked() const override { return tracked_; }

 private:
  // Points this connection's tracking at the current invalidation connection; the generation
  // it now tracks under, or 0 when there is none (the read is then not tracked).
  uint64_t track() {
    if (!redirect_) return 0;
    if (!conn_.open()) conn_.connect();
    if (conn_.connects() != tracking_connection_) tracking_ = 0;  // a new one tracks nothing
    auto [generation, client_id] = redirect_->current();
    if (generation == 0) return 0;
    if (generation != tracking_) {
      try {
        conn_.raw({"CLIENT", "TRACKING", "on", "REDIRECT", std::to_string(client_id), "OPTIN"});
        tracking_ = generation;
        tracking_connection_ = conn_.connects();
      } catch (const cache_error&) {
        if (!conn_.open()) throw;  // the connection broke
        return 0;                  // e.g. that connection is already gone: this read is not tracked
      }
    }
    return tracking_;
  }

  connection conn_;
  std::shared_ptr<tracking_redirect> redirect_;
  uint64_t tracking_ = 0;             // the generation this connection's tracking redirects to
  uint64_t tracking_connection_ = 0;  // which connection (connects()) that is
  uint64_t tracked_ = 0;              // the generation the last versioned_get was tracked under
};

}  // namespace

void tracking_redirect::set(uint64_t generation, int64_t client_id) {
  std::lock_guard lock(m_);
  generation_ = generation;
  client_id_ = client_id;
}

std::pair<uint64_t, int64_t> tracking_redirect::current() const {
  std::lock_guard lock(m_);
  return {generation_, client_id_};
}

struct invalidation_channel::impl {
  impl(redis_url url, std::chrono::milliseconds timeout) : conn(std::move(url), timeout) {}
  connection conn;
  clock::time_point quiet_since = clock::now();
  std::optional<clock::time_point> ping_sent;
};

invalidation_channel::invalidation_channel(const redis_url& url, std::chrono::milliseconds timeout,
                                           std::chrono::milliseconds ping_after)
    : impl_(std::make_unique<impl>(url, timeout)), timeout_(timeout), ping_after_(ping_after) {}

invalidation_channel::~invalidation_channel() = default;

int64_t invalidation_channel::open() {
  auto& c = impl_->conn;
  c.drop();
  c.connect();
  c.raw({"CLIENT", "SETNAME", "vutf-invalidations"});
  reply_ptr id = c.raw({"CLIENT", "ID"});
  if (id->type != REDIS_REPLY_INTEGER) throw cache_error("CLIENT ID: unexpected reply");
  c.raw({"SUBSCRIBE", "__redis__:invalidate"});
  impl_->quiet_since = clock::now();
  impl_->ping_sent.reset();
  return id->integer;
}

void invalidation_channel::close() {
  impl_->conn.drop();
}

int invalidation_channel::fd() const {
  return impl_->conn.open() ? impl_->conn.context()->fd : -1;
}

namespace {

// The invalidated keys of one message of __redis__:invalidate; nullopt for "everything" (a
// FLUSHALL); false when the reply is something else (a pong, a subscription).
bool invalidation_of(const redisReply& r, std::optional<std::vector<std::string>>& keys) {
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 3 || r.element[0]->type != REDIS_REPLY_STRING ||
      std::string(r.element[0]->str, r.element[0]->len) != "message")
    return false;
  const redisReply& payload = *r.element[2];
  if (payload.type == REDIS_REPLY_NIL) {
    keys.reset();
    return true;
  }
  keys.emplace();
  if (payload.type == REDIS_REPLY_STRING) keys->emplace_back(payload.str, payload.len);
  if (payload.type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < payload.elements; ++i)
      keys->emplace_back(payload.element[i]->str, payload.element[i]->len);
  return true;
}

}  // namespace

void invalidation_channel::receive(
    std::chrono::milliseconds wait, std::atomic<bool>& busy,
    const std::function<void(const std::optional<std::vector<std::string>>&)>& on) {
  auto& c = impl_->conn;
  if (!c.open()) throw cache_error("invalidation connection closed");
  pollfd p{c.context()->fd, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (ready < 0 && errno != EINTR) throw cache_error("invalidation connection: poll failed");
  auto now = clock::now();
  if (ready <= 0) {
    // Quiet: make sure the connection is still there, since a dead one delivers nothing.
    if (impl_->ping_sent && now - *impl_->ping_sent > timeout_) {
      c.drop();
      throw cache_error("invalidation connection: no answer to PING");
    }
    if (!impl_->ping_sent && now - impl_->quiet_since > ping_after_) {
      int done = 0;
      c.send({"PING"});
      while (!done)
        if (redisBufferWrite(c.context(), &done) != REDIS_OK) {
          c.drop();
          throw cache_error("invalidation connection: write failed");
        }
      impl_->ping_sent = now;
    }
    return;
  }
  // Busy from before the bytes leave the socket until every message in them is applied: the
  // near cache's fence reads "unread data or busy" as "invalidations may be pending".
  busy = true;
  if (redisBufferRead(c.context()) != REDIS_OK) {
    busy = false;
    c.drop();
    throw cache_error("invalidation connection lost");
  }
  impl_->quiet_since = now;
  impl_->ping_sent.reset();
  void* r = nullptr;
  while (redisGetReplyFromReader(c.context(), &r) == REDIS_OK && r) {
    reply_ptr reply(static_cast<redisReply*>(r));
    r = nullptr;
    std::optional<std::vector<std::string>> keys;
    if (invalidation_of(*reply, keys)) on(keys);
  }
  busy = false;
}

std::unique_ptr<cache_backend> make_redis_cache(const redis_url& url,
                                                std::chrono::milliseconds timeout,
                                                std::shared_ptr<tracking_redirect> redirect) {
  return std::make_unique<redis_cache>(url, timeout, std::move(redirect));
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

void memory_cache::raise(const std::string& key, int64_t value, std::chrono::seconds ttl) {
  if (entry* e = live(key)) value = std::max<int64_t>(value, std::stoll(e->value));
  set(key, std::to_string(value), ttl);
}

std::pair<int64_t, std::optional<std::string>> memory_cache::versioned_get(
    const std::string& version_key, int64_t initial, const std::string& prefix,
    const std::string& suffix, std::chrono::seconds ttl) {
  int64_t version = initial;
  if (entry* e = live(version_key)) {
    version = std::stoll(e->value);  // a lookup does not extend it, as on Redis
  } else {
    set(version_key, std::to_string(version), ttl);
  }
  return {version, get(prefix + std::to_string(version) + ":" + suffix)};
}

std::vector<int64_t> memory_cache::bump(const std::vector<std::string>& keys,
                                        std::chrono::seconds ttl) {
  std::vector<int64_t> versions;
  versions.reserve(keys.size());
  for (const auto& k : keys) {
    int64_t version = 0;
    if (entry* e = live(k)) {
      version = std::stoll(e->value) + 1;
      replace(*e, std::to_string(version));
      e->expires = clock::now() + ttl;
    }
    versions.push_back(version);
  }
  return versions;
}

}  // namespace vutf::storage
