// Admitting a scan inside a database transaction: every rule POST /scans checks against the
// database, and the queueing itself under MAX_ACTIVE_SCANS_PER_USER. The scans actor admits the
// scans clients ask for, the scheduler those of due schedule runs, and POST /schedules checks
// its scan part with the same rules, so they cannot drift apart.
#pragma once

#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/scan.hpp"
#include "storage/database.hpp"

namespace vutf {

struct scan_limits {
  int64_t max_prompts = 1000;     // SCAN_MAX_PROMPTS
  int64_t max_active_scans = 20;  // MAX_ACTIVE_SCANS_PER_USER: queued + running per user
};

// Every rule `req` of `user` breaks (empty when valid): the field rules of validate(), probe
// sets that are neither built in nor the user's (or whose judge or attacker target is gone), a
// target `owner` (the caller's owner scope) cannot see, a judge target or webhook that is not
// the user's.
std::vector<field_error> check_scan_request(storage::session& s, const scan_request& req,
                                            const std::string& user, const std::string& owner,
                                            const scan_limits& limits);

// Queues the scan of `req` for `user` (every variant of every prompt, at most
// limits.max_prompts sends unless it asks for a number) when it passes check_scan_request and
// the user has fewer than limits.max_active_scans queued or running: counted and inserted under
// the user's lock, so concurrent creates cannot pass the limit together. The user's own sets are
// kept with the scan as they are now, so a later change to them never changes what it runs.
// `schedule_id`: the schedule whose due run this is (nullopt: a client asked for it).
result<scan> admit_scan(storage::session& s, const scan_request& req, const std::string& user,
                        const std::string& owner, const scan_limits& limits,
                        const std::optional<std::string>& schedule_id = std::nullopt);

}  // namespace vutf
