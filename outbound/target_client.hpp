// Outbound HTTP: the requests the engine sends to targets (openai-chat, http-json) and to
// webhooks, and how target replies are read. Building and reading are pure functions; only
// http_caller does I/O, and it blocks: it runs on the gateway's detached worker threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/target.hpp"

namespace vutf {

struct outbound_call {
  std::string url;  // http:// or https://, with path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // JSON
  std::chrono::seconds timeout{30};
};

struct outbound_reply {
  int status = 0;     // the HTTP status; 0 when no response came
  std::string body;   // at most 1 MiB is read
  std::string error;  // what went wrong: transport failure, open circuit ("" when answered)
  int64_t retry_after_s = -1;  // Retry-After in seconds, when the target sent one
  double seconds = 0;          // time spent on the call
  bool circuit_open = false;   // refused without calling: the circuit is open

  bool answered_2xx() const { return status >= 200 && status < 300; }
  // Worth trying again after a pause: no answer (timeout, refused), 429 or a 5xx.
  bool retryable() const {
    return !circuit_open && (status == 0 || status == 429 || status >= 500);
  }
  // Counts against the circuit: the endpoint is down or broken (429 only asks us to slow down).
  bool breaker_failure() const { return status == 0 || status >= 500; }
};

// The request that sends `prompt` to `t`: for openai-chat a chat completions request to
// endpoint_url (with "/chat/completions" appended unless the URL already ends with it); for
// http-json the request_template with {{prompt}} replaced by the JSON-escaped prompt (the first
// max_prompt_placeholders of them, so the body is at most the template plus that many prompts).
// The target's headers are added as they are.
outbound_call target_request(const target& t, const std::string& prompt);

// Target replies are hostile: JSON nested deeper than this is refused unread (re-serialising a
// value recurses once per level; 128 is far beyond any real API's envelope).
constexpr int max_reply_depth = 128;

struct reply_text {
  std::optional<std::string> text;  // the model's reply
  std::string error;                // why none could be read
};

// The reply text in a 2xx body: choices.0.message.content for openai-chat, response_path for
// http-json (a string as is, any other JSON value as its JSON text).
reply_text read_reply(const target& t, const std::string& body);

// Follows a dotted path ("choices.0.message.content"; numbers index arrays) through JSON text
// of at most 1 MiB nested at most max_reply_depth levels; the text there is at most 1 MiB too.
reply_text json_path(const std::string& json_text, const std::string& path);

// Blocking HTTP calls, keeping one keep-alive connection per origin it talks to. Not
// thread-safe: one per worker thread.
class http_caller {
 public:
  http_caller();
  ~http_caller();
  outbound_reply send(const outbound_call& call);

 private:
  struct client_slot;
  std::map<std::string, std::unique_ptr<client_slot>> clients_;  // by origin and timeout
};

// "scheme://host[:port]" of a URL ("" when it has none): what a circuit and a connection is per.
std::string url_origin(const std::string& url);

}  // namespace vutf
