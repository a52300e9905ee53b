// The string helpers every layer shares.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vutf {

// `parts` with `sep` between them.
std::string join(const std::vector<std::string>& parts, std::string_view sep = ",");

// The non-empty fields of `text` between `sep` characters ("a,,b" and ",a,b," give {a, b}).
std::vector<std::string> split(std::string_view text, char sep = ',');

}  // namespace vutf
