#include "http/routes/identity_fields.hpp"

namespace vutf::http {

using nlohmann::json;

std::map<std::string, std::optional<std::string>> string_fields(
    const json& j, const std::set<std::string>& known, const std::set<std::string>& required,
    const std::set<std::string>& nullable, std::vector<field_error>& errors) {
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      errors.push_back({key, "unknown field"});
    } else if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_null() && nullable.count(key)) {
      out[key] = std::nullopt;
    } else {
      errors.push_back(
          {key, nullable.count(key) ? "must be a string or null" : "must be a string"});
    }
  }
  for (const auto& r : required)
    if (!j.contains(r)) errors.push_back({r, "is required"});
  return out;
}

}  // namespace vutf::http
