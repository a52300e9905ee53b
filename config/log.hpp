// One-line-per-event logging (LOG_LEVEL, LOG_FORMAT). Each event is written with a single
// write(2) so lines from different threads never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>

namespace vutf::log {

enum class level { debug, info, warning, error };

// Sets the threshold and format ("json" or "text"), and the service's version that every line
// carries; called once at startup.
void configure(const std::string& level_name, const std::string& format,
               const std::string& version = "");

bool enabled(level l);

// A key and its value: text, or a number or boolean written as a JSON number or boolean
// ("status":200, not "status":"200"), so log queries can compare and sum them.
struct field {
  field(const char* k, std::string v) : key(k), value(std::move(v)) {}
  field(const char* k, const char* v) : key(k), value(v) {}
  template <class N, std::enable_if_t<std::is_arithmetic_v<N>, int> = 0>
  field(const char* k, N n) : key(k), value(literal(n)), typed(true) {}

  const char* key;
  std::string value;
  bool typed = false;  // value is a JSON literal

 private:
  template <class N>
  static std::string literal(N n) {
    if constexpr (std::is_same_v<N, bool>) {
      return n ? "true" : "false";
    } else if constexpr (std::is_integral_v<N>) {
      return std::to_string(n);
    } else {
      return number_literal(static_cast<double>(n));
    }
  }
  // `d` in at most 15 significant digits; "null" for NaN and infinities, which JSON cannot hold.
  static std::string number_literal(double d);
};

// Writes `message` with extra key/value fields to stderr.
void write(level l, const std::string& message, const field* begin, const field* end);
inline void write(level l, const std::string& message, std::initializer_list<field> fields = {}) {
  write(l, message, fields.begin(), fields.end());
}

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
