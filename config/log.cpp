#include "config/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include "config/instance.hpp"
#include "config/json_escape.hpp"
#include "config/time.hpp"

namespace vutf::log {
namespace {

std::atomic<int> threshold{static_cast<int>(level::info)};
std::atomic<bool> json{true};
// What every JSON line says about its writer: "service" and "version" (set once at startup).
std::string identity = R"(,"service":"violentutf-api")";

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

std::string field::number_literal(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

void configure(const std::string& level_name, const std::string& format,
               const std::string& version) {
  level l = level::info;
  if (level_name == "debug") l = level::debug;
  if (level_name == "warning") l = level::warning;
  if (level_name == "error") l = level::error;
  threshold = static_cast<int>(l);
  json = format != "text";
  // Only the service's own startup names a version; tests reconfigure while threads log.
  if (!version.empty()) {
    identity = R"(,"service":"violentutf-api","version":)";
    append_json_string(identity, version);
    identity += R"(,"instance":)";
    append_json_string(identity, instance_id());
  }
}

bool enabled(level l) {
  return static_cast<int>(l) >= threshold.load(std::memory_order_relaxed);
}

void write(level l, const std::string& message, const field* begin, const field* end) {
  if (!enabled(l)) return;
  std::string line;
  line.reserve(128 + message.size());
  if (json) {
    line += "{\"ts\":\"" + format_timestamp(now_ms()) + "\",\"level\":\"" + name(l) + "\",\"msg\":";
    append_json_string(line, message);
    line += identity;
    for (const field* f = begin; f != end; ++f) {
      line += ",\"";
      line += f->key;
      line += "\":";
      if (f->typed) {
        line += f->value;
      } else {
        append_json_string(line, f->value);
      }
    }
    line += "}\n";
  } else {
    line += format_timestamp(now_ms()) + " " + name(l) + " " + message;
    for (const field* f = begin; f != end; ++f) line += std::string(" ") + f->key + "=" + f->value;
    line += '\n';
  }
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace vutf::log
