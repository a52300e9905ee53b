// Cron expressions for scan schedules: the five standard fields (minute hour day-of-month month
// day-of-week) in UTC, with `*`, lists, ranges, steps and the names JAN-DEC and SUN-SAT. Pure:
// the text is hostile (it comes from POST /schedules), so parsing never throws and the search
// for the next fire time is bounded.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>

namespace vutf {

struct cron_expr {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<7> weekdays;  // 0..6, Sunday 0 (7 is read as Sunday too)
  // Vixie cron: when either day field starts with `*`, a day must match both fields; when both
  // are restricted, either one matching is enough ("0 0 1 * MON": the 1st and every Monday).
  bool days_star = false;
  bool weekdays_star = false;
};

// The expression `text`, or nullopt with `why` saying which field is wrong and how (wrong field
// count, a value out of range, bad range, step or list syntax, an unknown name).
std::optional<cron_expr> parse_cron(const std::string& text, std::string& why);

// The first minute strictly after `after_ms` (unix milliseconds, UTC) at which `e` fires, in
// unix milliseconds; nullopt when it never does. The calendar repeats every 400 years, so the
// search stops there: an expression that never fires ("0 0 31 2 *") ends, it does not hang.
std::optional<int64_t> next_fire(const cron_expr& e, int64_t after_ms);

}  // namespace vutf
