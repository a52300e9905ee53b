#include "domain/json_path.hpp"

#include <nlohmann/json.hpp>

namespace vutf {
namespace {

// An index of at most 9 digits: far beyond any reply's arrays, and never overflows.
constexpr size_t max_index_digits = 9;

std::optional<size_t> index_of(std::string_view s) {
  if (s.empty() || s.size() > max_index_digits) return std::nullopt;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

parsed_json_path fail(std::string why) {
  return {std::nullopt, std::move(why)};
}

std::string at(size_t i) {
  return " at character " + std::to_string(i + 1);
}

parsed_json_path parse_dotted(std::string_view text) {
  std::vector<json_path_step> steps;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty()) return fail("has an empty name" + at(start));
    if (steps.size() == max_json_path_steps)
      return fail("has more than " + std::to_string(max_json_path_steps) + " steps");
    steps.push_back({std::string(part), index_of(part)});
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {std::move(steps), ""};
}

// A quoted name starting at text[i] (the quote): the name, with i past the closing bracket.
std::optional<std::string> quoted_name(std::string_view text, size_t& i, std::string& error) {
  char quote = text[i++];
  std::string name;
  while (i < text.size()) {
    char c = text[i++];
    if (c == quote) {
      if (i < text.size() && text[i] == ']') {
        ++i;
        return name;
      }
      break;
    }
    if (c == '\\') {
      char e = i < text.size() ? text[i++] : '\0';
      if (e != '\\' && e != '\'' && e != '"') {
        error = "has an escape other than \\\\, \\' or \\\"" + at(i - 1);
        return std::nullopt;
      }
      c = e;
    }
    name += c;
  }
  error = "has a quoted name without its closing quote and ']'";
  return std::nullopt;
}

parsed_json_path parse_jsonpath(std::string_view text) {
  const std::string unsupported =
      " (only names, quoted names and array indexes are supported: no wildcards, filters, "
      "slices, unions, negative indexes or '..')";
  std::vector<json_path_step> steps;
  size_t i = 1;  // past '$'
  while (i < text.size()) {
    if (steps.size() == max_json_path_steps)
      return fail("has more than " + std::to_string(max_json_path_steps) + " steps");
    size_t start = i;
    if (text[i] == '.') {
      ++i;
      size_t end = std::min(text.find_first_of(".[", i), text.size());
      std::string_view name = text.substr(i, end - i);
      if (name.empty() || name.find_first_of(" '\"]()?*@$,:") != std::string_view::npos)
        return fail("has an unsupported name" + at(start) + unsupported +
                    "; write other names as $['name']");
      steps.push_back({std::string(name), index_of(name)});
      i = end;
    } else if (text[i] == '[') {
      ++i;
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        std::string error;
        auto name = quoted_name(text, i, error);
        if (!name) return fail(error);
        steps.push_back({std::move(*name), std::nullopt});
      } else {
        size_t end = text.find(']', i);
        auto index =
            end == std::string_view::npos ? std::nullopt : index_of(text.substr(i, end - i));
        if (!index) return fail("has an unsupported selector" + at(start) + unsupported);
        steps.push_back({std::nullopt, index});
        i = end + 1;
      }
    } else {
      return fail("expects '.' or '['" + at(i));
    }
  }
  return {std::move(steps), ""};
}

}  // namespace

parsed_json_path parse_json_path(std::string_view text) {
  if (text.empty()) return fail("is empty");
  if (text.size() > max_json_path_bytes)
    return fail("is longer than " + std::to_string(max_json_path_bytes) + " bytes");
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return fail("contains a control character");
  return text.front() == '$' ? parse_jsonpath(text) : parse_dotted(text);
}

const nlohmann::json* follow_json_path(const nlohmann::json& doc,
                                       const std::vector<json_path_step>& steps) {
  const nlohmann::json* here = &doc;
  for (const auto& step : steps) {
    if (here->is_object() && step.name) {
      auto it = here->find(*step.name);
      if (it == here->end()) return nullptr;
      here = &*it;
    } else if (here->is_array() && step.index && *step.index < here->size()) {
      here = &(*here)[*step.index];
    } else {
      return nullptr;
    }
  }
  return here;
}

}  // namespace vutf
