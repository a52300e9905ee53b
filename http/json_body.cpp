#include "http/json_body.hpp"

#include "config/json_nesting.hpp"

namespace vutf::http {

std::optional<failure> parse_json_object(const std::string& body, nlohmann::json& out,
                                         const nlohmann::json::parser_callback_t& keep) {
  if (measure_json_nesting(body, 0, max_json_depth).too_deep)
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
