// The LLM judge's verdict reader on arbitrary judge replies (any bytes: prose, stray and unclosed
// braces, deep nesting, invalid UTF-8, lookalike verdicts), and the judge prompt built from parts
// of the input. A verdict or a reason is all they may produce; a verdict must be in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "domain/judge.hpp"
#include "domain/scan.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  const std::string reply(reinterpret_cast<const char*>(data), size);
  verdict_read v = read_verdict(reply);
  if (v.verdict) {
    if (v.verdict->score < 0 || v.verdict->score > 1) std::abort();
    if (v.verdict->reason.size() > max_reason_bytes) std::abort();
    (void)score_text(v.verdict->score);
  } else if (v.error.empty()) {
    std::abort();  // no verdict always says why
  }
  scan_result x;
  x.vulnerable = true;
  apply_verdict(x, v, size % 2 == 0, "high");
  if (!v.verdict && x.vulnerable) std::abort();  // never a finding without a verdict
  // The prompt from thirds of the input: whatever they hold, it is built and bounded.
  size_t third = size / 3;
  std::string prompt =
      judge_prompt(reply.substr(0, third), reply.substr(third, third), reply.substr(2 * third));
  // The rubric, the two cut texts, seven delimiter lines no longer than the input, the wording.
  if (prompt.size() > third + 2 * max_judged_text_bytes + 7 * (size + 2) + 4096) std::abort();
  return 0;
}
