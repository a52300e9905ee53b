// PostgreSQL connection over libpqxx 6: prepared named statements, a session statement_timeout,
// and a tighter SET LOCAL only when a request has less time left than that.
#include <pqxx/pqxx>
#include <set>

#include "storage/database.hpp"

namespace vutf::storage {
namespace {

// Any constant would do; it only has to be the same in every instance of this service.
constexpr int64_t migration_lock_key = 0x76757466;  // "vutf"

class pg_session : public session {
 public:
  pg_session(pqxx::transaction_base& tx, std::set<std::string>& prepared, pqxx::connection& c)
      : tx_(tx), prepared_(prepared), c_(c) {}

  rows exec(const statement& s, const std::vector<value>& params) override {
    if (prepared_.insert(s.name).second) c_.prepare(s.name, s.sql);
    std::vector<std::string> texts(params.size());
    std::vector<const char*> ptrs(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (auto* n = std::get_if<int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
        ptrs[i] = texts[i].c_str();
      } else if (auto* str = std::get_if<std::string>(&params[i])) {
        ptrs[i] = str->c_str();
      }
    }
    pqxx::result r = tx_.exec_prepared(s.name, pqxx::prepare::make_dynamic_params(ptrs));
    rows out;
    out.affected = static_cast<int64_t>(r.affected_rows());
    out.data.reserve(r.size());
    for (const auto& pr : r) {
      row x(pr.size());
      for (pqxx::row::size_type c = 0; c < pr.size(); ++c)
        if (!pr[c].is_null()) x[c] = std::string(pr[c].c_str(), pr[c].size());
      out.data.push_back(std::move(x));
    }
    return out;
  }

  void script(const std::string& sql) override { tx_.exec(sql); }
  const char* dialect() const override { return "postgres"; }

  std::optional<db_error> isolated(const std::function<void(session&)>& fn) override {
    tx_.exec("SAVEPOINT batched_write");
    try {
      fn(*this);
      return std::nullopt;
    } catch (const pqxx::unique_violation& e) {
      return rolled_back(errc::conflict, e.what());
    } catch (const pqxx::sql_error& e) {
      // A timeout, a shutdown or a lost connection ends the transaction (see transact).
      std::string state = e.sqlstate();
      if (state == "57014" || state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) throw;
      return rolled_back(errc::internal_error, e.what());
    }
  }

 private:
  db_error rolled_back(errc code, const std::string& what) {
    tx_.exec("ROLLBACK TO SAVEPOINT batched_write");
    return db_error(code, what);
  }

  pqxx::transaction_base& tx_;
  std::set<std::string>& prepared_;
  pqxx::connection& c_;
};

class pg_connection : public connection {
 public:
  pg_connection(std::string conninfo, connect_options o)
      : conninfo_(std::move(conninfo)), options_(o) {
    open();
  }

  void transact(access mode, clock::time_point deadline,
                const std::function<void(session&)>& fn) override {
    if (!conn_ || !conn_->is_open()) reconnect();
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (remaining.count() <= 0) throw db_error(errc::request_timeout, "deadline passed");
    try {
      // Reads skip BEGIN/COMMIT round trips; writes and tight deadlines need a transaction.
      bool tight = remaining < options_.statement_timeout;
      if (mode == access::read && !tight) {
        pqxx::nontransaction tx(*conn_);
        pg_session s(tx, prepared_, *conn_);
        fn(s);
        return;
      }
      pqxx::work tx(*conn_);
      if (tight) tx.exec("SET LOCAL statement_timeout = " + std::to_string(remaining.count()));
      pg_session s(tx, prepared_, *conn_);
      fn(s);
      tx.commit();
    } catch (const pqxx::broken_connection& e) {
      lost();
      throw db_error(errc::db_unavailable, e.what());
    } catch (const pqxx::in_doubt_error& e) {
      lost();
      throw db_error(errc::db_unavailable, e.what());
    } catch (const pqxx::unique_violation& e) {
      throw db_error(errc::conflict, e.what());
    } catch (const pqxx::sql_error& e) {
      // Admin shutdown / crash recovery states arrive as sql_error with class 57P / 08.
      std::string state = e.sqlstate();
      if (state == "57014") throw db_error(errc::request_timeout, e.what());  // statement_timeout
      if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) {
        lost();
        throw db_error(errc::db_unavailable, e.what());
      }
      throw db_error(errc::internal_error, e.what());
    } catch (const pqxx::failure& e) {
      if (!conn_->is_open()) {
        lost();
        throw db_error(errc::db_unavailable, e.what());
      }
      throw db_error(errc::internal_error, e.what());
    }
  }

  bool alive() const override { return conn_ && conn_->is_open(); }

  void reconnect() override {
    lost();
    open();
  }

  void with_migration_lock(const std::function<void()>& fn) override {
    pqxx::nontransaction(*conn_).exec("SELECT pg_advisory_lock(" +
                                      std::to_string(migration_lock_key) + ")");
    try {
      fn();
    } catch (...) {
      unlock();
      throw;
    }
    unlock();
  }

  const char* dialect() const override { return "postgres"; }

 private:
  void open() {
    try {
      std::string info = conninfo_;
      info += (info.find('?') == std::string::npos ? "?" : "&");
      info += "connect_timeout=2&keepalives=1&keepalives_idle=10&application_name=violentutf-api";
      conn_ = std::make_unique<pqxx::connection>(info);
      pqxx::nontransaction(*conn_).exec(
          "SET statement_timeout = " +
          std::to_string(std::chrono::milliseconds(options_.statement_timeout).count()));
    } catch (const std::exception& e) {
      conn_.reset();
      throw db_error(errc::db_unavailable, e.what());
    }
  }

  void lost() {
    prepared_.clear();
    conn_.reset();
  }

  void unlock() {
    if (alive())
      pqxx::nontransaction(*conn_).exec("SELECT pg_advisory_unlock(" +
                                        std::to_string(migration_lock_key) + ")");
  }

  std::string conninfo_;
  connect_options options_;
  std::unique_ptr<pqxx::connection> conn_;
  std::set<std::string> prepared_;
};

}  // namespace

std::unique_ptr<connection> connect_postgres(const std::string& conninfo,
                                             const connect_options& o) {
  return std::make_unique<pg_connection>(conninfo, o);
}

}  // namespace vutf::storage
