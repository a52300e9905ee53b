// JSON string escaping shared by the log writer and the HTTP JSON writer.
#pragma once

#include <string>

namespace vutf {

// Appends `s` to `out` as a JSON string literal (RFC 8259): quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, const std::string& s);

}  // namespace vutf
