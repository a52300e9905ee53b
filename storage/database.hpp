// One interface over SQLite (embedded default) and PostgreSQL (production). Connections are
// blocking: only connection actors (each on a thread of its own) call them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/error.hpp"

namespace vutf::storage {

using clock = std::chrono::steady_clock;

// A named SQL statement: the name labels its metrics and log lines. Each store declares its
// statements as constants in `namespace sql` at the top of its .cpp file (portable SQL for
// SQLite and PostgreSQL); nothing outside storage/ holds SQL text.
struct statement {
  const char* name;
  std::string sql;  // portable SQL with $1..$n placeholders
};

using value = std::variant<std::nullptr_t, int64_t, std::string>;
using row = std::vector<std::optional<std::string>>;

// Column and parameter conversions shared by the stores: a nullable text column as a bound
// parameter (NULL when absent), an integer column as int64 (0 when NULL).
inline value nullable(const std::optional<std::string>& v) {
  return v ? value(*v) : value(nullptr);
}
inline value nullable(const std::optional<int64_t>& v) {
  return v ? value(*v) : value(nullptr);
}
inline int64_t as_int(const std::optional<std::string>& v) {
  return v ? std::stoll(*v) : 0;
}

struct rows {
  std::vector<row> data;
  int64_t affected = 0;
};

// Thrown by connections; `code` is db_unavailable, request_timeout, conflict or internal_error.
// what() may hold SQL text and is only ever logged, never sent to a client.
struct db_error : std::runtime_error {
  db_error(errc c, const std::string& what) : std::runtime_error(what), code(c) {}
  errc code;
};

// Statements inside one transaction.
class session {
 public:
  virtual ~session() = default;
  virtual rows exec(const statement& s, const std::vector<value>& params) = 0;
  // Runs several `;`-separated statements without parameters (migrations).
  virtual void script(const std::string& sql) = 0;
  // "sqlite" or "postgres", for the few statements whose best form differs (row locking).
  virtual const char* dialect() const = 0;
  // Runs `fn` inside a savepoint of this transaction (one write of a group commit). When `fn`
  // fails in a way that leaves the transaction usable (a unique violation: conflict; any other
  // statement error: internal_error), only its changes are rolled back and the error is returned;
  // the transaction goes on. A lost connection or a timeout is thrown on: the whole transaction
  // is lost. Savepoints are not released (a round trip saved): each nests in the one before,
  // which has already run, so rolling back to it undoes `fn` alone.
  virtual std::optional<db_error> isolated(const std::function<void(session&)>& fn) = 0;
};

// For the few statements whose best form differs between the two databases.
inline bool on_postgres(const session& s) {
  return std::string_view(s.dialect()) == "postgres";
}

enum class access { read, write };

class connection {
 public:
  virtual ~connection() = default;
  // Runs `fn` in one transaction that the database itself aborts at `deadline`. Commits when
  // `fn` returns, rolls back when it throws. Throws db_error.
  virtual void transact(access mode, clock::time_point deadline,
                        const std::function<void(session&)>& fn) = 0;
  // False once the connection is known to be lost; reconnect() brings it back or throws.
  virtual bool alive() const = 0;
  virtual void reconnect() = 0;
  // Serialises concurrent migrators (PostgreSQL advisory lock; SQLite's write lock suffices).
  virtual void with_migration_lock(const std::function<void()>& fn) = 0;
  virtual const char* dialect() const = 0;
};

struct database_url {
  enum class kind { sqlite, postgres } type = kind::sqlite;
  std::string conninfo;  // libpq URI (postgres) or file path / ":memory:" (sqlite)
};

// Accepts every form in the settings (postgresql://, postgresql+asyncpg://, postgres://,
// sqlite:///PATH, sqlite+aiosqlite:///PATH, sqlite:///:memory:). Throws std::invalid_argument.
database_url parse_database_url(const std::string& url);

struct connect_options {
  std::chrono::seconds statement_timeout{30};  // server-side bound of any statement
};

// Opens a connection; throws db_error(db_unavailable) when the database does not answer.
std::unique_ptr<connection> connect(const database_url& url, const connect_options& options);

// A case-insensitive LIKE pattern (use with ESCAPE '\\' and lower()) matching `text` as a
// substring, its % _ and \\ taken literally; "" for "".
std::string like_pattern(const std::string& text);

// The single integer a COUNT(*) statement returns (0 when it returns no row).
int64_t count_of(session& s, const statement& count, const std::vector<value>& params);

// A list statement's parameters: the filter's, then LIMIT and OFFSET of page `page` (from 1).
std::vector<value> with_page(std::vector<value> params, int64_t page, int64_t per_page);

// Makes every other write transaction that locks the same `owner` wait until this one ends, so
// a per-owner limit checked by counting and then inserting holds under concurrent requests
// (PostgreSQL: an advisory transaction lock; SQLite runs one write transaction at a time).
void lock_owner(session& s, const std::string& owner);

// An owner's count of `kind` ("targets", "probe_sets") in owner_counts (migration 014), kept by
// the stores in the transactions that insert and delete. take_owner_slot increments it only
// while it is below `max` (false, nothing written, otherwise) and leaves the row locked until
// the transaction ends, so concurrent creates cannot pass `max` together and a create rolled
// back gives its place back. One row whatever the owner holds: no COUNT, no owner-wide lock.
bool take_owner_slot(session& s, const std::string& owner, const char* kind, int64_t max);
void free_owner_slot(session& s, const std::string& owner, const char* kind);
// The count itself: what a COUNT(*) of the owner's live `kind` would say, for one key lookup.
int64_t owner_count(session& s, const std::string& owner, const char* kind);

// Runs the cheapest statement there is (the health probe's round trip).
void ping(session& s);

// Replication positions (PostgreSQL only; see actors/db_router). LSNs are PostgreSQL's text
// form "X/Y". The primary's: where its WAL ends now, every commit so far at or before it.
std::string primary_wal_lsn(session& s);
// A streaming replica's: how far it has replayed, and how many seconds of the primary's commits
// it has yet to replay (0 when it has replayed all it received).
struct replica_position {
  std::string replayed_lsn;
  double lag_seconds = 0;
};
replica_position replica_position_of(session& s);

// Applies the numbered migrations in storage/migrations that are not applied yet. Safe when
// several instances start at once.
void migrate(connection& c);

// The migrations compiled into the binary, in order.
struct migration {
  int version;
  std::string name;
  std::string sql;
};
const std::vector<migration>& migrations();

}  // namespace vutf::storage
