#include "domain/findings.hpp"

#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "domain/probes.hpp"

namespace vutf {

std::string finding_id(const std::string& scan_id, int64_t seq) {
  return scan_id + "." + std::to_string(seq);
}

std::optional<std::pair<std::string, int64_t>> parse_finding_id(const std::string& id) {
  size_t dot = id.find('.');
  if (dot == std::string::npos || !is_uuid(id.substr(0, dot))) return std::nullopt;
  std::string digits = id.substr(dot + 1);
  // A plan position: at most 18 digits (no overflow), no sign, no leading zero but "0" itself.
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos ||
      (digits.size() > 1 && digits[0] == '0'))
    return std::nullopt;
  return std::pair{id.substr(0, dot), std::stoll(digits)};
}

std::string finding_fingerprint(const scan_result& r) {
  return identity::sha256_hex(r.probe + "\n" + r.converter.value_or("") + "\n" + r.prompt);
}

std::vector<field_error> validate(const triage_change& c) {
  std::vector<field_error> e;
  if (!c.status && !c.note_given) e.push_back({"status", "give status, note or both"});
  if (c.status) {
    bool known = false;
    for (const char* s : triage_statuses) known = known || *c.status == s;
    if (!known) e.push_back({"status", "must be open, accepted, false_positive or fixed"});
  }
  if (c.note) check_text("note", *c.note, 0, max_note_chars, e);
  return e;
}

namespace {

// Whether `r` takes part in a diff: a finding nobody marked as a false positive and whose attack
// the target does not suppress.
bool counts(const scan_result& r, const std::set<std::string>& suppressed) {
  return r.vulnerable && r.triage != "false_positive" && !suppressed.count(finding_fingerprint(r));
}

}  // namespace

scan_diff diff_scans(const scan& baseline, const std::vector<scan_result>& baseline_findings,
                     const scan& current, const std::vector<scan_result>& current_findings,
                     const std::set<std::string>& suppressed) {
  scan_diff d;
  d.baseline_id = baseline.id;
  d.scan_id = current.id;
  d.baseline_rate = attack_success_rate(baseline);
  d.current_rate = attack_success_rate(current);
  std::set<std::string> before, now;
  for (const auto& r : baseline_findings)
    if (counts(r, suppressed)) before.insert(finding_fingerprint(r));
  for (const auto& r : current_findings) {
    if (!counts(r, suppressed)) continue;
    std::string key = finding_fingerprint(r);
    now.insert(key);
    (before.count(key) ? d.persisting : d.added).push_back(r);
  }
  for (const auto& r : baseline_findings)
    if (counts(r, suppressed) && !now.count(finding_fingerprint(r))) d.fixed.push_back(r);
  return d;
}

std::vector<field_error> check_baseline(const scan& current, const scan* baseline) {
  const char* rule = "must be the id of another completed scan of the same target";
  if (!baseline || baseline->id == current.id || baseline->owner_id != current.owner_id ||
      baseline->target_id != current.target_id)
    return {{"baseline", rule}};
  if (baseline->status != "completed")
    return {{"baseline", std::string(rule) + " (it is " + baseline->status + ")"}};
  return {};
}

}  // namespace vutf
