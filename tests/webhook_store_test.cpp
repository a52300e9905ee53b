// The webhook store on SQLite (the tests are in webhook_store_checks.hpp).
#include <cstdlib>

#include "tests/webhook_store_checks.hpp"

namespace vutf {
namespace {

// A database file in a directory of its own, removed when the tests end.
struct sqlite {
  static std::string url() {
    static const struct directory {
      std::string path;
      directory() {
        char tmpl[] = "/tmp/vutf-webhooks.XXXXXX";
        path = mkdtemp(tmpl);
      }
      ~directory() { std::system(("rm -rf " + path).c_str()); }
    } dir;
    return "sqlite:///" + dir.path + "/" + make_uuid() + ".db";
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(webhook_store_sqlite, webhook_store, sqlite);

}  // namespace
}  // namespace vutf
