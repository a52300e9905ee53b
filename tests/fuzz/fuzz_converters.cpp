// Every prompt converter on arbitrary bytes (invalid UTF-8, NUL, tag characters, Morse-like
// text): the output is valid UTF-8 (the byte encoders' is ASCII), at most max_expansion times
// the input, and the encodings decode back to the input (tests/support/unconvert.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/utf8.hpp"
#include "domain/converters.hpp"
#include "tests/support/unconvert.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Well-formed UTF-8 (NUL included, which valid_utf8 would drop).
bool utf8(const std::string& text) {
  for (size_t i = 0, n = 0; i < text.size(); i += n)
    if ((n = vutf::utf8_sequence(text, i)) == 0) return false;
  return true;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  const std::string prompt(reinterpret_cast<const char*>(data), size);
  for (const auto& c : converters()) {
    std::string out = c.apply(prompt);
    check(out.size() <= max_expansion * prompt.size());
    check(utf8(out));
  }
  auto apply = [&](const char* id) { return find_converter(id)->apply(prompt); };
  check(test::unbase64(apply("base64")) == prompt);
  check(test::unhex(apply("hex")) == prompt);
  // The text converters work on characters: their inverses hold for valid UTF-8.
  if (!utf8(prompt)) return 0;
  check(find_converter("rot13")->apply(apply("rot13")) == prompt);
  check(test::unreverse(apply("reverse")) == prompt);
  check(test::unspace(apply("char-spacing")) == prompt);
  check(test::unspace(apply("zero-width")) == prompt);
  check(test::unmorse(apply("morse")) == test::upper(prompt));
  // Tag characters already in the prompt would decode to ASCII too.
  if (prompt.find("\xF3\xA0\x80") == prompt.npos && prompt.find("\xF3\xA0\x81") == prompt.npos)
    check(test::untag(apply("unicode-tags")) == prompt);
  return 0;
}
