// Multi-turn attacks (probe sets of mode "crescendo"): an attacker target writes each next
// message toward the set's goal from the conversation so far; the target under test receives the
// whole conversation every turn. Pure parts: the attacker's prompt and how its reply becomes the
// next message. Attacker replies are model output, as hostile as any target's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vutf {

// One message of a conversation with a target: role "user" (what the attacker wrote, through
// the scan's converter) or "assistant" (the target's reply).
struct chat_message {
  std::string role;
  std::string content;
};
using conversation = std::vector<chat_message>;

// Bounds of a crescendo set.
constexpr int64_t min_crescendo_turns = 2;
constexpr int64_t max_crescendo_turns = 10;
constexpr int64_t default_crescendo_turns = 5;
constexpr size_t max_goal_chars = 4000;
// The most of each target reply kept in the transcript, resent in later turns and shown to the
// attacker (the detector sees the whole reply): ten turns stay a few hundred KiB.
constexpr size_t max_transcript_reply_bytes = size_t{8} * 1024;

// The prompt that asks the attacker for the message of `turn` (1-based) of at most `max_turns`
// toward `goal`, given the conversation so far. Goal and conversation are fenced as data
// (fence_line, domain/judge.hpp). docs/red-teaming.md quotes it.
std::string attacker_prompt(const std::string& goal, const conversation& so_far, int64_t turn,
                            int64_t max_turns);

struct next_message {
  std::string text;   // the message to send ("" when there is none)
  std::string error;  // why the attacker's reply is not one
};

// The message in an attacker's reply: trimmed of surrounding white space and of one pair of
// quotes around it all, made valid UTF-8 without NUL (config/utf8.hpp) and cut to `max_bytes`.
// Nothing left is no message.
next_message read_next_message(const std::string& attacker_reply, size_t max_bytes);

}  // namespace vutf
