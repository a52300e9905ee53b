// The audit trail in the database.
#pragma once

#include <map>
#include <optional>

#include "domain/audit.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

void insert_audit(session& s, const std::vector<audit_record>& batch);
int64_t count_audit(session& s, const audit_query& q);
std::vector<audit_record> list_audit(session& s, const audit_query& q);
std::optional<audit_record> find_audit(session& s, const std::string& id);
audit_stats audit_statistics(session& s, int64_t since_ms, int64_t until_ms);
// Up to `limit` records after (after_ts, after_id) in time order: a keyset page for exports.
std::vector<audit_record> audit_after(session& s, int64_t since_ms, int64_t until_ms,
                                      int64_t after_ts, const std::string& after_id, int64_t limit);

// Deletes up to `limit` records made before `before_ms`, oldest first; returns how many.
int64_t purge_audit(session& s, int64_t before_ms, int64_t limit);

}  // namespace vutf::storage
