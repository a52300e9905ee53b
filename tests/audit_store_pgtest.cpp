// Audit batches on a live PostgreSQL (the tests are in audit_store_checks.hpp).
#include "tests/audit_store_checks.hpp"
#include "tests/support/store_fixture.hpp"

namespace vutf {
namespace {

struct postgres : test::pg_backend {};

INSTANTIATE_TYPED_TEST_SUITE_P(audit_store_postgres, audit_store, postgres);

}  // namespace
}  // namespace vutf
