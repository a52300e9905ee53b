// The audit trail: one record per state-changing request, queries and statistics.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace vutf {

struct audit_record {
  std::string id;
  int64_t timestamp_ms = 0;
  std::string request_id;
  std::string actor_id;    // "" when anonymous
  std::string actor_type;  // "user" | "api_key" | "anonymous"
  std::string action;      // e.g. "auth.login", "target.create"
  std::string resource_type;
  std::string resource_id;
  std::string outcome;  // "success" | "failure"
  int64_t status_code = 0;
  std::string ip;
  std::string user_agent;
  int64_t duration_ms = 0;
};

struct audit_query {
  std::string actor_id, action, resource_type, resource_id, outcome;  // "" = any
  int64_t since_ms = 0;
  int64_t until_ms = 0;  // 0 = no upper bound
  bool newest_first = true;
  int64_t page = 1;
  int64_t per_page = 20;
};

struct audit_stats {
  int64_t total = 0;
  std::map<std::string, int64_t> by_action;
  std::map<std::string, int64_t> by_outcome;
  std::map<std::string, int64_t> by_day;  // "YYYY-MM-DD" -> count
};

}  // namespace vutf
