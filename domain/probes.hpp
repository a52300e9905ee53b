// Probe sets: the built-in ones (domain/probes/*.json, compiled in from those data files) and
// users' own (POST /probe-sets), their field rules, their stored form, and the order a scan
// sends their prompts in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/converters.hpp"
#include "domain/crescendo.hpp"
#include "domain/detectors.hpp"
#include "domain/error.hpp"
#include "domain/page.hpp"

namespace vutf {

// The frameworks a set's attacks belong to: OWASP Top 10 for LLM applications 2025 ids
// (LLM01..LLM10) and MITRE ATLAS technique ids (AML.T0051, AML.T0051.001...).
struct framework_tags {
  std::vector<std::string> owasp_llm_2025;
  std::vector<std::string> mitre_atlas;
};

struct probe_set {
  std::string id;  // built-in: its file's id; user: a slug unique per owner
  std::string name;
  std::string description;
  std::string category;  // OWASP Top 10 for LLM applications, e.g. LLM01
  framework_tags frameworks;
  detector_spec detector;
  // "single": each prompt is sent on its own. "crescendo": no prompts; each run of the set is a
  // conversation of up to max_turns messages that attacker_target_id writes toward `goal`
  // (domain/crescendo.hpp). The three fields are empty (0) for single sets.
  std::string mode = "single";
  std::string goal;
  int64_t max_turns = 0;
  std::string attacker_target_id;
  std::vector<std::string> prompts;  // empty in lists of user sets (see prompt_count)
  int64_t prompt_count = 0;
  std::string source = "builtin";  // "builtin" | "user"
  int64_t version = 1;             // built-ins are always 1; user sets count their changes
  std::string owner_id;            // user sets only
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// A change to a user's set: only the present fields change.
struct probe_set_patch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> category;
  std::optional<framework_tags> frameworks;
  std::optional<detector_spec> detector;
  std::optional<std::vector<std::string>> prompts;
  std::optional<std::string> mode;
  std::optional<std::string> goal;
  std::optional<int64_t> max_turns;
  std::optional<std::string> attacker_target_id;
};
// A mode of "single" clears goal, max_turns and attacker_target_id; "crescendo" without a
// max_turns takes default_crescendo_turns.
void apply_patch(probe_set& p, const probe_set_patch& patch);

// The bounds of a user's set.
constexpr size_t max_prompts_per_set = 5000;
constexpr size_t max_prompt_bytes = size_t{16} * 1024;
constexpr size_t max_set_name_chars = 100;
constexpr size_t max_set_description_chars = 2000;

// Every field rule a user's set breaks (empty when valid): the id's form (a slug that is not a
// built-in id), the texts, the category and frameworks, the prompts (a crescendo set has none;
// its goal, max_turns and attacker_target_id instead) and the detector. Field
// names are the API's ("detector.pattern", "prompts[3]"); at most the first 100 bad prompts are
// named, then one error counts the rest. A regex detector must already be compiled
// (set_pattern); the codec reports what RE2 refused.
std::vector<field_error> validate(const probe_set& p);
// Adds to `e` why `value` is no text of `min`..`max` characters (UTF-8 code points) without NUL,
// if it is not: the rule of every free text a client stores.
void check_text(const std::string& field, const std::string& value, size_t min, size_t max,
                std::vector<field_error>& e);

// Whether `id` has the form of a user's set id: ^[a-z0-9][a-z0-9-]{1,62}$.
bool is_probe_set_id(const std::string& id);

// The OWASP LLM Top 10 ids, LLM01..LLM10.
bool is_owasp_llm_id(const std::string& id);

// Every shipped probe set, in id order.
const std::vector<probe_set>& probe_sets();

// Reads a probe set in the file format of domain/probes/*.json (also how a scan keeps the user
// sets it runs); throws std::invalid_argument saying what is wrong. Without "frameworks" the set
// is tagged with its category alone.
probe_set parse_probe_set(const std::string& json_text);
// The file format of `p`, with its source and version.
std::string probe_set_json(const probe_set& p);

// The stored forms of a detector and of framework tags (JSON); the parsers throw
// std::invalid_argument on text no writer made.
std::string detector_json(const detector_spec& d);
detector_spec parse_detector(const std::string& json_text);
std::string frameworks_json(const framework_tags& f);
framework_tags parse_frameworks(const std::string& json_text);

// The shipped set with this id, or nullptr.
const probe_set* find_probe_set(const std::string& id);

struct probe_set_query {
  std::string owner_id;
  int64_t page = 1;
  int64_t per_page = 20;
};
using probe_set_page = page_of<probe_set>;

// The prompts of a scan in sending order: every prompt of the chosen sets once, interleaved
// across the sets (so a short scan still covers each), each followed by its converted variants
// (one per converter, in the scan's order; a crescendo set counts as one prompt, its goal, and
// its variants are conversations whose messages go through the converter), repeated in rounds when
// a scan asks for more prompts than there are (replies vary, so repeats measure how often an attack
// works). A plan position (seq) always names the same prompt and variant: a resumed scan skips
// exactly what it stored.
class scan_plan {
 public:
  struct entry {
    const probe_set* set;
    const std::string* prompt;  // a crescendo set's goal: the conversation's aim
    const converter* through;   // nullptr: the prompt as written
    // What the target is sent.
    std::string sent() const { return through ? through->apply(*prompt) : *prompt; }
  };
  // The sets in the order the scan names them (resolved: built-ins and the owner's sets), and
  // the scan's converters.
  explicit scan_plan(std::vector<probe_set> sets, std::vector<const converter*> converters = {});
  scan_plan(const scan_plan&) = delete;  // entries point into sets_
  scan_plan& operator=(const scan_plan&) = delete;
  // Distinct prompts, not counting their variants.
  int64_t distinct() const { return static_cast<int64_t>(order_.size()); }
  entry at(int64_t seq) const;

 private:
  std::vector<probe_set> sets_;
  std::vector<const converter*> converters_;
  std::vector<entry> order_;  // the prompts as written
};

}  // namespace vutf
