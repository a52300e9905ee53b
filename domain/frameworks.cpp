#include "domain/frameworks.hpp"

#include <algorithm>
#include <set>

namespace vutf {

const std::vector<framework_item>& owasp_llm_2025_categories() {
  static const std::vector<framework_item> all = {
      {"LLM01", "Prompt Injection"},
      {"LLM02", "Sensitive Information Disclosure"},
      {"LLM03", "Supply Chain"},
      {"LLM04", "Data and Model Poisoning"},
      {"LLM05", "Improper Output Handling"},
      {"LLM06", "Excessive Agency"},
      {"LLM07", "System Prompt Leakage"},
      {"LLM08", "Vector and Embedding Weaknesses"},
      {"LLM09", "Misinformation"},
      {"LLM10", "Unbounded Consumption"},
  };
  return all;
}

// Names as ATLAS gives them today (some techniques were renamed: AML.T0053 was "LLM Plugin
// Compromise", AML.T0056 "LLM Meta Prompt Extraction"); ids never change.
const std::vector<framework_item>& atlas_techniques() {
  static const std::vector<framework_item> all = {
      {"AML.T0010", "AI Supply Chain Compromise"},
      {"AML.T0020", "Poison Training Data"},
      {"AML.T0029", "Denial of AI Service"},
      {"AML.T0034", "Cost Harvesting"},
      {"AML.T0048", "External Harms"},
      {"AML.T0050", "Command and Scripting Interpreter"},
      {"AML.T0051", "LLM Prompt Injection"},
      {"AML.T0051.000", "LLM Prompt Injection: Direct"},
      {"AML.T0051.001", "LLM Prompt Injection: Indirect"},
      {"AML.T0053", "AI Agent Tool Invocation"},
      {"AML.T0054", "LLM Jailbreak"},
      {"AML.T0056", "Extract LLM System Prompt"},
      {"AML.T0057", "LLM Data Leakage"},
      {"AML.T0062", "Discover LLM Hallucinations"},
      {"AML.T0068", "LLM Prompt Obfuscation"},
      {"AML.T0070", "RAG Poisoning"},
      {"AML.T0071", "False RAG Entry Injection"},
      {"AML.T0077", "LLM Response Rendering"},
      {"AML.T0086", "Exfiltration via AI Agent Tool Invocation"},
      {"AML.T0101", "Data Destruction via AI Agent Tool Invocation"},
  };
  return all;
}

std::string framework_name(const std::string& id) {
  for (const auto* list : {&owasp_llm_2025_categories(), &atlas_techniques()})
    for (const auto& item : *list)
      if (item.id == id) return item.name;
  return "";
}

set_tags runnable_set_tags(set_tags own) {
  for (const auto& p : probe_sets()) own[p.id] = p.frameworks;  // built-in ids are reserved
  return own;
}

namespace {

// The figures of one id while they are counted.
struct tally {
  std::set<std::string> sets;
  std::set<std::string> scans;
  int64_t findings = 0;
};

// Calls `each(list, id)` for every tag of `tags`: list 0 is OWASP, 1 is ATLAS.
template <class Each>
void each_tag(const framework_tags& tags, Each each) {
  for (const auto& id : tags.owasp_llm_2025) each(0, id);
  for (const auto& id : tags.mitre_atlas) each(1, id);
}

}  // namespace

coverage_report coverage_of(const set_tags& sets, const std::vector<set_run>& runs) {
  std::map<std::string, tally> figures[2];
  for (const auto& [id, tags] : sets)
    each_tag(tags, [&, &set_id = id](int list, const std::string& tag) {
      figures[list][tag].sets.insert(set_id);
    });
  for (const auto& run : runs) {
    auto found = sets.find(run.probe);
    if (found == sets.end()) continue;
    each_tag(found->second, [&](int list, const std::string& tag) {
      tally& t = figures[list][tag];
      t.scans.insert(run.scan_id);
      t.findings += run.findings;
    });
  }
  auto entry = [](const std::string& id, const tally& t) {
    return coverage_entry{id, framework_name(id), static_cast<int64_t>(t.sets.size()),
                          static_cast<int64_t>(t.scans.size()), t.findings};
  };
  coverage_report out;
  for (const auto& category : owasp_llm_2025_categories())
    out.owasp_llm_2025.push_back(entry(category.id, figures[0][category.id]));
  for (const auto& [id, t] : figures[1]) out.mitre_atlas.push_back(entry(id, t));
  return out;
}

findings_by_framework group_findings(
    const std::vector<std::pair<std::string, framework_tags>>& scan_sets,
    const std::map<std::string, int64_t>& findings_by_probe) {
  std::map<std::string, framework_findings> groups[2];
  for (const auto& [set_id, tags] : scan_sets) {
    auto found = findings_by_probe.find(set_id);
    int64_t findings = found == findings_by_probe.end() ? 0 : found->second;
    each_tag(tags, [&, &id = set_id](int list, const std::string& tag) {
      framework_findings& g = groups[list][tag];
      if (std::find(g.probe_sets.begin(), g.probe_sets.end(), id) != g.probe_sets.end()) return;
      g.probe_sets.push_back(id);
      g.findings += findings;
    });
  }
  findings_by_framework out;
  for (int list : {0, 1})
    for (auto& [id, g] : groups[list]) {
      g.id = id;
      g.name = framework_name(id);
      (list == 0 ? out.owasp_llm_2025 : out.mitre_atlas).push_back(std::move(g));
    }
  return out;
}

}  // namespace vutf
