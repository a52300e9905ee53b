// A target's reply as the engine reads it: the first line of the input is an http-json target's
// response_path, the rest the reply body. json_path/read_reply and then every shipped probe
// set's detector on the text read must survive anything a hostile target sends.
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/probes.hpp"
#include "outbound/target_client.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string path = input.substr(0, newline);
  std::string body = newline == std::string::npos ? "" : input.substr(newline + 1);

  target chat;
  chat.kind = "openai-chat";
  target json_target;
  json_target.kind = "http-json";
  json_target.response_path = path;
  for (const target* t : {&chat, &json_target}) {
    reply_text reply = read_reply(*t, body);
    if (!reply.text) continue;
    for (const auto& set : probe_sets()) (void)detect(set.detector, *reply.text);
  }
  (void)json_path(body, path);
  return 0;
}
