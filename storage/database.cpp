#include "storage/database.hpp"

#include <set>

#include "config/log.hpp"
#include "config/time.hpp"

namespace vutf::storage {

std::unique_ptr<connection> connect_sqlite(const std::string& path);
std::unique_ptr<connection> connect_postgres(const std::string& conninfo, const connect_options& o);

database_url parse_database_url(const std::string& url) {
  auto strip_prefix = [&](const char* p) -> std::optional<std::string> {
    std::string prefix = p;
    if (url.rfind(prefix, 0) == 0) return url.substr(prefix.size());
    return std::nullopt;
  };
  for (const char* p : {"sqlite:///", "sqlite+aiosqlite:///"}) {
    if (auto rest = strip_prefix(p); rest && !rest->empty())
      return {database_url::kind::sqlite, *rest};
  }
  for (const char* p : {"postgresql://", "postgresql+asyncpg://", "postgres://"}) {
    if (auto rest = strip_prefix(p); rest && !rest->empty())
      return {database_url::kind::postgres, "postgresql://" + *rest};
  }
  throw std::invalid_argument("unsupported DATABASE_URL scheme");
}

std::unique_ptr<connection> connect(const database_url& url, const connect_options& options) {
  if (url.type == database_url::kind::sqlite) return connect_sqlite(url.conninfo);
  return connect_postgres(url.conninfo, options);
}

namespace {

const statement create_migrations_table{
    "migrations_create",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"};
const statement migration_applied{"migration_applied",
                                  "SELECT 1 FROM schema_migrations WHERE version = $1"};
const statement migration_record{
    "migration_record",
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"};

}  // namespace

int64_t count_of(session& s, const statement& count, const std::vector<value>& params) {
  rows r = s.exec(count, params);
  return r.data.empty() ? 0 : as_int(r.data.front()[0]);
}

std::vector<value> with_page(std::vector<value> params, int64_t page, int64_t per_page) {
  params.emplace_back(per_page);
  params.emplace_back((page - 1) * per_page);
  return params;
}

std::string like_pattern(const std::string& text) {
  if (text.empty()) return "";
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return p + "%";
}

void migrate(connection& c) {
  auto far = [] { return clock::now() + std::chrono::minutes(5); };
  c.with_migration_lock([&] {
    c.transact(access::write, far(), [](session& s) { s.exec(create_migrations_table, {}); });
    for (const auto& m : migrations()) {
      // Checked inside the write transaction: a concurrent migrator has either committed the
      // migration already (we skip it) or waits for our lock.
      c.transact(access::write, far(), [&](session& s) {
        if (!s.exec(migration_applied, {int64_t{m.version}}).data.empty()) return;
        log::info("applying migration", {{"migration", m.version}, {"name", m.name}});
        s.script(m.sql);
        s.exec(migration_record, {int64_t{m.version}, m.name, now_ms()});
      });
    }
  });
}

void lock_owner(session& s, const std::string& owner) {
  // Key space 0x76757466 ("vutf") with the owner's hash: owners that share a hash only wait
  // for each other. The lock ends with the transaction.
  static const statement owner_lock{"owner_lock",
                                    "SELECT pg_advisory_xact_lock(1987408998, hashtext($1))"};
  if (on_postgres(s)) s.exec(owner_lock, {owner});
}

bool take_owner_slot(session& s, const std::string& owner, const char* kind, int64_t max) {
  static const statement slot_take{
      "owner_slot_take",
      "INSERT INTO owner_counts (owner_id, kind, n) VALUES ($1, $2, 1) ON CONFLICT (owner_id, "
      "kind) DO UPDATE SET n = owner_counts.n + 1 WHERE owner_counts.n < $3"};
  return max > 0 && s.exec(slot_take, {owner, std::string(kind), max}).affected == 1;
}

void free_owner_slot(session& s, const std::string& owner, const char* kind) {
  static const statement slot_free{
      "owner_slot_free",
      "UPDATE owner_counts SET n = n - 1 WHERE owner_id = $1 AND kind = $2 AND n > 0"};
  s.exec(slot_free, {owner, std::string(kind)});
}

int64_t owner_count(session& s, const std::string& owner, const char* kind) {
  static const statement count_get{"owner_count_get",
                                   "SELECT n FROM owner_counts WHERE owner_id = $1 AND kind = $2"};
  rows r = s.exec(count_get, {owner, std::string(kind)});
  return r.data.empty() ? 0 : as_int(r.data.front()[0]);
}

void ping(session& s) {
  static const statement health_ping{"health_ping", "SELECT 1"};
  s.exec(health_ping, {});
}

std::string primary_wal_lsn(session& s) {
  static const statement wal_lsn{"primary_wal_lsn", "SELECT pg_current_wal_lsn()::text"};
  rows r = s.exec(wal_lsn, {});
  if (r.data.empty() || !r.data.front()[0]) throw db_error(errc::internal_error, "no WAL position");
  return *r.data.front()[0];
}

replica_position replica_position_of(session& s) {
  // Lag in time, not bytes: an idle primary writes nothing, so a replica that has replayed all
  // it received is current however old its last replayed commit is.
  static const statement position{
      "replica_position",
      "SELECT pg_last_wal_replay_lsn()::text, "
      "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
      "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::text"};
  rows r = s.exec(position, {});
  if (r.data.empty() || !r.data.front()[0])  // NULL: not a replica (or not replaying)
    throw db_error(errc::internal_error, "not a streaming replica");
  return {*r.data.front()[0], r.data.front()[1] ? std::stod(*r.data.front()[1]) : 0.0};
}

}  // namespace vutf::storage
