// The fixture the storage tests written once for both databases derive from (target_pages_checks,
// webhook_store_checks): a migrated database with two users, and write transactions on it; and
// the Backend of their PostgreSQL runs.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "storage/database.hpp"
#include "storage/user_store.hpp"
#include "tests/support/support.hpp"

namespace vutf::test {

// `Backend::url()` names a new, empty database.
template <class Backend>
class store_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    log::configure("error", "json");
    conn_ = storage::connect(storage::parse_database_url(Backend::url()), {});
    storage::migrate(*conn_);
    owner_ = add_user("owner");
    other_ = add_user("other");
  }

  template <class Fn>
  void tx(Fn fn) {
    conn_->transact(storage::access::write, storage::clock::now() + std::chrono::seconds(10), fn);
  }

  std::string add_user(const std::string& name) {
    user u;
    u.id = make_uuid();
    u.username = name;
    u.email = name + "@example.com";
    u.password_hash = "not-a-hash";
    u.created_at_ms = u.updated_at_ms = now_ms();
    tx([&](storage::session& s) { storage::insert_user(s, u); });
    return u.id;
  }

  std::unique_ptr<storage::connection> conn_;
  std::string owner_, other_;
};

// The Backend of an in-memory SQLite database (one connection: the fixture's).
struct sqlite_memory_backend {
  static std::string url() { return "sqlite:///:memory:"; }
};

// The Backend of the runner's PostgreSQL: a new database for each test. The *_pgtest files
// derive their own `postgres` from it, as ctest names the tests after the Backend's type.
struct pg_backend {
  static std::string url() { return fresh_pg_database(); }
};

}  // namespace vutf::test
