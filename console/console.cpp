#include "console/console.hpp"

namespace vutf::console {
namespace {

// Only the kinds of file the console has; the explicit charset spares the browser any guess.
std::string_view content_type_of(std::string_view name) {
  auto ends_with = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

std::optional<asset> find_asset(std::string_view name) {
  for (const auto& f : embedded_files())
    if (f.name == name) return asset{content_type_of(name), f.bytes};
  return std::nullopt;
}

}  // namespace vutf::console
