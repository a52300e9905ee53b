// Cron expressions (domain/cron): what parses and what is refused with which reason, and the next
// fire time in UTC across month ends, leap days, year ends and the Vixie day rule; an
// expression that never fires ends the search instead of hanging. Schedule timing rules
// (domain/schedule) on top: catch-up after downtime is one run, intervals keep their cadence.
#include "domain/cron.hpp"

#include <gtest/gtest.h>

#include <ctime>

#include "config/time.hpp"
#include "domain/schedule.hpp"

namespace vutf {
namespace {

// Unix milliseconds of "YYYY-MM-DD HH:MM" in UTC.
int64_t at(const char* text) {
  std::tm tm{};
  EXPECT_NE(strptime(text, "%Y-%m-%d %H:%M", &tm), nullptr) << text;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

cron_expr parsed(const std::string& text) {
  std::string why;
  auto e = parse_cron(text, why);
  EXPECT_TRUE(e) << text << ": " << why;
  return e.value_or(cron_expr{});
}

// The next fire time after `after` as "YYYY-MM-DDTHH:MM:SS.mmmZ", "never" when there is none.
std::string next(const std::string& expr, const char* after) {
  auto t = next_fire(parsed(expr), at(after));
  return t ? format_timestamp(*t) : "never";
}

std::string refusal(const std::string& text) {
  std::string why;
  auto e = parse_cron(text, why);
  EXPECT_FALSE(e) << text;
  return why;
}

TEST(cron, parses_stars_lists_ranges_steps_and_names) {
  cron_expr e = parsed("*/15 9-17 * JAN,jul mon-FRI");
  EXPECT_EQ(e.minutes.count(), 4u);
  EXPECT_TRUE(e.minutes[0] && e.minutes[15] && e.minutes[30] && e.minutes[45]);
  EXPECT_EQ(e.hours.count(), 9u);
  EXPECT_TRUE(e.months[1] && e.months[7]);
  EXPECT_EQ(e.months.count(), 2u);
  EXPECT_EQ(e.weekdays.count(), 5u);
  EXPECT_FALSE(e.weekdays[0] || e.weekdays[6]);
  EXPECT_TRUE(e.days_star);
  EXPECT_FALSE(e.weekdays_star);
  e = parsed("1-30/5 0 1,15 * 7");
  EXPECT_EQ(e.minutes.count(), 6u);  // 1 6 11 16 21 26
  EXPECT_TRUE(e.minutes[26] && !e.minutes[30]);
  EXPECT_TRUE(e.weekdays[0]) << "7 is Sunday";
  EXPECT_EQ(parsed("  0\t0  *  *  *  ").minutes.count(), 1u) << "any blanks between fields";
}

TEST(cron, refuses_bad_expressions_saying_why) {
  EXPECT_NE(refusal("* * * *").find("5 fields"), std::string::npos);
  EXPECT_NE(refusal("* * * * * *").find("not 6"), std::string::npos);
  EXPECT_NE(refusal("").find("not 0"), std::string::npos);
  EXPECT_NE(refusal("60 * * * *").find("minute"), std::string::npos);
  EXPECT_NE(refusal("* 24 * * *").find("from 0 to 23"), std::string::npos);
  EXPECT_NE(refusal("* * 0 * *").find("day of month"), std::string::npos);
  EXPECT_NE(refusal("* * 32 * *").find("day of month"), std::string::npos);
  EXPECT_NE(refusal("* * * 13 *").find("month"), std::string::npos);
  EXPECT_NE(refusal("* * * * 8").find("day of week"), std::string::npos);
  EXPECT_NE(refusal("5-1 * * * *").find("ends before it starts"), std::string::npos);
  EXPECT_NE(refusal("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(refusal("*/61 * * * *").find("step"), std::string::npos);
  EXPECT_NE(refusal("5/10 * * * *").find("a step follows"), std::string::npos);
  EXPECT_NE(refusal("*/2/3 * * * *").find("more than one step"), std::string::npos);
  EXPECT_NE(refusal("1,,2 * * * *").find("empty list item"), std::string::npos);
  EXPECT_NE(refusal("1- * * * *").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("1-2-3 * * * *").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("-1 * * * *").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("* * * FOO *").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("* * * * MON-JAN").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("1000 * * * *").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("99999999999999999999 * * * *").find("not a value"), std::string::npos);
  EXPECT_NE(refusal("@daily").find("5 fields"), std::string::npos);
  EXPECT_NE(refusal(std::string(300, '*')).find("at most"), std::string::npos);
}

TEST(cron, fires_strictly_after_the_given_time) {
  EXPECT_EQ(next("*/15 * * * *", "2026-03-10 10:00"), "2026-03-10T10:15:00.000Z");
  EXPECT_EQ(next("*/15 * * * *", "2026-03-10 10:14"), "2026-03-10T10:15:00.000Z");
  EXPECT_EQ(next("0 0 * * *", "2026-03-10 23:59"), "2026-03-11T00:00:00.000Z");
  EXPECT_EQ(next("30 9 * * MON-FRI", "2026-03-13 10:00"), "2026-03-16T09:30:00.000Z")
      << "Friday after 9:30: Monday";
}

TEST(cron, month_ends_year_ends_and_leap_days) {
  EXPECT_EQ(next("0 12 31 * *", "2026-04-01 00:00"), "2026-05-31T12:00:00.000Z")
      << "April has no 31st";
  EXPECT_EQ(next("0 0 1 * *", "2026-12-31 23:59"), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(next("0 0 29 2 *", "2026-01-01 00:00"), "2028-02-29T00:00:00.000Z");
  EXPECT_EQ(next("0 0 29 2 *", "2096-03-01 00:00"), "2104-02-29T00:00:00.000Z")
      << "2100 is not a leap year";
  EXPECT_EQ(next("0 0 29 2 *", "2000-01-01 00:00"), "2000-02-29T00:00:00.000Z") << "2000 is";
  EXPECT_EQ(next("59 23 28-31 2 *", "2027-02-28 23:59"), "2028-02-28T23:59:00.000Z");
}

TEST(cron, both_day_fields_restricted_means_either_matches) {
  // The 13th or any Friday (Vixie): from Monday 2026-03-09, Friday the 13th comes first...
  EXPECT_EQ(next("0 0 13 * FRI", "2026-03-09 00:00"), "2026-03-13T00:00:00.000Z");
  // ...and from the 14th, the next Friday (the 20th) before the next 13th.
  EXPECT_EQ(next("0 0 13 * FRI", "2026-03-14 00:00"), "2026-03-20T00:00:00.000Z");
  EXPECT_EQ(next("0 0 15 * 1", "2026-03-10 00:00"), "2026-03-15T00:00:00.000Z");
  // A day field starting with * makes both count: the 1st that is a Monday.
  EXPECT_EQ(next("0 0 */31 * MON", "2026-01-01 00:00"), "2026-06-01T00:00:00.000Z");
}

TEST(cron, an_expression_that_never_fires_ends_the_search) {
  EXPECT_EQ(next("0 0 31 2 *", "2026-01-01 00:00"), "never");
  EXPECT_EQ(next("0 0 30 2 *", "2026-01-01 00:00"), "never");
  EXPECT_EQ(next("0 0 31 4,6,9,11 *", "2026-01-01 00:00"), "never");
  // Past the year 9999 nothing fires; neither does anything before 1970.
  EXPECT_FALSE(next_fire(parsed("* * * * *"), int64_t{253402300799} * 1000));
  EXPECT_FALSE(next_fire(parsed("* * * * *"), -1));
}

TEST(schedule_timing, every_bad_timing_field_is_named) {
  auto fields = [](const schedule_fields& f, bool creating) {
    std::vector<std::string> names;
    for (const auto& e : validate_timing(f, creating)) names.push_back(e.field);
    return names;
  };
  schedule_fields f;
  EXPECT_EQ(fields(f, true), std::vector<std::string>{"cron"}) << "neither";
  EXPECT_TRUE(fields(f, false).empty()) << "a PATCH may leave the timing alone";
  f.cron = "0 0 31 2 *";
  EXPECT_EQ(fields(f, true), std::vector<std::string>{"cron"}) << "never fires";
  f.interval_seconds = 59;
  EXPECT_EQ(fields(f, true),
            (std::vector<std::string>{"interval_seconds", "interval_seconds", "cron"}))
      << "both, the interval too short, and the cron never fires";
  f.cron.reset();
  f.interval_seconds = 60;
  EXPECT_TRUE(fields(f, true).empty());
}

TEST(schedule_timing, a_missed_run_is_caught_up_once_and_intervals_keep_their_cadence) {
  schedule s;
  s.cron = "0 * * * *";
  int64_t due = at("2026-03-10 10:00");
  // Down from 10:00 to 15:20: one run now, the next at 16:00, not one per missed hour.
  EXPECT_EQ(following_run(s, due, at("2026-03-10 15:20")), at("2026-03-10 16:00"));
  s.cron.reset();
  s.interval_seconds = 600;
  EXPECT_EQ(following_run(s, due, due + 1000), due + 600000) << "on time";
  EXPECT_EQ(following_run(s, due, at("2026-03-10 10:25")), at("2026-03-10 10:30"))
      << "late: the next slot of the same cadence";
  EXPECT_EQ(following_run(s, due, at("2026-03-10 10:30")), at("2026-03-10 10:40"));
  EXPECT_EQ(first_run(s, due), due + 600000);
}

}  // namespace
}  // namespace vutf
