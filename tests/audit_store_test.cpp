// Audit batches on SQLite (the tests are in audit_store_checks.hpp).
#include "tests/audit_store_checks.hpp"

namespace vutf {
namespace {

struct sqlite {
  static std::string url() { return "sqlite:///:memory:"; }
};

INSTANTIATE_TYPED_TEST_SUITE_P(audit_store_sqlite, audit_store, sqlite);

}  // namespace
}  // namespace vutf
