#include "domain/webhook.hpp"

#include <algorithm>

#include "config/strings.hpp"
#include "config/time.hpp"
#include "config/url.hpp"
#include "domain/scan_json.hpp"

namespace vutf {

const std::vector<std::string>& webhook_events() {
  static const std::vector<std::string> all = {"scan.completed", "scan.failed", "scan.regressed",
                                               "schedule.failed"};
  return all;
}

std::vector<field_error> validate(const webhook& w) {
  std::vector<field_error> e;
  if (std::string why = http_url_problem(w.url); !why.empty()) e.push_back({"url", why});
  const auto& known = webhook_events();
  bool ok = !w.events.empty();
  for (const auto& event : w.events)
    ok = ok && std::find(known.begin(), known.end(), event) != known.end();
  if (!ok) e.push_back({"events", "must be a non-empty list of: " + join(known, ", ")});
  return e;
}

std::string scan_event_type(const scan& s) {
  return "scan." + s.status;
}

namespace {

// {"type", "timestamp", "data"}, `data` written by `write_data`.
template <class Write>
std::string event_body(const std::string& type, int64_t at_ms, Write write_data) {
  json_writer w;
  w.begin_object();
  w.key("type").value(type);
  w.key("timestamp").value(format_timestamp(at_ms));
  w.key("data");
  write_data(w);  // the API's representation, so a client parses one shape
  w.end_object();
  return w.take();
}

}  // namespace

std::string scan_event_body(const std::string& type, const scan& s, int64_t at_ms) {
  return event_body(type, at_ms, [&](json_writer& w) { write_scan(w, s); });
}

std::string schedule_event_body(const schedule& s, int64_t at_ms) {
  return event_body("schedule.failed", at_ms, [&](json_writer& w) { write_schedule(w, s); });
}

}  // namespace vutf
