// A guard run on JSON text before a parser sees it: hostile text (a reply, a body) may nest
// thousands of levels deep, and parsing and destroying such a tree recurses that deep.
#pragma once

#include <string_view>

namespace vutf {

struct json_nesting {
  bool too_deep = false;                // brackets nest deeper than the limit somewhere
  size_t end = std::string_view::npos;  // just past the bracket that closes the first value
};

// How the JSON text from s[from] nests, in one linear pass that skips strings (and their
// escapes): it stops once the first bracketed value closes (`end`), or as soon as it nests
// deeper than `max_depth` (`too_deep`); `end` stays npos for a value that never closes, a
// stray closing bracket or a scalar.
json_nesting measure_json_nesting(std::string_view s, size_t from, int max_depth);

}  // namespace vutf
