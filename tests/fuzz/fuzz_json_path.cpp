// Reply paths and request templates: the first line of the input is a response_path (also used
// as the system prompt), the rest a JSON document (also used as the request_template, and as the
// prompt). parse_json_path must refuse or bound anything, follow_json_path must survive any
// document, and filling the template must keep it JSON whatever the prompts hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "domain/json_path.hpp"
#include "outbound/target_client.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  using nlohmann::json;
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string path = input.substr(0, newline);
  std::string rest = newline == std::string::npos ? "" : input.substr(newline + 1);

  auto parsed = parse_json_path(path);
  if (parsed.steps && parsed.steps->size() > max_json_path_steps) std::abort();
  if (!parsed.steps && parsed.error.empty()) std::abort();
  auto doc = json::parse(rest, nullptr, false);
  if (doc.is_discarded()) return 0;
  if (parsed.steps) (void)follow_json_path(doc, *parsed.steps);

  target t;
  t.kind = "http-json";
  t.request_template_json = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  t.system_prompt = path;
  if (!json::accept(target_request(t, rest).body)) std::abort();
  return 0;
}
