// Cron expressions from POST /schedules on arbitrary bytes: parsing never crashes, and an
// expression that parses has a next fire time that is a whole minute after the time asked about
// (or none), found in bounded time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "domain/cron.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto e = vutf::parse_cron(text, why);
  if (!e) {
    if (why.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  // 2026-03-01T00:00:30Z, then the fire time after that one.
  int64_t after = int64_t{1772323230} * 1000;
  for (int i = 0; i < 3; ++i) {
    auto next = vutf::next_fire(*e, after);
    if (!next) break;
    if (*next <= after || *next % 60000 != 0) std::abort();
    after = *next;
  }
  return 0;
}
