// Pages by keyset range on SQLite (the tests are in target_pages_checks.hpp).
#include "tests/support/store_fixture.hpp"
#include "tests/target_pages_checks.hpp"

namespace vutf {
namespace {

struct sqlite : test::sqlite_memory_backend {};

INSTANTIATE_TYPED_TEST_SUITE_P(target_pages_sqlite, target_pages, sqlite);

}  // namespace
}  // namespace vutf
