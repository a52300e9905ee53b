// Scan schedules in the database: their CRUD for their owner, and the claim of due runs every
// instance's scheduler makes (actors/scheduler.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/schedule.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

// Inserts `x` unless its owner has `max_schedules` already (MAX_SCHEDULES_PER_USER): false,
// nothing written, then (take_owner_slot).
bool insert_schedule(session& s, const schedule& x, int64_t max_schedules);
// `owner` "*" finds the schedule whoever owns it.
std::optional<schedule> find_schedule(session& s, const std::string& id, const std::string& owner);
int64_t count_schedules(session& s, const std::string& owner);
// One page of the owner's schedules, newest first.
std::vector<schedule> list_schedules(session& s, const std::string& owner, int64_t page,
                                     int64_t per_page);
// Writes every field of `x` a PATCH may change, next_run_at and `x.version`; false when it is
// gone or its version is no longer `x.version - 1` (a concurrent change came first).
bool update_schedule(session& s, const schedule& x);
bool delete_schedule(session& s, const std::string& id, const std::string& owner);

// A due run claimed by an instance: the schedule's id, the slot that was due and the claim
// (fencing token) the run's writes need.
struct schedule_claim {
  std::string id;
  int64_t due_ms = 0;
  int64_t claim = 0;
};
// Claims up to `limit` enabled schedules due at `now_ms` whose run no instance holds, holding
// each until `lease_until_ms`, in one statement over the due index: never a scan of every
// schedule. Concurrent claimers (other instances) never get the same run.
std::vector<schedule_claim> claim_due_schedules(session& s, int64_t now_ms, int64_t lease_until_ms,
                                                int64_t limit);
// The fence of the run of `c`: lets go of its lease and locks the row until the transaction
// ends; false (nothing written) when the run is no longer this claim's (its lease lapsed and
// another instance claimed it) or the schedule was deleted or disabled since.
bool settle_schedule_run(session& s, const schedule_claim& c);
// What the run at `now_ms` did (the scan it created, or why it created none) and the schedule's
// next run.
void record_schedule_run(session& s, const std::string& id, int64_t now_ms, int64_t next_run_ms,
                         const std::optional<std::string>& scan_id,
                         const std::optional<std::string>& error);

}  // namespace vutf::storage
