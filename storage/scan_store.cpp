#include "storage/scan_store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "config/strings.hpp"
#include "domain/findings.hpp"
#include "domain/scan.hpp"

namespace vutf::storage {
namespace sql {

#define VUTF_SCAN_COLUMNS                                                                       \
  "id, owner_id, target_id, probes, concurrency, webhook_url, status, total, done, errors, "    \
  "findings_low, findings_medium, findings_high, findings_critical, error, claim, created_at, " \
  "started_at, finished_at, probe_sets, converters, judge_target_id, fail_on, schedule_id"

const statement scan_insert{"scan_insert",
                            "INSERT INTO scans (id, owner_id, target_id, probes, concurrency, "
                            "webhook_url, status, total, created_at, probe_sets, converters, "
                            "judge_target_id, fail_on, schedule_id) VALUES ($1, $2, $3, $4, $5, "
                            "$6, 'queued', $7, $8, $9, $10, $11, $12, $13)"};
const statement scan_get{"scan_get", "SELECT " VUTF_SCAN_COLUMNS
                                     " FROM scans WHERE id = $1 AND (owner_id = $2 OR $2 = '*')"};

// $1 owner ('*' = any), $2 status ('' = any), $3 target ('' = any).
#define VUTF_SCAN_FILTER                                                                     \
  " FROM scans WHERE (owner_id = $1 OR $1 = '*') AND ($2 = '' OR status = $2) AND ($3 = '' " \
  "OR target_id = $3)"
const statement scan_count{"scan_count", "SELECT COUNT(*)" VUTF_SCAN_FILTER};
// The same status list as the partial index scans_owner_active, so SQLite uses it too.
const statement scan_count_active{"scan_count_active",
                                  "SELECT COUNT(*) FROM scans WHERE owner_id = $1 AND status IN "
                                  "('queued', 'running')"};
const statement scan_list{"scan_list", "SELECT " VUTF_SCAN_COLUMNS VUTF_SCAN_FILTER
                                       " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"};

const statement scan_cancel{"scan_cancel",
                            "UPDATE scans SET status = 'cancelled', finished_at = $2, error = "
                            "'cancelled by request' WHERE id = $1 AND status IN ('queued', "
                            "'running')"};

// The oldest queued scan. PostgreSQL skips rows another claimer has locked, so instances
// never wait on (or take) each other's pick; SQLite's single writer serialises claimers.
#define VUTF_SCAN_CLAIM(pick)                                                                   \
  "UPDATE scans SET status = 'running', claim = claim + 1, claimed_by = $1, lease_until = $3, " \
  "started_at = COALESCE(started_at, $2) WHERE id = (SELECT id FROM scans WHERE status = "      \
  "'queued' ORDER BY created_at, id LIMIT 1" pick ") RETURNING " VUTF_SCAN_COLUMNS
const statement scan_claim_postgres{"scan_claim", VUTF_SCAN_CLAIM(" FOR UPDATE SKIP LOCKED")};
const statement scan_claim_sqlite{"scan_claim", VUTF_SCAN_CLAIM("")};

const statement scan_renew{"scan_renew",
                           "UPDATE scans SET lease_until = $3 WHERE id = $1 AND claim = $2 AND "
                           "status = 'running'"};
// Counts land only under the runner's claim; the row lock it takes fences the batch's inserts.
const statement scan_progress{
    "scan_progress",
    "UPDATE scans SET done = done + $3, errors = errors + $4, findings_low = findings_low + $5, "
    "findings_medium = findings_medium + $6, findings_high = findings_high + $7, "
    "findings_critical = findings_critical + $8 WHERE id = $1 AND claim = $2"};
const statement scan_result_insert{
    "scan_result_insert",
    "INSERT INTO scan_results (scan_id, seq, probe, prompt, response, detector, vulnerable, "
    "severity, evidence, latency_ms, attempts, error, created_at, converter, sent_prompt, judge, "
    "transcript, turn, triage, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
    "$13, $14, $15, $16, $17, $18, $19, $20)"};
const statement scan_finish{"scan_finish",
                            "UPDATE scans SET status = $3, error = $4, finished_at = $5, "
                            "lease_until = NULL WHERE id = $1 AND claim = $2 AND status = "
                            "'running'"};
const statement scan_orphans_fail{
    "scan_orphans_fail",
    "UPDATE scans SET status = 'failed', finished_at = $1, lease_until = NULL, error = "
    "'interrupted too often: the instance running it stopped ' || claim || ' times' WHERE "
    "status = 'running' AND lease_until < $1 AND claim >= $2"};
const statement scan_orphans_requeue{"scan_orphans_requeue",
                                     "UPDATE scans SET status = 'queued', claimed_by = NULL, "
                                     "lease_until = NULL WHERE status = 'running' AND "
                                     "lease_until < $1"};
const statement scan_release{"scan_release",
                             "UPDATE scans SET status = 'queued', claimed_by = NULL, lease_until "
                             "= NULL WHERE status = 'running' AND claimed_by = $1"};
// The queue every instance claims from (the scans_queued gauge).
const statement scan_count_queued{"scan_count_queued",
                                  "SELECT COUNT(*) FROM scans WHERE status = 'queued'"};
const statement scan_answered{"scan_answered", "SELECT seq FROM scan_results WHERE scan_id = $1"};

#define VUTF_RESULT_COLUMNS                                                              \
  "seq, probe, prompt, response, detector, vulnerable, severity, evidence, latency_ms, " \
  "attempts, error, converter, sent_prompt, judge, transcript, turn, triage, note"
// A result that counts as a finding: vulnerable, and not marked (or suppressed as) a false
// positive.
#define VUTF_FINDING "vulnerable = 1 AND triage <> 'false_positive'"
// $2 = 1 keeps only the findings.
const statement scan_results_page{"scan_results_page",
                                  "SELECT " VUTF_RESULT_COLUMNS
                                  " FROM scan_results WHERE scan_id = $1 AND ($2 = 0 OR "
                                  "(" VUTF_FINDING ")) ORDER BY seq LIMIT $3 OFFSET $4"};
const statement scan_results_after{"scan_results_after",
                                   "SELECT " VUTF_RESULT_COLUMNS
                                   " FROM scan_results WHERE scan_id = $1 AND ($2 = 0 OR "
                                   "(" VUTF_FINDING ")) AND seq > $3 ORDER BY seq LIMIT $4"};
const statement scan_findings_by_probe{"scan_findings_by_probe",
                                       "SELECT probe, COUNT(*) FROM scan_results WHERE scan_id "
                                       "= $1 AND " VUTF_FINDING " GROUP BY probe"};
// Every finding of a scan at once: a diff's side (bounded by the scan's plan).
const statement scan_findings_all{"scan_findings_all", "SELECT " VUTF_RESULT_COLUMNS
                                                       " FROM scan_results WHERE scan_id = $1 "
                                                       "AND " VUTF_FINDING " ORDER BY seq"};
// A result that is vulnerable, whatever its triage: what PATCH .../findings/{id} changes.
const statement finding_get{"finding_get", "SELECT " VUTF_RESULT_COLUMNS
                                           " FROM scan_results WHERE scan_id = $1 AND seq = $2 "
                                           "AND vulnerable = 1"};
const statement finding_triage{"finding_triage",
                               "UPDATE scan_results SET triage = $3, note = $4 WHERE scan_id = "
                               "$1 AND seq = $2"};
// $2 the severity whose count moves by $3.
const statement scan_findings_adjust{
    "scan_findings_adjust",
    "UPDATE scans SET findings_low = findings_low + CASE WHEN $2 = 'low' THEN $3 ELSE 0 END, "
    "findings_medium = findings_medium + CASE WHEN $2 = 'medium' THEN $3 ELSE 0 END, "
    "findings_high = findings_high + CASE WHEN $2 = 'high' THEN $3 ELSE 0 END, "
    "findings_critical = findings_critical + CASE WHEN $2 = 'critical' THEN $3 ELSE 0 END "
    "WHERE id = $1"};

// The owner's suppressed attacks on the scan's target, found through the scan.
const statement suppressions_of_scan{"suppressions_of_scan",
                                     "SELECT f.fingerprint, f.note FROM finding_suppressions f "
                                     "JOIN scans s ON s.owner_id = f.owner_id AND s.target_id = "
                                     "f.target_id WHERE s.id = $1"};
const statement suppression_put{
    "suppression_put",
    "INSERT INTO finding_suppressions (owner_id, target_id, fingerprint, note, scan_id, seq, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (owner_id, target_id, "
    "fingerprint) DO UPDATE SET note = excluded.note, scan_id = excluded.scan_id, seq = "
    "excluded.seq, created_at = excluded.created_at"};
const statement suppression_delete{"suppression_delete",
                                   "DELETE FROM finding_suppressions WHERE owner_id = $1 AND "
                                   "target_id = $2 AND fingerprint = $3"};
// The owner's last completed scan of the target created before the given one ($3 created_at, $4
// id: the order scans are listed in).
const statement scan_previous_completed{
    "scan_previous_completed",
    "SELECT " VUTF_SCAN_COLUMNS
    " FROM scans WHERE owner_id = $1 AND target_id = $2 AND status = 'completed' AND "
    "(created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT "
    "1"};

// The same, among the scans of the schedule $2 (its target may have changed in between).
const statement scan_previous_completed_of_schedule{
    "scan_previous_completed_of_schedule",
    "SELECT " VUTF_SCAN_COLUMNS
    " FROM scans WHERE owner_id = $1 AND schedule_id = $2 AND status = 'completed' AND "
    "(created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT "
    "1"};

const statement stats_targets{
    "stats_targets",
    "SELECT COUNT(*) FROM targets WHERE deleted_at IS NULL AND (owner_id = $1 "
    "OR $1 = '*')"};
const statement stats_scans{
    "stats_scans",
    "SELECT status, COUNT(*), SUM(findings_low), SUM(findings_medium), SUM(findings_high), "
    "SUM(findings_critical) FROM scans WHERE owner_id = $1 OR $1 = '*' GROUP BY status"};
const statement stats_probes{"stats_probes",
                             "SELECT r.probe, COUNT(*) FROM scan_results r JOIN scans s ON "
                             "s.id = r.scan_id WHERE (s.owner_id = $1 OR $1 = '*') AND "
                             "r.vulnerable = 1 AND r.triage <> 'false_positive' GROUP BY "
                             "r.probe"};

// Each scan of the owner with each set it sent prompts of, and that set's findings there: what
// GET /coverage counts per framework once the sets' tags are known (they live in code for the
// built-in sets). The same join and owner filter as stats_probes.
const statement coverage_runs{"coverage_runs",
                              "SELECT r.scan_id, r.probe, SUM(CASE WHEN r.vulnerable = 1 AND "
                              "r.triage <> 'false_positive' THEN 1 ELSE 0 END) FROM scan_results r "
                              "JOIN scans s ON s.id = r.scan_id WHERE s.owner_id = $1 GROUP BY "
                              "r.scan_id, r.probe"};

}  // namespace sql

namespace {

std::optional<int64_t> optional_int(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return std::stoll(*v);
}

// The `probe_sets` column: "source:version" per set, in the order of `probes`. Scans made
// before it existed ran built-in sets only, each version 1.
std::string probe_refs_column(const std::vector<probe_ref>& refs) {
  std::vector<std::string> parts;
  for (const auto& r : refs) parts.push_back(r.source + ":" + std::to_string(r.version));
  return join(parts);
}

std::vector<probe_ref> probe_refs_from(const std::vector<std::string>& ids,
                                       const std::optional<std::string>& column) {
  std::vector<std::string> parts = column ? split(*column) : std::vector<std::string>{};
  std::vector<probe_ref> refs;
  for (size_t i = 0; i < ids.size(); ++i) {
    probe_ref r{ids[i], "builtin", 1};
    if (i < parts.size()) {
      size_t colon = parts[i].find(':');
      r.source = parts[i].substr(0, colon);
      if (colon != std::string::npos) r.version = std::stoll(parts[i].substr(colon + 1));
    }
    refs.push_back(std::move(r));
  }
  return refs;
}

scan scan_from(const row& r) {
  scan x;
  x.id = r[0].value_or("");
  x.owner_id = r[1].value_or("");
  x.target_id = r[2].value_or("");
  x.probes = split(r[3].value_or(""));
  x.concurrency = as_int(r[4]);
  x.webhook_url = r[5];
  x.status = r[6].value_or("");
  x.total = as_int(r[7]);
  x.done = as_int(r[8]);
  x.errors = as_int(r[9]);
  x.findings = {as_int(r[10]), as_int(r[11]), as_int(r[12]), as_int(r[13])};
  x.error = r[14];
  x.claim = as_int(r[15]);
  x.created_at_ms = as_int(r[16]);
  x.started_at_ms = optional_int(r[17]);
  x.finished_at_ms = optional_int(r[18]);
  x.probe_sets = probe_refs_from(x.probes, r[19]);
  x.converters = split(r[20].value_or(""));  // NULL: made before converters, so none
  x.judge_target_id = r[21];
  if (r[22]) x.fail_on = fail_rule_from(*r[22]);
  x.schedule_id = r[23];
  return x;
}

// The `judge` column: {"score", "reason"} as judge_column writes it.
std::string judge_column(const judge_opinion& j) {
  return nlohmann::json{{"score", j.score}, {"reason", j.reason}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<judge_opinion> judge_from(const std::string& column) {
  auto j = nlohmann::json::parse(column, nullptr, false);
  if (!j.is_object() || !j.value("score", nlohmann::json()).is_number() ||
      !j.value("reason", nlohmann::json()).is_string())
    return std::nullopt;
  return judge_opinion{j["score"].get<double>(), j["reason"].get<std::string>()};
}

// The `transcript` column: the conversation as a JSON array of {"role", "content"}.
std::string transcript_column(const conversation& c) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& m : c) a.push_back({{"role", m.role}, {"content", m.content}});
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<conversation> transcript_from(const std::string& column) {
  auto a = nlohmann::json::parse(column, nullptr, false);
  if (!a.is_array()) return std::nullopt;
  conversation out;
  for (const auto& m : a)
    if (m.is_object() && m.value("role", nlohmann::json()).is_string() &&
        m.value("content", nlohmann::json()).is_string())
      out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  return out;
}

scan_result result_from(const row& r) {
  scan_result x;
  x.seq = as_int(r[0]);
  x.probe = r[1].value_or("");
  x.prompt = r[2].value_or("");
  x.response = r[3].value_or("");
  x.detector = r[4].value_or("");
  x.vulnerable = as_int(r[5]) != 0;
  x.severity = r[6].value_or("");
  x.evidence = r[7].value_or("");
  x.latency_ms = as_int(r[8]);
  x.attempts = as_int(r[9]);
  x.error = r[10];
  x.converter = r[11];
  x.sent_prompt = r[12].value_or(x.prompt);  // NULL: sent as written (not a conversation)
  if (r[13]) x.judge = judge_from(*r[13]);
  if (r[14]) x.transcript = transcript_from(*r[14]);
  if (r[15]) x.turn = as_int(r[15]);
  x.triage = r[16].value_or("open");
  x.note = r[17];
  return x;
}

std::vector<scan_result> results_from(const rows& found, const std::string& scan_id) {
  std::vector<scan_result> out;
  out.reserve(found.data.size());
  for (const auto& r : found.data) {
    out.push_back(result_from(r));
    out.back().scan_id = scan_id;
  }
  return out;
}

std::vector<value> filter_params(const scan_query& q) {
  return {q.owner_id, q.status, q.target_id};
}

}  // namespace

value fail_rule_column(const std::optional<fail_rule>& f) {
  if (!f) return nullptr;
  nlohmann::json j = {{"severity", nullptr}, {"max_attack_success_rate", nullptr}};
  if (f->severity) j["severity"] = *f->severity;
  if (f->max_attack_success_rate) j["max_attack_success_rate"] = *f->max_attack_success_rate;
  return j.dump();
}

std::optional<fail_rule> fail_rule_from(const std::string& column) {
  auto j = nlohmann::json::parse(column, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  fail_rule f;
  if (j.value("severity", nlohmann::json()).is_string()) f.severity = j["severity"];
  if (j.value("max_attack_success_rate", nlohmann::json()).is_number())
    f.max_attack_success_rate = j["max_attack_success_rate"].get<double>();
  return f;
}

void insert_scan(session& s, const scan& x) {
  s.exec(sql::scan_insert,
         {x.id, x.owner_id, x.target_id, join(x.probes), x.concurrency, nullable(x.webhook_url),
          x.total, x.created_at_ms, probe_refs_column(x.probe_sets), join(x.converters),
          nullable(x.judge_target_id), fail_rule_column(x.fail_on), nullable(x.schedule_id)});
}

std::optional<scan> find_scan(session& s, const std::string& id, const std::string& owner) {
  auto found = s.exec(sql::scan_get, {id, owner});
  if (found.data.empty()) return std::nullopt;
  return scan_from(found.data.front());
}

int64_t count_active_scans(session& s, const std::string& owner) {
  return count_of(s, sql::scan_count_active, {owner});
}

int64_t count_scans(session& s, const scan_query& q) {
  return count_of(s, sql::scan_count, filter_params(q));
}

std::vector<scan> list_scans(session& s, const scan_query& q) {
  std::vector<scan> out;
  for (const auto& r : s.exec(sql::scan_list, with_page(filter_params(q), q.page, q.per_page)).data)
    out.push_back(scan_from(r));
  return out;
}

bool cancel_scan(session& s, const std::string& id, int64_t now_ms) {
  return s.exec(sql::scan_cancel, {id, now_ms}).affected > 0;
}

std::optional<scan> claim_scan(session& s, const std::string& instance, int64_t now_ms,
                               int64_t lease_until_ms) {
  const statement& claim = on_postgres(s) ? sql::scan_claim_postgres : sql::scan_claim_sqlite;
  auto found = s.exec(claim, {instance, now_ms, lease_until_ms});
  if (found.data.empty()) return std::nullopt;
  return scan_from(found.data.front());
}

bool renew_lease(session& s, const std::string& id, int64_t claim, int64_t lease_until_ms) {
  return s.exec(sql::scan_renew, {id, claim, lease_until_ms}).affected > 0;
}

bool record_results(session& s, const std::string& id, int64_t claim,
                    const std::vector<scan_result>& batch, int64_t now_ms) {
  int64_t errors = 0;
  severity_counts found;
  // The target's suppressed attacks, read once per batch that has a finding: those findings are
  // recorded as false positives and not counted.
  std::map<std::string, std::optional<std::string>> suppressed;
  bool any = std::any_of(batch.begin(), batch.end(), [](const auto& r) { return r.vulnerable; });
  if (any)
    for (const auto& r : s.exec(sql::suppressions_of_scan, {id}).data)
      suppressed[r[0].value_or("")] = r[1];
  std::vector<const std::optional<std::string>*> marks;  // per result: its suppression's note
  for (const auto& r : batch) {
    errors += r.error ? 1 : 0;
    auto it = r.vulnerable ? suppressed.find(finding_fingerprint(r)) : suppressed.end();
    marks.push_back(it == suppressed.end() ? nullptr : &it->second);
    if (r.vulnerable && !marks.back()) found.add(r.severity);
  }
  if (s.exec(sql::scan_progress, {id, claim, static_cast<int64_t>(batch.size()), errors, found.low,
                                  found.medium, found.high, found.critical})
          .affected == 0)
    return false;
  for (size_t i = 0; i < batch.size(); ++i) {
    const scan_result& r = batch[i];
    const std::optional<std::string>* mark = marks[i];
    s.exec(sql::scan_result_insert,
           {id,
            r.seq,
            r.probe,
            r.prompt,
            r.error ? value(nullptr) : value(r.response),
            r.detector,
            int64_t{r.vulnerable},
            r.vulnerable ? value(r.severity) : value(nullptr),
            r.evidence.empty() ? value(nullptr) : value(r.evidence),
            r.latency_ms,
            r.attempts,
            nullable(r.error),
            now_ms,
            nullable(r.converter),
            r.sent_prompt != r.prompt ? value(r.sent_prompt) : value(nullptr),
            r.judge ? value(judge_column(*r.judge)) : value(nullptr),
            r.transcript ? value(transcript_column(*r.transcript)) : value(nullptr),
            r.turn ? value(*r.turn) : value(nullptr),
            std::string(mark ? "false_positive" : "open"),
            mark ? nullable(*mark) : value(nullptr)});
  }
  return true;
}

bool finish_scan(session& s, const std::string& id, int64_t claim, const std::string& status,
                 const std::optional<std::string>& error, int64_t now_ms) {
  return s.exec(sql::scan_finish, {id, claim, status, nullable(error), now_ms}).affected > 0;
}

std::pair<int64_t, int64_t> recover_orphans(session& s, int64_t now_ms, int64_t max_claims) {
  int64_t failed = s.exec(sql::scan_orphans_fail, {now_ms, max_claims}).affected;
  int64_t requeued = s.exec(sql::scan_orphans_requeue, {now_ms}).affected;
  return {requeued, failed};
}

int64_t release_scans(session& s, const std::string& instance) {
  return s.exec(sql::scan_release, {instance}).affected;
}

int64_t count_queued_scans(session& s) {
  return count_of(s, sql::scan_count_queued, {});
}

std::vector<int64_t> answered_seqs(session& s, const std::string& id) {
  std::vector<int64_t> out;
  for (const auto& r : s.exec(sql::scan_answered, {id}).data) out.push_back(as_int(r[0]));
  return out;
}

std::vector<scan_result> list_results(session& s, const std::string& id, bool findings_only,
                                      int64_t page, int64_t per_page) {
  return results_from(
      s.exec(sql::scan_results_page, with_page({id, int64_t{findings_only}}, page, per_page)), id);
}

std::vector<scan_result> results_after(session& s, const std::string& id, bool findings_only,
                                       int64_t after_seq, int64_t limit) {
  return results_from(
      s.exec(sql::scan_results_after, {id, int64_t{findings_only}, after_seq, limit}), id);
}

std::map<std::string, int64_t> findings_by_probe(session& s, const std::string& id) {
  std::map<std::string, int64_t> out;
  for (const auto& r : s.exec(sql::scan_findings_by_probe, {id}).data)
    out[r[0].value_or("")] = as_int(r[1]);
  return out;
}

std::vector<scan_result> all_findings(session& s, const std::string& id) {
  return results_from(s.exec(sql::scan_findings_all, {id}), id);
}

std::optional<scan_result> find_finding(session& s, const std::string& id, int64_t seq) {
  auto found = results_from(s.exec(sql::finding_get, {id, seq}), id);
  if (found.empty()) return std::nullopt;
  return found.front();
}

void set_triage(session& s, const scan_result& r) {
  s.exec(sql::finding_triage, {r.scan_id, r.seq, r.triage, nullable(r.note)});
}

void adjust_findings(session& s, const std::string& id, const std::string& severity,
                     int64_t delta) {
  s.exec(sql::scan_findings_adjust, {id, severity, delta});
}

std::set<std::string> suppressed_fingerprints(session& s, const std::string& scan_id) {
  std::set<std::string> out;
  for (const auto& r : s.exec(sql::suppressions_of_scan, {scan_id}).data)
    out.insert(r[0].value_or(""));
  return out;
}

void suppress(session& s, const scan& of, const scan_result& r, int64_t now_ms) {
  s.exec(sql::suppression_put, {of.owner_id, of.target_id, finding_fingerprint(r), nullable(r.note),
                                of.id, r.seq, now_ms});
}

void lift_suppression(session& s, const scan& of, const scan_result& r) {
  s.exec(sql::suppression_delete, {of.owner_id, of.target_id, finding_fingerprint(r)});
}

std::optional<scan> previous_completed_scan(session& s, const scan& x) {
  if (x.schedule_id) {
    auto found = s.exec(sql::scan_previous_completed_of_schedule,
                        {x.owner_id, *x.schedule_id, x.created_at_ms, x.id});
    if (!found.data.empty()) return scan_from(found.data.front());
  }
  auto found =
      s.exec(sql::scan_previous_completed, {x.owner_id, x.target_id, x.created_at_ms, x.id});
  if (found.data.empty()) return std::nullopt;
  return scan_from(found.data.front());
}

scan_diff findings_diff(session& s, const scan& base, const scan& x) {
  return diff_scans(base, all_findings(s, base.id), x, all_findings(s, x.id),
                    suppressed_fingerprints(s, x.id));
}

std::vector<set_run> set_runs(session& s, const std::string& owner) {
  std::vector<set_run> out;
  for (const auto& r : s.exec(sql::coverage_runs, {owner}).data)
    out.push_back({r[0].value_or(""), r[1].value_or(""), as_int(r[2])});
  return out;
}

stats_overview overview(session& s, const std::string& owner) {
  stats_overview o;
  o.targets = as_int(s.exec(sql::stats_targets, {owner}).data.at(0).at(0));
  for (const char* status : {"queued", "running", "completed", "failed", "cancelled"})
    o.scans_by_status[status] = 0;
  for (const auto& r : s.exec(sql::stats_scans, {owner}).data) {
    o.scans_by_status[r[0].value_or("")] = as_int(r[1]);
    o.findings_by_severity.low += as_int(r[2]);
    o.findings_by_severity.medium += as_int(r[3]);
    o.findings_by_severity.high += as_int(r[4]);
    o.findings_by_severity.critical += as_int(r[5]);
  }
  for (const auto& r : s.exec(sql::stats_probes, {owner}).data)
    o.findings_by_probe[r[0].value_or("")] = as_int(r[1]);
  return o;
}

}  // namespace vutf::storage
