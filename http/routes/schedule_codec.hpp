// JSON <-> scan schedules.
#pragma once

#include <string>

#include "actors/messages.hpp"
#include "domain/schedule.hpp"

namespace vutf::http {

// Reads POST /schedules (`creating`: target_id and probes required) or PATCH /schedules/{id}:
// unknown fields and type problems are one 422 naming every bad field. The rules of the values
// (cron, interval, the scan part) are the schedules actor's, checked with the database.
result<schedule_fields> parse_schedule(const std::string& body, bool creating);

std::string schedule_page_json(const schedule_page& p);

}  // namespace vutf::http
