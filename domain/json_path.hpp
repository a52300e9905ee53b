// The reply paths of http-json targets: a bounded subset of JSONPath (RFC 9535) and the older
// dotted form, parsed once into steps and followed through a parsed reply. Pure: no I/O.
//
//   $.choices[0].message.content   member names after '.', array indexes in brackets
//   $['a b'].c  $["x"]             bracketed names (quoted with ' or ", backslash escapes)
//   $                              the whole reply
//   result.text  outputs.0.text    the dotted form: names split on '.', a number indexes an
//                                  array
// Wildcards, filters, slices, unions, negative indexes and recursive descent select many values
// (or none) where a reply has one text: they are refused.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vutf {

// Bounds of a path: its text and its steps (each step is one level of the reply).
constexpr size_t max_json_path_bytes = 512;
constexpr size_t max_json_path_steps = 64;

// One level: a member name, an array index, or both (a name made of digits, as in the dotted
// form's "outputs.0", also indexes an array). A bracketed index selects only in arrays, a
// quoted name only in objects.
struct json_path_step {
  std::optional<std::string> name;
  std::optional<size_t> index;
};

struct parsed_json_path {
  std::optional<std::vector<json_path_step>> steps;  // nullopt: not a path
  std::string error;                                 // why not
};

// Parses `text` (a JSONPath when it starts with '$', else the dotted form).
parsed_json_path parse_json_path(std::string_view text);

// The value at `steps` in `doc`, or null when the reply has nothing there.
const nlohmann::json* follow_json_path(const nlohmann::json& doc,
                                       const std::vector<json_path_step>& steps);

}  // namespace vutf
