// The audit trail in the database.
#pragma once

#include <map>
#include <optional>

#include "storage/database.hpp"

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

namespace vutf::storage {

void insert_audit(session& s, const std::vector<audit_record>& batch);
int64_t count_audit(session& s, const audit_query& q);
std::vector<audit_record> list_audit(session& s, const audit_query& q);
std::optional<audit_record> find_audit(session& s, const std::string& id);
audit_stats audit_statistics(session& s, int64_t since_ms, int64_t until_ms);
// Up to `limit` records after (after_ts, after_id) in time order: a keyset page for exports.
std::vector<audit_record> audit_after(session& s, int64_t since_ms, int64_t until_ms,
                                      int64_t after_ts, const std::string& after_id, int64_t limit);

}  // namespace vutf::storage
