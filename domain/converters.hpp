// Prompt converters: a scan sends every prompt as written and once more through each converter
// it names (POST /scans "converters"), to test whether a target's guardrails still hold when
// the attack is encoded or disguised. This table is the only place converters are defined.
//
// Text in, text out, pure. Byte encoders (base64, hex) encode the prompt's bytes exactly, valid
// UTF-8 or not. Every other converter works on characters (code points, never splitting one):
// a byte that does not start a well-formed UTF-8 sequence becomes U+FFFD, so every output is
// valid UTF-8 whatever the input. Work is linear and output is at most max_expansion times the
// input (morse is the largest).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vutf {

struct converter {
  const char* id;
  const char* description;
  std::string (*apply)(std::string_view prompt);
};

// Every converter, in the order GET /converters lists them.
const std::vector<converter>& converters();

// The converter with this id, or nullptr.
const converter* find_converter(std::string_view id);

// A scan may name each converter once: at most all of them.
constexpr size_t max_converters_per_scan = 10;

// No converter's output is longer than this many times its input.
constexpr size_t max_expansion = 8;

}  // namespace vutf
