#include "domain/schedule.hpp"

#include "config/time.hpp"
#include "domain/cron.hpp"
#include "domain/scan_json.hpp"

namespace vutf {

std::vector<field_error> validate_timing(const schedule_fields& f, bool creating) {
  std::vector<field_error> e;
  if (f.cron && f.interval_seconds)
    e.push_back({"interval_seconds", "give cron or interval_seconds, not both"});
  if (creating && !f.cron && !f.interval_seconds)
    e.push_back({"cron", "give cron (5 fields, UTC) or interval_seconds"});
  if (f.interval_seconds &&
      (*f.interval_seconds < min_interval_seconds || *f.interval_seconds > max_interval_seconds))
    e.push_back({"interval_seconds", "must be an integer from " +
                                         std::to_string(min_interval_seconds) + " to " +
                                         std::to_string(max_interval_seconds)});
  if (f.cron) {
    std::string why;
    auto expr = parse_cron(*f.cron, why);
    if (!expr) {
      e.push_back({"cron", why});
    } else if (!next_fire(*expr, 0)) {
      e.push_back({"cron", "never fires (no date matches it)"});
    }
  }
  return e;
}

schedule apply(schedule s, const schedule_fields& f) {
  if (f.target_id) s.target_id = *f.target_id;
  if (f.probes) s.probes = *f.probes;
  if (f.converters) s.converters = *f.converters;
  if (f.fail_on) s.fail_on = *f.fail_on;
  if (f.cron) {
    s.cron = f.cron;
    s.interval_seconds.reset();
  }
  if (f.interval_seconds) {
    s.interval_seconds = f.interval_seconds;
    s.cron.reset();
  }
  if (f.enabled) s.enabled = *f.enabled;
  return s;
}

scan_request scan_request_of(const schedule& s) {
  scan_request r;
  r.target_id = s.target_id;
  r.probes = s.probes;
  r.converters = s.converters;
  r.fail_on = s.fail_on;
  return r;
}

std::optional<int64_t> first_run(const schedule& s, int64_t now_ms) {
  if (s.interval_seconds) return now_ms + *s.interval_seconds * 1000;
  std::string why;
  auto expr = s.cron ? parse_cron(*s.cron, why) : std::nullopt;
  return expr ? next_fire(*expr, now_ms) : std::nullopt;
}

int64_t following_run(const schedule& s, int64_t due_ms, int64_t now_ms) {
  if (s.interval_seconds) {
    int64_t every = *s.interval_seconds * 1000;
    int64_t late = std::max<int64_t>(now_ms - due_ms, 0);
    return due_ms + (late / every + 1) * every;
  }
  // A cron expression that stopped firing (it cannot: it was checked when saved) would leave the
  // schedule due forever; a year on is as good a place as any to park it.
  constexpr int64_t year_ms = int64_t{365} * 24 * 3600 * 1000;
  return first_run(s, now_ms).value_or(now_ms + year_ms);
}

std::string run_error(const failure& f) {
  std::string out = f.detail;
  for (const auto& e : f.errors) out += " " + e.field + ": " + e.reason + ".";
  return out;
}

void write_schedule(json_writer& w, const schedule& s) {
  w.begin_object();
  w.key("id").value(s.id);
  w.key("target_id").value(s.target_id);
  w.key("probes").begin_array();
  for (const auto& p : s.probes) w.value(p);
  w.end_array();
  w.key("converters").begin_array();
  for (const auto& c : s.converters) w.value(c);
  w.end_array();
  w.key("fail_on");
  write_fail_rule(w, s.fail_on);
  w.key("cron").value(s.cron);
  w.key("interval_seconds");
  if (s.interval_seconds) {
    w.value(*s.interval_seconds);
  } else {
    w.null();
  }
  w.key("enabled").boolean(s.enabled);
  w.key("next_run_at").timestamp(s.enabled ? std::optional(s.next_run_at_ms) : std::nullopt);
  w.key("last_run_at").timestamp(s.last_run_at_ms);
  w.key("last_scan_id").value(s.last_scan_id);
  w.key("last_error").value(s.last_error);
  w.key("created_at").value(format_timestamp(s.created_at_ms));
  w.key("updated_at").value(format_timestamp(s.updated_at_ms));
  w.key("version").value(s.version);
  w.end_object();
}

std::string schedule_json(const schedule& s) {
  json_writer w;
  write_schedule(w, s);
  return w.take();
}

}  // namespace vutf
