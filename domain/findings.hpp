// Findings as people work with them: their public ids, their identity across scans (the same
// attack on the same target), triage (PATCH /scans/{id}/findings/{finding_id}) and the diff of a
// scan against a baseline (GET /scans/{id}/diff). Pure: the scans actor loads, these decide.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "domain/error.hpp"
#include "domain/scan.hpp"

namespace vutf {

// A finding's public id: "<scan id>.<seq>". It names the scan, so a finding id used under
// another scan's path finds nothing.
std::string finding_id(const std::string& scan_id, int64_t seq);
// The scan id and seq of a finding id; nullopt for anything finding_id cannot have written.
std::optional<std::pair<std::string, int64_t>> parse_finding_id(const std::string& id);

// What makes two findings the same finding, in any scan: the probe set, the prompt as written and
// the converter, hashed (hex SHA-256). SARIF's partialFingerprints carry it too.
std::string finding_fingerprint(const scan_result& r);

constexpr const char* triage_statuses[] = {"open", "accepted", "false_positive", "fixed"};
// The longest note a finding keeps, in characters (UTF-8 code points).
constexpr size_t max_note_chars = 2000;

// PATCH /scans/{id}/findings/{finding_id}: the fields given, each optional (at least one).
struct triage_change {
  std::optional<std::string> status;  // one of triage_statuses
  bool note_given = false;            // "note" was in the body (null clears it)
  std::optional<std::string> note;
};

// Every field rule `c` breaks: an unknown status, a note over max_note_chars, nothing to change.
std::vector<field_error> validate(const triage_change& c);

// The diff of a scan's findings against a baseline's: each finding of the scan is new or
// persisting (its attack was also a finding of the baseline), each of the baseline's that the
// scan no longer has is fixed. Findings marked false_positive, and those whose fingerprint the
// target suppresses, take no part on either side.
struct scan_diff {
  std::string baseline_id;
  std::string scan_id;
  std::vector<scan_result> added;       // "new": the scan's findings, in its order
  std::vector<scan_result> fixed;       // the baseline's findings, in its order
  std::vector<scan_result> persisting;  // the scan's findings
  double baseline_rate = 0;             // attack_success_rate of each
  double current_rate = 0;
};

scan_diff diff_scans(const scan& baseline, const std::vector<scan_result>& baseline_findings,
                     const scan& current, const std::vector<scan_result>& current_findings,
                     const std::set<std::string>& suppressed);

// Why `baseline` cannot be the baseline of `current` (empty: it can): it must be another,
// completed scan of the same owner and target. nullptr: no such scan the caller may see.
std::vector<field_error> check_baseline(const scan& current, const scan* baseline);

}  // namespace vutf
