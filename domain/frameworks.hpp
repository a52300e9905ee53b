// The frameworks probe sets are tagged with (OWASP Top 10 for LLM Applications 2025, MITRE ATLAS)
// with the names of their ids, and what the caller's sets, scans and findings cover of them:
// GET /coverage, and the framework section of a scan's report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "domain/probes.hpp"

namespace vutf {

struct framework_item {
  std::string id;
  std::string name;
};

// LLM01..LLM10, in order.
const std::vector<framework_item>& owasp_llm_2025_categories();
// The ATLAS techniques this release knows by name: every one a built-in set is tagged with, and
// their parents. Users' sets may use any well-formed ATLAS id.
const std::vector<framework_item>& atlas_techniques();
// The name of an OWASP or ATLAS id, or "" when this release does not know it.
std::string framework_name(const std::string& id);

// One framework id in GET /coverage.
struct coverage_entry {
  std::string id;
  std::string name;        // "" when unknown (a user's tag this release has no name for)
  int64_t probe_sets = 0;  // sets the caller can run that are tagged with it
  int64_t scans = 0;       // the caller's scans that sent a prompt of such a set
  int64_t findings = 0;    // findings of those sets in the caller's scans
};

struct coverage_report {
  std::vector<coverage_entry> owasp_llm_2025;  // all ten, zeros included, in order
  std::vector<coverage_entry> mitre_atlas;     // every technique a runnable set is tagged with
};

// A scan's use of one probe set: what the store counts.
struct set_run {
  std::string scan_id;
  std::string probe;
  int64_t findings = 0;
};

// The tags of the sets a caller can run, by set id (built-ins and the caller's own).
using set_tags = std::map<std::string, framework_tags>;

// The built-in sets' tags with `own` (the caller's sets) added.
set_tags runnable_set_tags(set_tags own);

// The coverage of `sets` by `runs`. A run of a set not in `sets` (a user set deleted since) has
// no tags to count under and is left out. Ids count exactly as tagged: a set tagged
// AML.T0051.001 alone does not count under AML.T0051.
coverage_report coverage_of(const set_tags& sets, const std::vector<set_run>& runs);

// One framework id in a scan's report: the scan's sets tagged with it and their findings.
struct framework_findings {
  std::string id;
  std::string name;
  std::vector<std::string> probe_sets;
  int64_t findings = 0;
};

struct findings_by_framework {
  std::vector<framework_findings> owasp_llm_2025;  // the categories the scan's sets are tagged with
  std::vector<framework_findings> mitre_atlas;     // likewise, by id
};

// Groups a scan's findings per set (`findings_by_probe`) under the tags of the sets it ran
// (`scan_sets`, in the scan's order).
findings_by_framework group_findings(
    const std::vector<std::pair<std::string, framework_tags>>& scan_sets,
    const std::map<std::string, int64_t>& findings_by_probe);

}  // namespace vutf
