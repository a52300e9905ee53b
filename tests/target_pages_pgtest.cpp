// Pages by keyset range on a live PostgreSQL (the tests are in target_pages_checks.hpp).
#include "tests/support/store_fixture.hpp"
#include "tests/target_pages_checks.hpp"

namespace vutf {
namespace {

struct postgres : test::pg_backend {};

INSTANTIATE_TYPED_TEST_SUITE_P(target_pages_postgres, target_pages, postgres);

}  // namespace
}  // namespace vutf
