// Audit batches on SQLite (the tests are in audit_store_checks.hpp).
#include "tests/audit_store_checks.hpp"
#include "tests/support/store_fixture.hpp"

namespace vutf {
namespace {

struct sqlite : test::sqlite_memory_backend {};

INSTANTIATE_TYPED_TEST_SUITE_P(audit_store_sqlite, audit_store, sqlite);

}  // namespace
}  // namespace vutf
