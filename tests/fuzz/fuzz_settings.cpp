// Settings from hostile text: the input is read as a .env file and then as the process
// environment. Parsing never throws (parse_settings' promise) and whatever it accepted can be
// printed with secrets masked.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/settings.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  const std::string text(reinterpret_cast<const char*>(data), size);
  env_map parsed = parse_dotenv(text);
  for (const auto& [name, value] : parsed) (void)mask_url_password(value);
  for (const auto& r : {parse_settings(parsed, {}), parse_settings({}, parsed)}) {
    (void)print_config(r.values);
    if (r.problems.empty()) (void)scheduler_threads(r.values, 2);
  }
  return 0;
}
