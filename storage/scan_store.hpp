// Scans and their results in the database: the queue the runners claim from, the progress
// they write in batches, and the reads behind results, findings, reports and statistics.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/findings.hpp"
#include "domain/frameworks.hpp"
#include "domain/scan.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

void insert_scan(session& s, const scan& x);
// The `fail_on` column of scans and schedules: {"severity", "max_attack_success_rate"} as JSON,
// each null when not set; NULL for no gate.
value fail_rule_column(const std::optional<fail_rule>& f);
std::optional<fail_rule> fail_rule_from(const std::string& column);
// `owner` "*" finds the scan whoever owns it.
std::optional<scan> find_scan(session& s, const std::string& id, const std::string& owner);
int64_t count_scans(session& s, const scan_query& q);
// Scans of `owner` that are queued or running (MAX_ACTIVE_SCANS_PER_USER counts them).
int64_t count_active_scans(session& s, const std::string& owner);
std::vector<scan> list_scans(session& s, const scan_query& q);

// Cancels a queued or running scan; false when it is not (or no longer) either.
bool cancel_scan(session& s, const std::string& id, int64_t now_ms);

// Takes the oldest queued scan for `instance`, holding it until `lease_until_ms`; nullopt when
// the queue is empty. Concurrent claimers (other instances) never get the same scan.
std::optional<scan> claim_scan(session& s, const std::string& instance, int64_t now_ms,
                               int64_t lease_until_ms);
// Extends the lease of a scan this claim is still running; false when it was cancelled, or
// claimed again after the lease lapsed: the runner must stop.
bool renew_lease(session& s, const std::string& id, int64_t claim, int64_t lease_until_ms);
// Adds a batch of results and their counts to the scan; false (nothing written) when the scan
// no longer carries `claim`.
bool record_results(session& s, const std::string& id, int64_t claim,
                    const std::vector<scan_result>& batch, int64_t now_ms);
// Ends a running scan as `status`; false when it is no longer running under `claim`.
bool finish_scan(session& s, const std::string& id, int64_t claim, const std::string& status,
                 const std::optional<std::string>& error, int64_t now_ms);
// Running scans whose lease lapsed (their instance died): queued again to resume, or failed
// once they were claimed `max_claims` times. Returns how many were requeued and failed.
std::pair<int64_t, int64_t> recover_orphans(session& s, int64_t now_ms, int64_t max_claims);
// Puts the scans this instance runs back in the queue (a graceful stop): another instance,
// or this one after a restart, resumes them at once instead of waiting for their leases.
int64_t release_scans(session& s, const std::string& instance);
// Scans waiting for a worker on any instance.
int64_t count_queued_scans(session& s);
// The plan positions already answered, to resume without sending them again.
std::vector<int64_t> answered_seqs(session& s, const std::string& id);

// A page of results (or only the findings) by seq.
std::vector<scan_result> list_results(session& s, const std::string& id, bool findings_only,
                                      int64_t page, int64_t per_page);
// Up to `limit` results (or findings) after `after_seq`: keyset pages for streamed reports.
std::vector<scan_result> results_after(session& s, const std::string& id, bool findings_only,
                                       int64_t after_seq, int64_t limit);
std::map<std::string, int64_t> findings_by_probe(session& s, const std::string& id);

// Every finding of a scan (not those marked false_positive), by seq: one side of a diff.
std::vector<scan_result> all_findings(session& s, const std::string& id);
// The vulnerable result at `seq` of the scan, whatever its triage; nullopt when there is none.
std::optional<scan_result> find_finding(session& s, const std::string& id, int64_t seq);
// Writes the triage and note of `r` (its scan_id and seq say which).
void set_triage(session& s, const scan_result& r);
// Moves the scan's count of `severity` findings by `delta` (a finding marked or unmarked as a
// false positive).
void adjust_findings(session& s, const std::string& id, const std::string& severity, int64_t delta);
// The fingerprints (domain/findings.hpp) the scan's owner suppresses on its target.
std::set<std::string> suppressed_fingerprints(session& s, const std::string& scan_id);
// Suppresses the attack of finding `r` on the target of `of` for its owner (the note of `r`
// goes with it), or lifts that suppression.
void suppress(session& s, const scan& of, const scan_result& r, int64_t now_ms);
void lift_suppression(session& s, const scan& of, const scan_result& r);
// The baseline of `x` when none is named: the owner's last completed scan before `x` of the
// schedule that created `x`, else of its target; nullopt when there is none.
std::optional<scan> previous_completed_scan(session& s, const scan& x);
// `x` against `base`: both sides' findings read whole (each bounded by its scan's plan), one
// query a side, leaving out the attacks suppressed on the target of `x`.
scan_diff findings_diff(session& s, const scan& base, const scan& x);

stats_overview overview(session& s, const std::string& owner);
// Every (scan, probe set) pair of `owner`'s scans that sent a prompt of the set, with the set's
// findings in that scan.
std::vector<set_run> set_runs(session& s, const std::string& owner);

}  // namespace vutf::storage
