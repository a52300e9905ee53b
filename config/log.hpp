// One-line-per-event logging (LOG_LEVEL, LOG_FORMAT). Each event is written with a single
// write(2) so lines from different threads never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace vutf::log {

enum class level { debug, info, warning, error };

// Sets the threshold and format ("json" or "text"); called once at startup.
void configure(const std::string& level_name, const std::string& format);

bool enabled(level l);

using field = std::pair<const char*, std::string>;

// Writes `message` with extra key/value fields to stderr.
void write(level l, const std::string& message, std::initializer_list<field> fields = {});

inline void info(const std::string& m, std::initializer_list<field> f = {}) {
  write(level::info, m, f);
}
inline void warning(const std::string& m, std::initializer_list<field> f = {}) {
  write(level::warning, m, f);
}
inline void error(const std::string& m, std::initializer_list<field> f = {}) {
  write(level::error, m, f);
}

}  // namespace vutf::log
