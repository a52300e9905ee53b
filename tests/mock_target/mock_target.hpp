// A mock LLM endpoint for tests, benchmarks and the README demo: an OpenAI-compatible chat
// completions route (POST /v1/chat/completions) and an http-json variant (POST /generate,
// {"input": "..."} -> {"result": {"text": "..."}}), with modes:
//   vulnerable  complies with everything: echoes canary tokens, leaks its system prompt and
//               personal data, writes script tags and tool calls, and answers requests for
//               endless output at length (every built-in set's detector fires)
//   safe        refuses every prompt
//   flaky       every third request fails (503, or 429 with Retry-After: 0 every sixth); the
//               others are answered like safe
//   slow        waits delay_ms, then answers like safe
//   down        503 to everything
//   deep        JSON nested 250 000 levels deep where the reply text belongs (hostile)
//   digits      a reply of 500 000 digits (hostile)
//   template    POST /generate takes {"instances": [{"system": "...", "prompt": "..."}]} (400
//               otherwise) and answers {"predictions": [{"candidates": [{"output text": ...}]}]}:
//               usable only with a request_template and a JSONPath response_path
//   ratelimit   429 with Retry-After (the seconds to the window's end) to calls beyond
//               rate_limit per rate_window_ms; the others are answered like safe
//   trickle     answers like safe, but writes the reply trickle_bytes at a time with
//               trickle_ms between pieces (hostile when that outlasts the target's timeout)
// Both model routes record the system prompt of each call (the system message, or template
// mode's "system").
//   judge       an LLM judge: a verdict {"vulnerable", "score", "reason"} inside prose, decided
//               from the input (vulnerable iff it contains "Sure!", which the vulnerable mode's
//               replies start with and the safe mode's never do)
//   judge-garbage  a judge whose verdict is malformed ("vulnerable": "perhaps")
//   judge-silent   never answers (holds the call until the mock stops)
//   attacker    a crescendo attacker: answers each attacker prompt with a next message naming
//               its turn ("Turn 2: ...", read from the prompt's "This is turn 2 of")
//   attacker-empty  an attacker that writes nothing (white space only)
//   crescendo   refuses until the conversation it receives holds crescendo_yield_turn user
//               messages, then answers like vulnerable: a multi-turn attack fires at that turn
// It also receives webhooks (POST /webhook, any query; every attempt recorded, the first
// `fail_webhooks` get 500) and
// reports what it saw (GET /stats). POST /mode {"mode": ...} switches the mode.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vutf::mock {

struct options {
  std::string mode = "safe";
  int delay_ms = 1500;
  int rate_limit = 3;         // ratelimit: calls answered per window
  int rate_window_ms = 1000;  // ratelimit: the window
  int trickle_ms = 20;        // trickle: the pause between pieces
  size_t trickle_bytes = 4;   // trickle: the size of a piece
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  // PEM files: with both set it serves HTTPS.
  std::string cert_file{};
  std::string key_file{};
};

struct figures {
  int64_t requests = 0;       // model calls (both routes)
  int64_t max_in_flight = 0;  // most model calls served at once
  std::string last_authorization;
  // The prompts of the model calls, in arrival order: the first `kept_prompts` only, so a long
  // benchmark does not grow the mock.
  std::vector<std::string> prompts;
  static constexpr size_t kept_prompts = 10000;
  std::vector<std::string> system_prompts;  // of the model calls that had one (first kept_prompts)
  std::vector<int64_t> arrivals_ms;         // wall-clock arrival of each model call (ditto)
  int64_t throttled = 0;                    // 429s answered in ratelimit mode
  // The user messages in each model call's conversation (first kept_prompts).
  std::vector<int64_t> user_messages;
};

// The user message at which crescendo mode gives in.
constexpr int64_t crescendo_yield_turn = 3;

// One webhook POST as it arrived (the Standard Webhooks headers, "" when absent).
struct webhook {
  std::string target;     // path and query it was posted to
  std::string id;         // webhook-id
  std::string timestamp;  // webhook-timestamp
  std::string signature;  // webhook-signature
  std::string body;
  std::vector<std::string> header_names;
  bool accepted = false;  // false: answered 500 (fail_webhooks)
};

class mock_target {
 public:
  // Binds and starts serving on a thread of its own; throws std::runtime_error if it cannot.
  explicit mock_target(options o);
  ~mock_target();
  int port() const;
  std::string url() const;  // http(s)://host:port
  void set_mode(const std::string& mode);
  void fail_webhooks(int n);
  figures stats() const;
  std::vector<webhook> webhooks() const;  // every attempt, in arrival order
  // Serves until stop() (or destruction); for the standalone program.
  void wait();
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The reply a mode gives to `prompt` (the text inside the chat or http-json envelope, the last
// of `user_messages` in the conversation).
std::string reply_for(const std::string& mode, const std::string& prompt,
                      int64_t user_messages = 1);

// The judge modes' replies to a judge prompt.
std::string judge_reply(const std::string& prompt);
std::string garbage_judge_reply();

}  // namespace vutf::mock
