// Scan schedules: a scan request (target, probe sets, converters, gate) run on a cron expression
// or every interval_seconds. The rules of their timing are here, pure; the scan part is checked
// by the same rules as POST /scans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/json_writer.hpp"
#include "domain/error.hpp"
#include "domain/page.hpp"
#include "domain/scan.hpp"

namespace vutf {

struct schedule {
  std::string id;
  std::string owner_id;
  std::string target_id;
  std::vector<std::string> probes;
  std::vector<std::string> converters;
  std::optional<fail_rule> fail_on;
  std::optional<std::string> cron;          // 5 fields, UTC; or
  std::optional<int64_t> interval_seconds;  // exactly one of the two is set
  bool enabled = true;
  int64_t next_run_at_ms = 0;  // the next due run (kept while disabled, not shown then)
  std::optional<int64_t> last_run_at_ms;
  std::optional<std::string> last_scan_id;  // the scan its last successful run created
  std::optional<std::string> last_error;    // why its last run created none (null: it did)
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t version = 1;  // bumped by every change, a run's record included (ETag, If-Match)
};
using schedule_page = page_of<schedule>;

// What POST /schedules sets and PATCH changes: each field nullopt when the body leaves it out.
// Giving cron or interval_seconds switches the schedule to it (the other is cleared).
struct schedule_fields {
  std::optional<std::string> target_id;
  std::optional<std::vector<std::string>> probes;
  std::optional<std::vector<std::string>> converters;
  std::optional<std::optional<fail_rule>> fail_on;  // set to nullopt: no gate
  std::optional<std::string> cron;
  std::optional<int64_t> interval_seconds;
  std::optional<bool> enabled;
};

constexpr int64_t min_interval_seconds = 60;
constexpr int64_t max_interval_seconds = int64_t{366} * 24 * 3600;  // a year

// Every rule the timing fields of `f` break: cron and interval_seconds both given, neither
// given when `creating`, an interval outside 60..a year, a cron expression that does not parse
// or never fires.
std::vector<field_error> validate_timing(const schedule_fields& f, bool creating);

// `s` with the fields `f` gives.
schedule apply(schedule s, const schedule_fields& f);

// What a run of `s` asks for: the scan POST /scans would create with the same fields.
scan_request scan_request_of(const schedule& s);

// The first run of a schedule made (or re-timed, or enabled) at `now_ms`: the cron expression's
// next fire time, or one interval from now. nullopt when its timing is invalid.
std::optional<int64_t> first_run(const schedule& s, int64_t now_ms);

// The run after the one that was due at `due_ms`, run at `now_ms`: the first slot after now, so
// slots missed while every instance was down are skipped (one catch-up run, not one per slot).
// An interval keeps its cadence (due + k * interval).
int64_t following_run(const schedule& s, int64_t due_ms, int64_t now_ms);

// A run's failure to create its scan as one line: the detail, then each bad field.
std::string run_error(const failure& f);

// The public representation: {"id", "target_id", "probes", "converters", "fail_on", "cron",
// "interval_seconds", "enabled", "next_run_at" (null while disabled), "last_run_at",
// "last_scan_id", "last_error", "created_at", "updated_at"}. The API and the schedule.failed
// event write it here, so a client sees one shape.
void write_schedule(json_writer& w, const schedule& s);
std::string schedule_json(const schedule& s);

}  // namespace vutf
