#include "actors/service.hpp"

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <thread>
#include <type_traits>

#include "actors/accounts.hpp"
#include "actors/api_keys.hpp"
#include "actors/ask.hpp"
#include "actors/audit.hpp"
#include "actors/authentication.hpp"
#include "actors/cache.hpp"
#include "actors/db_pool.hpp"
#include "actors/db_router.hpp"
#include "actors/engine.hpp"
#include "actors/gateway.hpp"
#include "actors/hasher.hpp"
#include "actors/health.hpp"
#include "actors/idempotency.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/principals.hpp"
#include "actors/probe_sets.hpp"
#include "actors/retention.hpp"
#include "actors/scans.hpp"
#include "actors/schedules.hpp"
#include "actors/targets.hpp"
#include "actors/webhooks.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/audit.hpp"
#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "domain/scan.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

constexpr int startup_attempts = 10;  // backoff 0.25 s doubling to 4 s: about 30 s in all

// Keys the list index holds over all owners (24 bytes each, up to twice that while a vector
// grows: at most about 50 MB); the least recently listed owners go first.
constexpr size_t list_index_keys = size_t{1} << 20;
// Access tokens kept verified (identity::token_verifier): about 600 bytes each, so at most a few
// MB; more sessions active at once than this only cost their tokens' checks again.
constexpr size_t verified_tokens_kept = 4096;

caf::actor_system_config& with_threads(caf::actor_system_config& cfg, int64_t threads) {
  // A string is silently ignored by CAF 0.17: the value must be a size_t.
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  return cfg;
}

// Returns the connection that migrated, still open.
std::unique_ptr<storage::connection> wait_and_migrate(const storage::database_url& url,
                                                      const storage::connect_options& o) {
  auto delay = std::chrono::milliseconds(250);
  for (int attempt = 1;; ++attempt) {
    try {
      auto conn = storage::connect(url, o);
      storage::migrate(*conn);
      return conn;
    } catch (const storage::db_error& e) {
      if (e.code != errc::db_unavailable || attempt == startup_attempts)
        throw std::runtime_error(std::string("database not usable: ") + e.what());
      log::warning("database not reachable yet; retrying", {{"attempt", attempt},
                                                            {"of", startup_attempts},
                                                            {"retry_in_ms", delay.count()},
                                                            {"error", e.what()}});
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(4000));
    }
  }
}

template <class Msg, class = void>
struct has_deadline : std::false_type {};
template <class Msg>
struct has_deadline<Msg, std::void_t<decltype(std::declval<Msg&>().deadline)>> : std::true_type {};

// Names this process's scan claims: host, pid and a random part (pids repeat across restarts).
std::string instance_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + make_uuid().substr(0, 8);
}

// SECRET_KEY, or the development key generated once and kept in the database, so restarts
// (and every instance sharing the database) keep sessions valid.
std::string signing_key(const settings& s, storage::connection& c) {
  if (!s.secret_key.empty()) return s.secret_key;
  std::string key;
  c.transact(
      storage::access::write, clock::now() + std::chrono::seconds(30), [&](storage::session& tx) {
        key = storage::get_or_put_state(tx, "development_secret_key", identity::random_token(48));
      });
  log::warning("SECRET_KEY is not set: using the development key kept in the database");
  return key;
}

// Creates the ADMIN_* account when all three are set and no such user exists.
void bootstrap_admin(const settings& s, storage::connection& c) {
  if (s.admin_username.empty()) return;
  auto errors = validate_registration(s.admin_username, s.admin_email, s.admin_password);
  if (!errors.empty())
    throw std::invalid_argument("ADMIN_" + [&] {
      std::string f = errors.front().field;
      for (auto& ch : f) ch = static_cast<char>(std::toupper(ch));
      return f;
    }() + ": " + errors.front().reason);
  c.transact(storage::access::write, clock::now() + std::chrono::seconds(30),
             [&](storage::session& tx) {
               if (storage::find_user_by_login(tx, s.admin_username)) return;
               user u;
               u.id = make_uuid();
               u.username = s.admin_username;
               u.email = s.admin_email;
               u.password_hash = identity::hash_password(s.admin_password);
               u.roles = {"user", "admin"};
               u.created_at_ms = u.updated_at_ms = now_ms();
               storage::insert_user(tx, u);
               log::info("created the admin account", {{"username", u.username}});
             });
}

}  // namespace

struct service::impl {
  settings cfg;
  std::shared_ptr<metrics> m;
  caf::actor_system_config sys_cfg;
  caf::actor_system sys;
  std::shared_ptr<health_board> board = std::make_shared<health_board>();
  db_pool_actor pool;
  db_pool_actor scan_pool;  // the scan engine's and its runners'
  cache_actor cache;
  health_actor health;
  metrics_actor sampler;
  hasher_actor hasher;
  authentication_actor authentication;
  accounts_actor accounts;
  api_keys_actor api_keys;
  idempotency_actor idempotency;
  audit_actor audit;
  retention_actor retention;
  gateway_actor gateway;
  webhook_actor webhooks;
  engine_actor engine;
  scans_actor scans;
  schedules_actor schedules;
  probe_sets_actor probe_sets;
  std::vector<targets_actor> targets;
  std::atomic<size_t> next_target{0};
  // What ask() answers from memory with: the near cache and how credentials are checked.
  near_link near;
  authenticator auth;
  // An in-memory SQLite database lives only while a connection holds it: this one does.
  std::unique_ptr<storage::connection> memory_keeper;
  // The callers' scoped_actors, closed with the service, before the system.
  askers asks{sys};

  impl(const settings& s, std::shared_ptr<metrics> metrics)
      : cfg(s),
        m(std::move(metrics)),
        sys(with_threads(sys_cfg, vutf::scheduler_threads(s, usable_cores()))) {}

  // Waits with no limit: only for the flushes at shutdown, which their own writes bound.
  template <class T, class Handle, class... Ts>
  T query(const Handle& h, T fallback, Ts&&... xs) {
    return asks.query_until(h, clock::time_point::max(), fallback, fallback, "",
                            std::forward<Ts>(xs)...);
  }

  // A status query: it waits as long as a request would, then `fallback`.
  template <class T, class Handle, class... Ts>
  T status(const Handle& h, T fallback, const char* what, Ts&&... xs) {
    return asks.query_until(
        h, askers::backstop(clock::now() + std::chrono::seconds(cfg.request_timeout)), fallback,
        fallback, what, std::forward<Ts>(xs)...);
  }

  // A request message: see askers::ask.
  template <class R, class Handle, class Msg>
  R ask(const Handle& h, Msg msg, const char* what) {
    auto deadline = deadline_of(msg);
    return asks.ask<R>(h, std::move(msg), deadline, what);
  }

  // `msg` answered on the calling thread when this instance's near cache holds what it needs
  // (no message at all: two thread hand-offs fewer); nullopt: ask the actors.
  template <class R, class Msg>
  std::optional<R> from_memory(const Msg& msg) {
    if constexpr (std::is_same_v<Msg, authenticate>) {
      return authenticate_near(near, auth, msg.presented);
    } else if constexpr (std::is_same_v<Msg, target_fetch>) {
      auto who = authenticate_near(near, auth, msg.presented);
      if (!who) return std::nullopt;
      return fetch_as(std::move(*who), msg);
    } else if constexpr (std::is_same_v<Msg, target_list>) {
      return list_targets_near(near, msg);
    } else {
      return std::nullopt;
    }
  }

  // target_fetch once its caller is known: the record from the near cache, else from the targets
  // actors (target_get: no second authentication).
  target_as_caller fetch_as(result<principal> who, const target_fetch& f) {
    if (!who.ok()) return target_as_caller{std::nullopt, result<target>{std::move(who.error), {}}};
    target_get g{who.value, f.id, f.deadline};
    auto found = get_target_near(near, g);
    if (!found) found = ask<result<target>>(next_targets(), std::move(g), "target_get");
    return target_as_caller{std::move(who.value), std::move(*found)};
  }

  // A message's deadline; a request's for a message without one (rate_hit).
  template <class Msg>
  clock::time_point deadline_of(const Msg& msg) const {
    if constexpr (has_deadline<Msg>::value)
      return msg.deadline;
    else
      return clock::now() + std::chrono::seconds(cfg.request_timeout);
  }

  const targets_actor& next_targets() { return targets[next_target++ % targets.size()]; }
};

service::service(const settings& s, std::shared_ptr<metrics> m)
    : impl_(std::make_unique<impl>(s, std::move(m))) {
  auto& i = *impl_;
  storage::database_url url = storage::parse_database_url(s.database_url);
  storage::connect_options connect;
  // A statement never outlives the request that runs it.
  connect.statement_timeout =
      std::chrono::seconds(std::min(s.database_statement_timeout, s.request_timeout));
  auto migrator = wait_and_migrate(url, connect);
  std::string secret_key = signing_key(s, *migrator);
  bootstrap_admin(s, *migrator);
  if (url.type == storage::database_url::kind::sqlite && url.conninfo == ":memory:")
    i.memory_keeper = std::move(migrator);

  cache_config cache_cfg;
  cache_cfg.redis_url = s.redis_url;
  cache_cfg.connections = s.redis_max_connections;
  cache_cfg.command_timeout = std::chrono::seconds(s.redis_timeout);
  cache_cfg.scope_ttl = std::chrono::seconds(s.cache_ttl);
  // The near cache serves the hot reads (principals, targets) from memory; without Redis it is
  // the cache itself, active from the start.
  near_link& near = i.near;
  if (s.near_cache_entries > 0) {
    near.cache = std::make_shared<storage::near_cache>(static_cast<size_t>(s.near_cache_entries),
                                                       cache_cfg.scope_ttl, s.redis_url.empty());
    near.m = i.m;
    near.local = s.redis_url.empty();
    near.lists = std::make_shared<storage::list_index>(list_index_keys, cache_cfg.scope_ttl);
  }
  cache_cfg.near = near.cache;
  cache_cfg.lists = near.lists;
  i.cache = spawn_cache(i.sys, cache_cfg, i.m);
  db_pool_config pool_cfg;
  pool_cfg.url = url;
  pool_cfg.connect = connect;
  pool_cfg.size = s.database_pool_size;
  pool_cfg.max_overflow = s.database_max_overflow;
  pool_cfg.pool_timeout = std::chrono::seconds(s.database_pool_timeout);
  pool_cfg.recycle_idle = std::chrono::seconds(s.database_pool_recycle_idle);
  pool_cfg.group_commit_max = s.database_group_commit_max;
  if (s.database_read_url.empty()) {
    i.pool = spawn_db_pool(i.sys, pool_cfg, i.m);
  } else {
    // A replica that does not answer now is no reason not to start: the router reads from the
    // primary until its monitor finds the replica usable.
    db_router_config router_cfg;
    router_cfg.primary = pool_cfg;
    router_cfg.replica = pool_cfg;
    router_cfg.replica.url = storage::parse_database_url(s.database_read_url);
    if (s.database_read_pool_size > 0) router_cfg.replica.size = s.database_read_pool_size;
    router_cfg.replica.publish_gauges = false;
    router_cfg.max_lag = std::chrono::seconds(s.database_read_max_lag_seconds);
    // Several instances share Redis: a write through one is a write the others must see.
    if (!s.redis_url.empty()) router_cfg.shared_writes = i.cache;
    i.pool = spawn_db_router(i.sys, router_cfg, i.m);
  }
  i.auth =
      authenticator{std::make_shared<identity::token_verifier>(secret_key, verified_tokens_kept),
                    std::make_shared<key_usage>()};
  const authenticator& auth = i.auth;
  health_config health_cfg;
  health_cfg.url = url;
  health_cfg.connect = connect;
  i.health = spawn_health(i.sys, health_cfg, i.cache, i.board, i.m);
  i.sampler = spawn_metrics_actor(i.sys, i.m, i.pool, i.cache, std::chrono::seconds(1));
  // Argon2 gets about half the cores, so a burst of logins leaves the rest to everything else.
  i.hasher = spawn_hasher(i.sys, static_cast<size_t>(std::max<int64_t>(1, usable_cores() / 2)));
  authentication_config authentication_cfg;
  authentication_cfg.auth = auth;
  authentication_cfg.cache_ttl = std::chrono::seconds(s.cache_ttl);
  authentication_cfg.near = near;
  i.authentication = spawn_authentication(i.sys, authentication_cfg, i.pool, i.cache);
  accounts_config accounts_cfg;
  accounts_cfg.secret_key = secret_key;
  accounts_cfg.access_ttl = std::chrono::minutes(s.access_token_expire_minutes);
  accounts_cfg.refresh_ttl = std::chrono::hours(24 * s.refresh_token_expire_days);
  accounts_cfg.dummy_hash = identity::hash_password(identity::random_token(16));
  accounts_cfg.login_max_failures = s.login_max_failures;
  i.accounts = spawn_accounts(i.sys, accounts_cfg, i.pool, i.cache, i.hasher);
  i.api_keys = spawn_api_keys(i.sys, i.pool, i.cache);
  i.idempotency =
      spawn_idempotency(i.sys, i.pool, std::chrono::hours(s.idempotency_retention_hours));
  audit_config audit_cfg;
  audit_cfg.stats_ttl = std::chrono::seconds(s.cache_ttl);
  i.audit = spawn_audit(i.sys, audit_cfg, i.pool, i.cache, i.m);
  retention_config retention_cfg;
  retention_cfg.audit_retention = std::chrono::hours(24 * s.audit_retention_days);
  i.retention = spawn_retention(i.sys, retention_cfg, i.pool, i.m);
  targets_config targets_cfg;
  targets_cfg.cache_ttl = std::chrono::seconds(s.cache_ttl);
  targets_cfg.default_call_timeout = std::chrono::seconds(s.target_default_timeout);
  targets_cfg.max_targets = s.max_targets_per_user;
  targets_cfg.auth = auth;
  targets_cfg.near = near;
  auto n = std::max<size_t>(1, i.sys.scheduler().num_workers());
  for (size_t k = 0; k < n; ++k)
    i.targets.push_back(spawn_targets(i.sys, targets_cfg, i.pool, i.cache));
  gateway_config gateway_cfg;
  gateway_cfg.breaker_failures = s.circuit_breaker_failures;
  gateway_cfg.breaker_reset = std::chrono::seconds(s.circuit_breaker_reset);
  gateway_cfg.out = egress_from(s);
  gateway_cfg.cache = i.cache;
  i.gateway = spawn_gateway(i.sys, gateway_cfg, i.m);
  i.webhooks = spawn_webhooks(i.sys, webhook_config{}, i.pool, i.gateway, i.m);
  engine_config engine_cfg;
  engine_cfg.instance_id = instance_name();
  engine_cfg.workers = s.scan_workers;
  // Scans write through a pool of their own, so their result batches never hold the
  // connections requests wait for.
  db_pool_config scan_pool_cfg = pool_cfg;
  scan_pool_cfg.size = std::min<int64_t>(2, pool_cfg.size);
  scan_pool_cfg.max_overflow = std::min<int64_t>(2, pool_cfg.max_overflow);
  scan_pool_cfg.publish_gauges = false;  // the db_pool_* gauges describe the request pool
  i.scan_pool = spawn_db_pool(i.sys, scan_pool_cfg, i.m);
  i.engine = spawn_engine(i.sys, engine_cfg, i.scan_pool, spawn_db_connection(i.sys, pool_cfg, i.m),
                          i.cache, i.gateway, i.webhooks, i.m);
  scans_config scans_cfg;
  scans_cfg.limits = {s.scan_max_prompts, s.max_active_scans_per_user};
  scans_cfg.stats_ttl = std::chrono::seconds(s.cache_ttl);
  i.scans = spawn_scans(i.sys, scans_cfg, i.pool, i.cache, i.engine, i.gateway, i.webhooks);
  schedules_config schedules_cfg;
  schedules_cfg.limits = scans_cfg.limits;
  schedules_cfg.tick = std::chrono::seconds(s.scheduler_tick_seconds);
  schedules_cfg.max_schedules = s.max_schedules_per_user;
  i.schedules = spawn_schedules(i.sys, schedules_cfg, i.pool, i.cache, i.engine, i.webhooks);
  probe_sets_config probe_sets_cfg;
  probe_sets_cfg.max_probe_sets = s.max_probe_sets_per_user;
  i.probe_sets = spawn_probe_sets(i.sys, probe_sets_cfg, i.pool, i.cache);
  log::info("service started",
            {{"scheduler_threads", scheduler_threads()},
             {"database", url.type == storage::database_url::kind::sqlite ? "sqlite" : "postgres"},
             {"cache", s.redis_url.empty() ? "in-process" : "redis"}});
}

service::~service() {
  auto& i = *impl_;
  // Running scans go back to the queue, so a restart (or another instance) resumes them now
  // rather than after their leases lapse.
  i.query(i.engine, false, flush_atom::value);
  // Every accepted audit record is written before the pools close (bounded by the writes'
  // own deadlines if the database is gone).
  if (!i.query(i.audit, false, flush_atom::value))
    log::error("audit records could not be written before stopping");
  i.asks.close();
  for (auto& t : i.targets) caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.scans, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.schedules, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.probe_sets, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.engine, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.webhooks, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.gateway, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.authentication, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.accounts, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.api_keys, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.idempotency, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.audit, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.retention, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.hasher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.sampler, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.health, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.cache, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.scan_pool, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(i.pool, caf::exit_reason::user_shutdown);
  // ~actor_system waits for every actor, including connections finishing their current call.
}

#define VUTF_DEFINE_ASK(message, reply, handle)                              \
  reply service::ask(message msg) {                                          \
    if (auto held = impl_->from_memory<reply>(msg)) return std::move(*held); \
    return impl_->ask<reply>(impl_->handle, std::move(msg), #message);       \
  }
VUTF_SERVICE_MESSAGES(VUTF_DEFINE_ASK)
#undef VUTF_DEFINE_ASK

std::string service::circuit_state(const std::string& circuit) {
  return impl_->status(impl_->gateway, std::string("unknown"), "circuit_state", status_atom::value,
                       circuit);
}

int64_t service::scans_running() {
  return impl_->status(impl_->engine, int64_t{-1}, "scans_running", status_atom::value);
}

schedule_round service::run_schedules(int64_t now_ms) {
  return impl_->status(impl_->schedules, schedule_round{-1, -1}, "run_schedules", tick_atom::value,
                       now_ms);
}

int64_t service::purge_expired() {
  return impl_->status(impl_->retention, int64_t{-1}, "purge_expired", purge_atom::value);
}

void service::record(audit_record r) {
  caf::anon_send(impl_->audit, std::move(r));
}
pool_status service::database_pool() {
  return impl_->status(impl_->pool, pool_status{}, "database_pool", status_atom::value);
}

cache_status service::cache_pool() {
  return impl_->status(impl_->cache, cache_status{}, "cache_pool", status_atom::value);
}

health_snapshot service::health() const {
  return impl_->board->read();
}

health_snapshot service::probe() {
  return impl_->status(impl_->health, impl_->board->read(), "probe", probe_atom::value);
}

int64_t service::scheduler_threads() const {
  return static_cast<int64_t>(impl_->sys.scheduler().num_workers());
}

const settings& service::config() const {
  return impl_->cfg;
}

clock::time_point service::deadline() const {
  return clock::now() + std::chrono::seconds(impl_->cfg.request_timeout);
}

}  // namespace vutf
