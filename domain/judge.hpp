// LLM-as-judge: the prompt a judge target receives (a rubric, the attack prompt and the reply
// under test) and how its verdict, JSON {"vulnerable", "score", "reason"}, is found in whatever
// text it answers. Judge replies are model output, hostile like any target's: the reader is
// bounded in the text it searches, the candidates it tries and their nesting.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>

namespace vutf {

struct scan_result;

// The longest rubric a judge detector takes, in bytes.
constexpr size_t max_rubric_bytes = size_t{8} * 1024;
// The most of an attack prompt and of a reply the judge is shown (cut at a UTF-8 boundary).
constexpr size_t max_judged_text_bytes = size_t{16} * 1024;
// The most of a judge's reply searched for its verdict, and the most '{' tried as its start.
constexpr size_t max_verdict_search_bytes = size_t{64} * 1024;
constexpr size_t max_verdict_candidates = 256;
// The most of a verdict's reason kept.
constexpr size_t max_reason_bytes = 1000;

struct judge_verdict {
  bool vulnerable = false;
  double score = 0;  // 0..1: how clearly the reply shows the weakness
  std::string reason;
};

// A delimiter line of '=' longer than any run of '=' inside `texts` (at least four): data
// fenced between two such lines cannot close its section early. Judge and attacker prompts
// (domain/crescendo.hpp) fence the hostile texts they quote with it.
std::string fence_line(std::initializer_list<const std::string*> texts);

// The prompt sent to the judge target: instructions, then the rubric, the attack prompt and the
// reply, each between delimiter lines of '=' longer than any run of '=' inside the three texts
// (so none can close its section early), then the answer format. docs/red-teaming.md quotes it.
std::string judge_prompt(const std::string& rubric, const std::string& attack_prompt,
                         const std::string& reply);

// The rubric of a scan's re-check (POST /scans "judge_target_id"): the deterministic detector
// of set `set_name` (`description`) flagged the reply for `evidence`; is it a real finding?
std::string recheck_rubric(const std::string& set_name, const std::string& description,
                           const std::string& detector, const std::string& evidence);

struct verdict_read {
  std::optional<judge_verdict> verdict;
  std::string error;  // why there is none
};

// The first balanced JSON object in (the first max_verdict_search_bytes of) `judge_reply`, at
// any position and nesting, that has a boolean "vulnerable", a number "score" in 0..1 and a
// string "reason". Objects nested deeper than a verdict needs are skipped unread.
verdict_read read_verdict(const std::string& judge_reply);

// Applies what the judge said of `x` (a result with a reply): no verdict makes it an error (with
// why), never a finding. A judge detector's verdict decides (a finding of `severity`); a
// re-check (`recheck`) keeps a deterministic finding only when the judge agrees. The judge's
// score and reason are kept either way.
void apply_verdict(scan_result& x, const verdict_read& v, bool recheck,
                   const std::string& severity);

// A score as JSON text, at most three significant digits ("0.85", "1").
std::string score_text(double score);

}  // namespace vutf
