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
};

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

// The reply a mode gives to `prompt` (the text inside the chat or http-json envelope).
std::string reply_for(const std::string& mode, const std::string& prompt);

}  // namespace vutf::mock
