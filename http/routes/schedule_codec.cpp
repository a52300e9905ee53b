#include "http/routes/schedule_codec.hpp"

#include "http/codec_common.hpp"
#include "http/json_body.hpp"
#include "http/routes/scan_codec.hpp"

namespace vutf::http {

using nlohmann::json;

result<schedule_fields> parse_schedule(const std::string& body, bool creating) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<schedule_fields>{bad, {}};
  std::vector<field_error> errors;
  schedule_fields f;
  scan_request scan_part;  // the fields a schedule shares with POST /scans, read alike
  for (const auto& [key, value] : j.items()) {
    if (key == "cron") {
      if (value.is_string()) {
        f.cron = value.get<std::string>();
      } else if (!value.is_null()) {
        errors.push_back({key, "must be a cron expression (5 fields, UTC) or null"});
      }
    } else if (key == "interval_seconds") {
      if (value.is_number_integer()) {
        f.interval_seconds = value.get<int64_t>();
      } else if (!value.is_null()) {
        errors.push_back({key, "must be an integer (seconds) or null"});
      }
    } else if (key == "enabled") {
      if (value.is_boolean()) {
        f.enabled = value.get<bool>();
      } else {
        errors.push_back({key, "must be true or false"});
      }
    } else if (key == "target_id" || key == "probes" || key == "converters" || key == "fail_on") {
      size_t reported = errors.size();
      read_scan_field(key, value, scan_part, errors);
      if (errors.size() > reported) continue;
      if (key == "target_id") f.target_id = scan_part.target_id;
      if (key == "probes") f.probes = scan_part.probes;
      if (key == "converters") f.converters = scan_part.converters;
      if (key == "fail_on") f.fail_on = scan_part.fail_on;
    } else {
      errors.push_back({key, "unknown field"});
    }
  }
  if (creating)
    for (const char* required : {"target_id", "probes"})
      if (!j.contains(required)) errors.push_back({required, "is required"});
  if (!errors.empty())
    return result<schedule_fields>::fail(errc::validation_error, "The schedule is invalid.",
                                         errors);
  return result<schedule_fields>{{}, std::move(f)};
}

std::string schedule_page_json(const schedule_page& p) {
  return page_json(p, write_schedule);
}

}  // namespace vutf::http
