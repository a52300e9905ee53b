#include "http/json_body.hpp"

namespace vutf::http {
namespace {

bool too_deep(const std::string& body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_json_depth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::optional<failure> parse_json_object(const std::string& body, nlohmann::json& out,
                                         const nlohmann::json::parser_callback_t& keep) {
  if (too_deep(body))
    return failure{errc::bad_request,
                   "The body nests deeper than " + std::to_string(max_json_depth) + " levels.",
                   {}};
  out = nlohmann::json::parse(body, keep, false);
  if (out.is_discarded()) return failure{errc::bad_request, "The body is not valid JSON.", {}};
  if (!out.is_object())
    return failure{errc::validation_error,
                   "The body must be a JSON object.",
                   {{"body", "must be a JSON object"}}};
  return std::nullopt;
}

}  // namespace vutf::http
