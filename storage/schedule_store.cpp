#include "storage/schedule_store.hpp"

#include "config/strings.hpp"
#include "storage/scan_store.hpp"

namespace vutf::storage {
namespace sql {

#define VUTF_SCHEDULE_COLUMNS                                                               \
  "id, owner_id, target_id, probes, converters, fail_on, cron, interval_seconds, enabled, " \
  "next_run_at, last_run_at, last_scan_id, last_error, created_at, updated_at, version"

const statement schedule_insert{
    "schedule_insert",
    "INSERT INTO schedules (" VUTF_SCHEDULE_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"};
const statement schedule_get{"schedule_get",
                             "SELECT " VUTF_SCHEDULE_COLUMNS
                             " FROM schedules WHERE id = $1 AND (owner_id = $2 OR $2 = '*')"};
const statement schedule_count{"schedule_count",
                               "SELECT COUNT(*) FROM schedules WHERE owner_id = $1"};
const statement schedule_list{"schedule_list",
                              "SELECT " VUTF_SCHEDULE_COLUMNS
                              " FROM schedules WHERE owner_id = $1 ORDER BY created_at DESC, id "
                              "DESC LIMIT $2 OFFSET $3"};
const statement schedule_update{
    "schedule_update",
    "UPDATE schedules SET target_id = $2, probes = $3, converters = $4, fail_on = $5, cron = $6, "
    "interval_seconds = $7, enabled = $8, next_run_at = $9, updated_at = $10, version = $11 "
    "WHERE id = $1 AND version = $11 - 1"};
const statement schedule_delete{"schedule_delete",
                                "DELETE FROM schedules WHERE id = $1 AND owner_id = $2"};

// `enabled = 1` as the partial index schedules_due says it, so SQLite uses the index too.
// PostgreSQL skips the rows another claimer has locked, so instances never wait on (or take)
// each other's runs; SQLite's single writer serialises claimers.
#define VUTF_SCHEDULE_CLAIM(pick)                                                         \
  "UPDATE schedules SET claim = claim + 1, lease_until = $2 WHERE id IN (SELECT id FROM " \
  "schedules WHERE enabled = 1 AND next_run_at <= $1 AND (lease_until IS NULL OR "        \
  "lease_until < $1) ORDER BY next_run_at LIMIT $3" pick ") RETURNING id, next_run_at, claim"
const statement schedule_claim_postgres{"schedule_claim",
                                        VUTF_SCHEDULE_CLAIM(" FOR UPDATE SKIP LOCKED")};
const statement schedule_claim_sqlite{"schedule_claim", VUTF_SCHEDULE_CLAIM("")};
const statement schedule_settle{"schedule_settle",
                                "UPDATE schedules SET lease_until = NULL WHERE id = $1 AND claim "
                                "= $2 AND enabled = 1"};
const statement schedule_record{"schedule_record",
                                "UPDATE schedules SET last_run_at = $2, next_run_at = $3, "
                                "last_scan_id = $4, last_error = $5, version = version + 1 "
                                "WHERE id = $1"};

}  // namespace sql

namespace {

std::optional<int64_t> optional_int(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return std::stoll(*v);
}

schedule schedule_from(const row& r) {
  schedule x;
  x.id = r[0].value_or("");
  x.owner_id = r[1].value_or("");
  x.target_id = r[2].value_or("");
  x.probes = split(r[3].value_or(""));
  x.converters = split(r[4].value_or(""));
  if (r[5]) x.fail_on = fail_rule_from(*r[5]);
  x.cron = r[6];
  x.interval_seconds = optional_int(r[7]);
  x.enabled = as_int(r[8]) != 0;
  x.next_run_at_ms = as_int(r[9]);
  x.last_run_at_ms = optional_int(r[10]);
  x.last_scan_id = r[11];
  x.last_error = r[12];
  x.created_at_ms = as_int(r[13]);
  x.updated_at_ms = as_int(r[14]);
  x.version = as_int(r[15]);
  return x;
}

}  // namespace

bool insert_schedule(session& s, const schedule& x, int64_t max_schedules) {
  if (!take_owner_slot(s, x.owner_id, "schedules", max_schedules)) return false;
  s.exec(
      sql::schedule_insert,
      {x.id, x.owner_id, x.target_id, join(x.probes), join(x.converters),
       fail_rule_column(x.fail_on), nullable(x.cron), nullable(x.interval_seconds),
       int64_t{x.enabled}, x.next_run_at_ms, nullable(x.last_run_at_ms), nullable(x.last_scan_id),
       nullable(x.last_error), x.created_at_ms, x.updated_at_ms, x.version});
  return true;
}

std::optional<schedule> find_schedule(session& s, const std::string& id, const std::string& owner) {
  auto found = s.exec(sql::schedule_get, {id, owner});
  if (found.data.empty()) return std::nullopt;
  return schedule_from(found.data.front());
}

int64_t count_schedules(session& s, const std::string& owner) {
  return count_of(s, sql::schedule_count, {owner});
}

std::vector<schedule> list_schedules(session& s, const std::string& owner, int64_t page,
                                     int64_t per_page) {
  std::vector<schedule> out;
  for (const auto& r : s.exec(sql::schedule_list, with_page({owner}, page, per_page)).data)
    out.push_back(schedule_from(r));
  return out;
}

bool update_schedule(session& s, const schedule& x) {
  return s.exec(sql::schedule_update,
                {x.id, x.target_id, join(x.probes), join(x.converters), fail_rule_column(x.fail_on),
                 nullable(x.cron), nullable(x.interval_seconds), int64_t{x.enabled},
                 x.next_run_at_ms, x.updated_at_ms, x.version})
             .affected > 0;
}

bool delete_schedule(session& s, const std::string& id, const std::string& owner) {
  if (s.exec(sql::schedule_delete, {id, owner}).affected == 0) return false;
  free_owner_slot(s, owner, "schedules");
  return true;
}

std::vector<schedule_claim> claim_due_schedules(session& s, int64_t now_ms, int64_t lease_until_ms,
                                                int64_t limit) {
  const statement& claim =
      on_postgres(s) ? sql::schedule_claim_postgres : sql::schedule_claim_sqlite;
  std::vector<schedule_claim> out;
  for (const auto& r : s.exec(claim, {now_ms, lease_until_ms, limit}).data)
    out.push_back({r[0].value_or(""), as_int(r[1]), as_int(r[2])});
  return out;
}

bool settle_schedule_run(session& s, const schedule_claim& c) {
  return s.exec(sql::schedule_settle, {c.id, c.claim}).affected > 0;
}

void record_schedule_run(session& s, const std::string& id, int64_t now_ms, int64_t next_run_ms,
                         const std::optional<std::string>& scan_id,
                         const std::optional<std::string>& error) {
  s.exec(sql::schedule_record, {id, now_ms, next_run_ms, nullable(scan_id), nullable(error)});
}

}  // namespace vutf::storage
