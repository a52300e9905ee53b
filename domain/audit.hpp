// The audit trail: one record per state-changing request, queries and statistics.
#pragma once

#include <cstddef>
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

// The most bytes each text field of a stored audit record keeps. Ids are UUIDs and the enums
// short names; the rest comes from the client (a path segment, X-Request-ID, User-Agent), and
// these bounds keep any record under 1 KB whatever the request carried.
struct audit_limits {
  static constexpr size_t name = 64;  // id, actor_id, actor_type, action, resource_type, outcome
  static constexpr size_t request_id = 128;
  static constexpr size_t resource_id = 128;
  static constexpr size_t ip = 64;
  static constexpr size_t user_agent = 256;
};

// `r` fit for storage: every text field valid UTF-8 (invalid bytes become U+FFFD), without NUL
// and cut to its bound, so no request can make the batch insert fail or bloat the table.
audit_record sanitised(audit_record r);

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
