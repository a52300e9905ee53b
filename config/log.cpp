#include "config/log.hpp"

#include <unistd.h>

#include <atomic>

#include "config/json_escape.hpp"
#include "config/time.hpp"

namespace vutf::log {
namespace {

std::atomic<int> threshold{static_cast<int>(level::info)};
std::atomic<bool> json{true};

const char* name(level l) {
  switch (l) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warning:
      return "warning";
    case level::error:
      return "error";
  }
  return "info";
}

}  // namespace

void configure(const std::string& level_name, const std::string& format) {
  level l = level::info;
  if (level_name == "debug") l = level::debug;
  if (level_name == "warning") l = level::warning;
  if (level_name == "error") l = level::error;
  threshold = static_cast<int>(l);
  json = format != "text";
}

bool enabled(level l) {
  return static_cast<int>(l) >= threshold.load(std::memory_order_relaxed);
}

void write(level l, const std::string& message, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  std::string line;
  line.reserve(128 + message.size());
  if (json) {
    line += "{\"ts\":\"" + format_timestamp(now_ms()) + "\",\"level\":\"" + name(l) + "\",\"msg\":";
    append_json_string(line, message);
    for (const auto& f : fields) {
      line += ",\"";
      line += f.first;
      line += "\":";
      append_json_string(line, f.second);
    }
    line += "}\n";
  } else {
    line += format_timestamp(now_ms()) + " " + name(l) + " " + message;
    for (const auto& f : fields) line += std::string(" ") + f.first + "=" + f.second;
    line += '\n';
  }
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace vutf::log
