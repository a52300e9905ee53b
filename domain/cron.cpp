#include "domain/cron.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace vutf {
namespace {

struct field_spec {
  const char* name;
  int low;
  int high;
  const char* const* names;  // names[i] stands for low + i; nullptr: numbers only
  size_t name_count;
};

constexpr const char* month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Day of week 7 is Sunday as in Vixie cron, so the range goes to 7.
constexpr std::array<field_spec, 5> specs = {{{"minute", 0, 59, nullptr, 0},
                                              {"hour", 0, 23, nullptr, 0},
                                              {"day of month", 1, 31, nullptr, 0},
                                              {"month", 1, 12, month_names, 12},
                                              {"day of week", 0, 7, weekday_names, 7}}};

// The longest expression read: far more than any sensible one, and a bound on the work.
constexpr size_t max_length = 200;

// One value: digits (at most 3, so no overflow) or a name of the field; nullopt when neither.
std::optional<int> value_of(const std::string& text, const field_spec& f) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    if (text.size() > 3) return std::nullopt;
    int v = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < f.name_count; ++i)
    if (lower == f.names[i]) return f.low + static_cast<int>(i);
  return std::nullopt;
}

std::vector<std::string> split_on(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// Sets in `bits` every value `text` (one field: a list of `*`, a value or a range, each with an
// optional step) names; false with `why` otherwise.
bool read_field(const std::string& text, const field_spec& f, std::vector<bool>& bits,
                std::string& why) {
  std::string where = std::string(f.name) + " field '" + text + "'";
  for (const auto& item : split_on(text, ',')) {
    if (item.empty()) {
      why = where + ": empty list item";
      return false;
    }
    auto parts = split_on(item, '/');
    if (parts.size() > 2) {
      why = where + ": more than one step in '" + item + "'";
      return false;
    }
    int step = 1;
    if (parts.size() == 2) {
      auto s = value_of(parts[1], {f.name, 0, 0, nullptr, 0});
      if (!s || *s < 1 || *s > f.high - f.low + 1) {
        why = where + ": the step must be a number from 1 to " + std::to_string(f.high - f.low + 1);
        return false;
      }
      step = *s;
    }
    int from = f.low, to = f.high;
    const std::string& range = parts[0];
    if (range != "*") {
      auto ends = split_on(range, '-');
      auto a = ends.size() <= 2 ? value_of(ends[0], f) : std::nullopt;
      auto b = ends.size() == 2 ? value_of(ends[1], f) : a;
      if (!a || !b) {
        why = where + ": '" + range + "' is not a value, name or range of values";
        return false;
      }
      if (*a < f.low || *a > f.high || *b < f.low || *b > f.high) {
        why = where + ": values must be from " + std::to_string(f.low) + " to " +
              std::to_string(f.high);
        return false;
      }
      if (*a > *b) {
        why = where + ": the range '" + range + "' ends before it starts";
        return false;
      }
      if (parts.size() == 2 && ends.size() == 1) {
        why = where + ": a step follows * or a range, not a single value";
        return false;
      }
      from = *a;
      to = *b;
    }
    for (int v = from; v <= to; v += step) bits[static_cast<size_t>(v - f.low)] = true;
  }
  return true;
}

struct civil {
  int64_t year;
  int month;
  int day;
};

// Days since 1970-01-01 (not before) as a civil date (H. Hinnant's algorithm, Gregorian).
civil civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

bool day_matches(const cron_expr& e, int64_t day) {
  civil c = civil_from_days(day);
  if (!e.months[static_cast<size_t>(c.month)]) return false;
  bool dom = e.days[static_cast<size_t>(c.day)];
  // 1970-01-01 was a Thursday (4).
  bool dow = e.weekdays[static_cast<size_t>((day + 4) % 7)];
  return e.days_star || e.weekdays_star ? dom && dow : dom || dow;
}

}  // namespace

std::optional<cron_expr> parse_cron(const std::string& text, std::string& why) {
  if (text.size() > max_length) {
    why = "must be at most " + std::to_string(max_length) + " characters";
    return std::nullopt;
  }
  std::vector<std::string> fields;
  std::string current;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!current.empty()) fields.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) fields.push_back(std::move(current));
  if (fields.size() != specs.size()) {
    why = "must have 5 fields (minute hour day-of-month month day-of-week), not " +
          std::to_string(fields.size());
    return std::nullopt;
  }
  std::array<std::vector<bool>, 5> bits;
  for (size_t i = 0; i < specs.size(); ++i) {
    int values = specs[i].high - specs[i].low + 1;
    bits[i].assign(static_cast<size_t>(values), false);
    if (!read_field(fields[i], specs[i], bits[i], why)) return std::nullopt;
  }
  cron_expr e;
  for (size_t v = 0; v < 60; ++v) e.minutes[v] = bits[0][v];
  for (size_t v = 0; v < 24; ++v) e.hours[v] = bits[1][v];
  for (size_t v = 1; v <= 31; ++v) e.days[v] = bits[2][v - 1];
  for (size_t v = 1; v <= 12; ++v) e.months[v] = bits[3][v - 1];
  for (size_t v = 0; v < 7; ++v) e.weekdays[v] = bits[4][v];
  if (bits[4][7]) e.weekdays[0] = true;
  e.days_star = fields[2][0] == '*';
  e.weekdays_star = fields[4][0] == '*';
  return e;
}

std::optional<int64_t> next_fire(const cron_expr& e, int64_t after_ms) {
  constexpr int64_t minute_ms = 60000, day_minutes = 1440;
  // Past the year 9999 (and before 1970) no schedule runs: the arithmetic stays far from
  // overflow whatever time it is asked about.
  constexpr int64_t last_ms = int64_t{253402300799} * 1000;
  if (after_ms < 0 || after_ms >= last_ms) return std::nullopt;
  int64_t minute = after_ms / minute_ms + 1;  // the first whole minute after `after_ms`
  int64_t day = minute / day_minutes;
  int64_t in_day = minute - day * day_minutes;
  constexpr int64_t cycle_days = 146097;  // 400 Gregorian years
  for (int64_t d = day; d <= day + cycle_days; ++d, in_day = 0) {
    if (!day_matches(e, d)) continue;
    for (int64_t m = in_day; m < day_minutes; ++m) {
      if (e.hours[static_cast<size_t>(m / 60)] && e.minutes[static_cast<size_t>(m % 60)]) {
        int64_t at = (d * day_minutes + m) * minute_ms;
        return at < last_ms ? std::optional<int64_t>(at) : std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace vutf
