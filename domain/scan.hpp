// Scans: what a client asks for, the scan record with its progress and findings, one result per
// prompt, queries and the statistics overview.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/crescendo.hpp"
#include "domain/error.hpp"
#include "domain/page.hpp"

namespace vutf {

struct severity_counts {
  int64_t low = 0, medium = 0, high = 0, critical = 0;
  int64_t total() const { return low + medium + high + critical; }
  // Counts one finding of `severity` ("low" | "medium" | "high" | "critical").
  void add(const std::string& severity, int64_t n = 1);
};

// A scan's pass/fail rule (POST /scans "fail_on", for CI): the gate fails on any finding of
// `severity` or above, or when more than `max_attack_success_rate` of the answered prompts were
// findings. At least one of the two is set.
struct fail_rule {
  std::optional<std::string> severity;            // "low" | "medium" | "high" | "critical"
  std::optional<double> max_attack_success_rate;  // 0..1
};

// A probe set as a scan used it: the user's sets change (PATCH bumps their version), so a scan
// records which version it ran (and keeps those prompts, see storage/probe_set_store.hpp).
struct probe_ref {
  std::string id;
  std::string source = "builtin";  // "builtin" | "user"
  int64_t version = 1;
};

struct scan {
  std::string id;
  std::string owner_id;
  std::string target_id;
  std::vector<std::string> probes;      // probe set ids, in the order given
  std::vector<probe_ref> probe_sets;    // the same sets with their source and version
  std::vector<std::string> converters;  // converter ids, in the order given (may be empty)
  // The owner's target that re-checks every deterministic finding (nullopt: none does).
  std::optional<std::string> judge_target_id;
  std::optional<fail_rule> fail_on;        // nullopt: the scan has no gate
  std::optional<std::string> schedule_id;  // the schedule whose run created it (nullopt: none)
  int64_t concurrency = 1;
  std::optional<std::string> webhook_url;
  std::string status = "queued";  // queued | running | completed | failed | cancelled
  int64_t total = 0;              // prompts planned, each converter variant counted
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
  std::vector<std::string> converters;         // converter ids (GET /converters), each at most once
  std::optional<std::string> judge_target_id;  // one of the caller's targets
  std::optional<fail_rule> fail_on;
};

constexpr size_t max_probes_per_scan = 100;

// Findings per answered prompt (calls that failed are not answers); 0 when none was answered.
double attack_success_rate(const scan& s);
// "pass" or "fail" once a scan with a fail_on has ended, else nullopt. A scan that failed or was
// cancelled fails its gate: it proves nothing about the target.
std::optional<std::string> gate_of(const scan& s);

// How many times a scan sends each prompt: as written, then once through each converter.
inline int64_t variants_per_prompt(const std::vector<std::string>& converters) {
  return 1 + static_cast<int64_t>(converters.size());
}

// Every field rule a request breaks (empty when valid): each unknown or repeated converter id is
// an error of its own, on its place ("converters[2]"). Whether a user's probe set of a named id
// exists is the scans actor's question: users' sets live in the database.
std::vector<field_error> validate(const scan_request& r, int64_t max_prompts_cap);

// What a judge target said of a reply (domain/judge.hpp): kept with the result whatever it
// decided, so a finding it confirmed and one it overruled both show why.
struct judge_opinion {
  double score = 0;  // 0..1
  std::string reason;
};

// One prompt sent to the target and how its reply was judged.
struct scan_result {
  int64_t seq = 0;
  std::string probe;
  std::string prompt;                    // the probe set's prompt as written
  std::optional<std::string> converter;  // the converter it went through; nullopt: as written
  std::string sent_prompt;               // what the target received
  std::string response;                  // truncated to 4 KiB (detection saw all of it)
  std::string detector;
  bool vulnerable = false;
  std::string severity;  // "" unless vulnerable
  std::string evidence;
  int64_t latency_ms = 0;
  int64_t attempts = 1;
  std::optional<std::string> error;    // the call (or its judge) failed: no verdict
  std::optional<judge_opinion> judge;  // a judge detector's verdict, or the scan's re-check
  // A crescendo set's conversation (prompt is its goal; sent_prompt and response its last
  // exchange), and the turn (1-based) at which the detector fired, nullopt when it never did.
  std::optional<conversation> transcript;
  std::optional<int64_t> turn;
  // Read back from storage: the scan it belongs to, and its triage (domain/findings.hpp). A
  // finding marked "false_positive" is suppressed: it counts nowhere and is listed apart.
  std::string scan_id;
  std::string triage = "open";
  std::optional<std::string> note;
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

// The most of a reply kept with a result.
constexpr size_t max_response_bytes = 4096;
// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(const std::string& text, size_t limit);

}  // namespace vutf
