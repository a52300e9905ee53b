// Outbound HTTP: the requests the engine sends to targets (openai-chat, http-json) and to
// webhooks, and how target replies are read. Building and reading are pure functions; the
// transport that sends them is http_caller (outbound/http_caller.hpp).
#pragma once

#include <optional>
#include <string>

#include "domain/crescendo.hpp"
#include "domain/target.hpp"
#include "outbound/http_caller.hpp"

namespace vutf {

// The request that sends `prompt` to `t`: for openai-chat a chat completions request to
// endpoint_url (with "/chat/completions" appended unless the URL already ends with it), the
// system_prompt first as a system message when there is one; for http-json the request_template
// with {{prompt}} replaced by the JSON-escaped prompt and {{system_prompt}} by the JSON-escaped
// system prompt ("" without one): the first max_prompt_placeholders of them, so the body is at
// most the template plus that many prompts.
// The target's headers are added as they are.
outbound_call target_request(const target& t, const std::string& prompt);
// The request that sends a conversation (a multi-turn attack) to `t`: for openai-chat every
// message after the system prompt; for http-json {{prompt}} is the last user message and a
// "{{messages}}" string value becomes the conversation as a JSON array of {"role", "content"}
// (the system prompt first when there is one). A single prompt is a conversation of one.
outbound_call target_request(const target& t, const conversation& messages);

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

// Follows a reply path (domain/json_path.hpp: "$.choices[0].message.content", or the dotted
// "choices.0.message.content") through JSON text of at most 1 MiB nested at most
// max_reply_depth levels; the text there is at most 1 MiB too.
reply_text json_path(const std::string& json_text, const std::string& path);

}  // namespace vutf
