// The webhook store on a live PostgreSQL (the tests are in webhook_store_checks.hpp).
#include "tests/support/store_fixture.hpp"
#include "tests/webhook_store_checks.hpp"

namespace vutf {
namespace {

struct postgres : test::pg_backend {};

INSTANTIATE_TYPED_TEST_SUITE_P(webhook_store_postgres, webhook_store, postgres);

}  // namespace
}  // namespace vutf
