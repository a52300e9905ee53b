// Scans and their results in the database: the queue the runners claim from, the progress
// they write in batches, and the reads behind results, findings, reports and statistics.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/model.hpp"

namespace vutf {

struct severity_counts {
  int64_t low = 0, medium = 0, high = 0, critical = 0;
  int64_t total() const { return low + medium + high + critical; }
  // Counts one finding of `severity` ("low" | "medium" | "high" | "critical").
  void add(const std::string& severity, int64_t n = 1);
};

struct scan {
  std::string id;
  std::string owner_id;
  std::string target_id;
  std::vector<std::string> probes;  // probe set ids, in the order given
  int64_t concurrency = 1;
  std::optional<std::string> webhook_url;
  std::string status = "queued";  // queued | running | completed | failed | cancelled
  int64_t total = 0;              // prompts planned
  int64_t done = 0;               // prompts answered or given up on
  int64_t errors = 0;             // of those, calls that failed
  severity_counts findings;
  std::optional<std::string> error;  // why it failed, or what went wrong along the way
  int64_t claim = 0;                 // bumped by every claim (fencing token)
  int64_t created_at_ms = 0;
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> finished_at_ms;

  bool finished() const {
    return status == "completed" || status == "failed" || status == "cancelled";
  }
};

// What a client asks for; validated against the probe sets and SCAN_MAX_PROMPTS.
struct scan_request {
  std::string target_id;
  std::vector<std::string> probes;
  std::optional<int64_t> max_prompts;
  std::optional<int64_t> concurrency;  // default: the target's max_concurrency
  std::optional<std::string> webhook_url;
};

// Every field rule a request breaks (empty when valid).
std::vector<field_error> validate(const scan_request& r, int64_t max_prompts_cap);

// One prompt sent to the target and how its reply was judged.
struct scan_result {
  int64_t seq = 0;
  std::string probe;
  std::string prompt;
  std::string response;  // truncated to 4 KiB (detection saw all of it)
  std::string detector;
  bool vulnerable = false;
  std::string severity;  // "" unless vulnerable
  std::string evidence;
  int64_t latency_ms = 0;
  int64_t attempts = 1;
  std::optional<std::string> error;  // the call failed: no reply was judged
};

struct scan_query {
  std::string owner_id;  // "*" = every owner (admins)
  std::string status;    // "" = any
  std::string target_id;
  int64_t page = 1;
  int64_t per_page = 20;
};
using scan_page = page_of<scan>;
using result_page = page_of<scan_result>;

struct stats_overview {
  int64_t targets = 0;
  std::map<std::string, int64_t> scans_by_status;
  severity_counts findings_by_severity;
  std::map<std::string, int64_t> findings_by_probe;
};

// Compact encodings for the cache.
std::string encode(const stats_overview& s);
bool decode(const std::string& text, stats_overview& out);

// The most of a reply kept with a result.
constexpr size_t max_response_bytes = 4096;
// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(const std::string& text, size_t limit);

}  // namespace vutf

namespace vutf::storage {

void insert_scan(session& s, const scan& x);
// `owner` "*" finds the scan whoever owns it.
std::optional<scan> find_scan(session& s, const std::string& id, const std::string& owner);
int64_t count_scans(session& s, const scan_query& q);
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
// The plan positions already answered, to resume without sending them again.
std::vector<int64_t> answered_seqs(session& s, const std::string& id);

// A page of results (or only the findings) by seq.
std::vector<scan_result> list_results(session& s, const std::string& id, bool findings_only,
                                      int64_t page, int64_t per_page);
// Up to `limit` results (or findings) after `after_seq`: keyset pages for streamed reports.
std::vector<scan_result> results_after(session& s, const std::string& id, bool findings_only,
                                       int64_t after_seq, int64_t limit);
std::map<std::string, int64_t> findings_by_probe(session& s, const std::string& id);

stats_overview overview(session& s, const std::string& owner);

}  // namespace vutf::storage
