// SQLite connection: WAL mode, one writer (BEGIN IMMEDIATE), deadlines via the progress handler.
#include <sqlite3.h>

#include <atomic>
#include <map>

#include "storage/database.hpp"

namespace vutf::storage {
namespace {

class sqlite_connection;

class sqlite_session : public session {
 public:
  explicit sqlite_session(sqlite_connection& c) : c_(c) {}
  rows exec(const statement& s, const std::vector<value>& params) override;
  void script(const std::string& sql) override;
  const char* dialect() const override { return "sqlite"; }
  std::optional<db_error> isolated(const std::function<void(session&)>& fn) override;

 private:
  sqlite_connection& c_;
};

class sqlite_connection : public connection {
 public:
  explicit sqlite_connection(std::string path) : path_(std::move(path)) { open(); }
  ~sqlite_connection() override { close(); }

  void transact(access mode, clock::time_point deadline,
                const std::function<void(session&)>& fn) override {
    deadline_ = deadline;
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    sqlite3_busy_timeout(db_, static_cast<int>(std::max<int64_t>(1, remaining.count())));
    run(mode == access::write ? "BEGIN IMMEDIATE" : "BEGIN");
    sqlite_session s(*this);
    try {
      fn(s);
      run("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  bool alive() const override { return db_ != nullptr; }
  void reconnect() override {
    close();
    open();
  }
  void with_migration_lock(const std::function<void()>& fn) override { fn(); }
  const char* dialect() const override { return "sqlite"; }

  rows exec(const statement& s, const std::vector<value>& params) {
    sqlite3_stmt* st = prepared(s);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    for (size_t i = 0; i < params.size(); ++i) {
      std::string name = "$" + std::to_string(i + 1);
      int idx = sqlite3_bind_parameter_index(st, name.c_str());
      if (idx == 0) continue;  // the statement does not use this parameter
      const value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        sqlite3_bind_null(st, idx);
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(st, idx, *n);
      } else {
        const auto& str = std::get<std::string>(v);
        sqlite3_bind_text(st, idx, str.data(), static_cast<int>(str.size()), SQLITE_TRANSIENT);
      }
    }
    rows out;
    int cols = sqlite3_column_count(st);
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc, s.name);
      row r(cols);
      for (int c = 0; c < cols; ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) continue;
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
        r[c] = std::string(text, sqlite3_column_bytes(st, c));
      }
      out.data.push_back(std::move(r));
    }
    out.affected = sqlite3_changes(db_);
    sqlite3_reset(st);
    return out;
  }

  void script(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    if (rc != SQLITE_OK) fail(rc, ("script: " + msg).c_str());
  }

 private:
  friend class sqlite_session;  // its savepoints

  void open() {
    bool memory = path_ == ":memory:";
    // One in-memory database per process, so every pooled connection sees the same data. The
    // memdb VFS ("/" names are shared in the process) locks like a file, so a writer that finds
    // the database busy waits in the busy handler; shared-cache mode would fail it at once with
    // SQLITE_LOCKED instead.
    std::string name = memory ? "file:/vutf_memory?vfs=memdb" : path_;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(name.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      close();
      throw db_error(errc::db_unavailable, "sqlite open " + path_ + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_progress_handler(db_, 1000, &sqlite_connection::past_deadline, this);
    sqlite3_busy_timeout(db_, 5000);
    if (!memory) run("PRAGMA journal_mode=WAL");
    run("PRAGMA synchronous=NORMAL");
    run("PRAGMA foreign_keys=ON");
  }

  void close() {
    for (auto& [name, st] : cache_) sqlite3_finalize(st);
    cache_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  void run(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
  }

  sqlite3_stmt* prepared(const statement& s) {
    auto it = cache_.find(s.name);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v3(db_, s.sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) fail(rc, s.name);
    cache_[s.name] = st;
    return st;
  }

  [[noreturn]] void fail(int rc, const char* what) {
    std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
    int primary = rc & 0xff;
    if (primary == SQLITE_INTERRUPT) throw db_error(errc::request_timeout, msg);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
      throw db_error(clock::now() >= deadline_ ? errc::request_timeout : errc::db_unavailable, msg);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
      throw db_error(errc::conflict, msg);
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL)
      throw db_error(errc::db_unavailable, msg);
    throw db_error(errc::internal_error, msg);
  }

  static int past_deadline(void* self) {
    return clock::now() >= static_cast<sqlite_connection*>(self)->deadline_ ? 1 : 0;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> cache_;
  clock::time_point deadline_ = clock::now() + std::chrono::hours(1);
};

rows sqlite_session::exec(const statement& s, const std::vector<value>& params) {
  return c_.exec(s, params);
}
void sqlite_session::script(const std::string& sql) {
  c_.script(sql);
}
std::optional<db_error> sqlite_session::isolated(const std::function<void(session&)>& fn) {
  c_.run("SAVEPOINT batched_write");
  try {
    fn(*this);
    return std::nullopt;
  } catch (const db_error& e) {
    // A timeout or a lost database ends the transaction (see transact).
    if (e.code != errc::conflict && e.code != errc::internal_error) throw;
    c_.run("ROLLBACK TO batched_write");
    return e;
  }
}

}  // namespace

std::unique_ptr<connection> connect_sqlite(const std::string& path) {
  return std::make_unique<sqlite_connection>(path);
}

}  // namespace vutf::storage
