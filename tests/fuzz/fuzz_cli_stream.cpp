// What the vutf client reads from the network or disk, on arbitrary bytes: the scan's event
// stream (split at an arbitrary point, which must not change the events), an error body, and
// the config file. Nothing crashes; an event never holds a line break it was not given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "cli/client.hpp"
#include "cli/config.hpp"
#include "cli/progress.hpp"

namespace {

using events = std::vector<std::pair<std::string, std::string>>;

events parse_in_two(const std::string& text, size_t cut, bool& ok) {
  events out;
  vutf::cli::sse_parser p(
      [&](const std::string& n, const std::string& d) { out.emplace_back(n, d); }, 4096);
  ok = p.feed(text.data(), cut) && p.feed(text.data() + cut, text.size() - cut);
  return out;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  bool whole_ok = false, split_ok = false;
  events whole = parse_in_two(text, size, whole_ok);
  events split = parse_in_two(text, size / 2, split_ok);
  if (whole_ok && split_ok && whole != split) std::abort();
  for (const auto& [name, value] : whole) {
    if (name.find('\n') != std::string::npos) std::abort();
  }
  (void)vutf::cli::problem_message(422, text);
  for (const auto& [key, value] : vutf::cli::parse_config(text)) {
    if (key.empty() || key.find('\n') != std::string::npos) std::abort();
  }
  return 0;
}
