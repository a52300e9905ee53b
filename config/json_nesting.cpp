#include "config/json_nesting.hpp"

namespace vutf {

json_nesting measure_json_nesting(std::string_view s, size_t from, int max_depth) {
  json_nesting out;
  int depth = 0;
  bool in_string = false;
  for (size_t i = from; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        out.too_deep = true;
        return out;
      }
    } else if (c == '}' || c == ']') {
      if (--depth == 0) out.end = i + 1;
      if (depth <= 0) return out;
    }
  }
  return out;
}

}  // namespace vutf
