// UTF-8 validation shared by the JSON writers and every place that stores client text: the
// database (PostgreSQL `text`) rejects invalid UTF-8 and NUL, so such text is repaired before it
// is written.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vutf {

// Length of the well-formed UTF-8 sequence starting at s[i] (1-4), or 0 when the bytes there
// are not one: a stray continuation byte, an overlong form, a surrogate (U+D800..U+DFFF), a
// code point above U+10FFFF or a sequence cut short.
size_t utf8_sequence(std::string_view s, size_t i);

// `text` as valid UTF-8 of at most `max_bytes` bytes: every byte that does not start a
// well-formed sequence becomes U+FFFD, NUL characters are removed, and the result is cut at a
// character boundary.
std::string valid_utf8(std::string_view text, size_t max_bytes = std::string::npos);

}  // namespace vutf
