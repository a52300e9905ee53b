#include "outbound/target_client.hpp"

#include <nlohmann/json.hpp>

#include "domain/json_path.hpp"

namespace vutf {

using nlohmann::json;

namespace {

constexpr const char* chat_suffix = "/chat/completions";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void add_target_headers(const target& t, outbound_call& call) {
  auto headers = json::parse(t.headers_json, nullptr, false);
  if (!headers.is_object()) return;
  for (const auto& [name, v] : headers.items())
    if (v.is_string()) call.headers.emplace_back(name, v.get<std::string>());
}

// The chat messages of `messages` for `t`: its system prompt first when it has one.
json chat(const target& t, const conversation& messages) {
  json out = json::array();
  if (t.system_prompt) out.push_back({{"role", "system"}, {"content", *t.system_prompt}});
  for (const auto& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

}  // namespace

outbound_call target_request(const target& t, const std::string& prompt) {
  return target_request(t, conversation{{"user", prompt}});
}

outbound_call target_request(const target& t, const conversation& messages) {
  outbound_call call;
  call.timeout = std::chrono::seconds(t.timeout_seconds);
  // Strings the service holds are valid UTF-8, but a throw here would take the actor with it.
  auto text = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  if (t.kind == "openai-chat") {
    std::string base = t.endpoint_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    call.url = ends_with(base, chat_suffix) ? base : base + chat_suffix;
    call.body = text(json{{"model", t.model.value_or("default")}, {"messages", chat(t, messages)}});
  } else {
    call.url = t.endpoint_url;
    // The template is JSON text our own parser wrote, so every placeholder sits inside one of
    // its strings: the escaped text without its quotes keeps the document valid whatever the
    // prompt holds.
    auto escaped = [&](const std::string& s) {
      std::string e = text(json(s));
      return e.substr(1, e.size() - 2);
    };
    struct fill {
      std::string placeholder;
      std::string value;
    };
    std::string prompt;  // the last user message
    for (const auto& m : messages)
      if (m.role == "user") prompt = m.content;
    // Validation allows {{messages}} only as a whole string value: with its quotes it is
    // replaced by the array.
    const std::string whole_messages = std::string("\"") + messages_placeholder + "\"";
    const bool with_messages =
        t.request_template_json &&
        t.request_template_json->find(messages_placeholder) != std::string::npos;
    const fill fills[] = {{prompt_placeholder, escaped(prompt)},
                          {system_prompt_placeholder, escaped(t.system_prompt.value_or(""))},
                          {whole_messages, with_messages ? text(chat(t, messages)) : ""}};
    // Built in one pass (replacing in place moved the rest of the body at every placeholder),
    // and bounded: at most max_prompt_placeholders are filled, as validation allows no more.
    const std::string tmpl = t.request_template_json.value_or("{}");
    size_t from = 0;
    for (size_t n = 0; n < max_prompt_placeholders; ++n) {
      size_t at = std::string::npos;
      const fill* next = nullptr;
      for (const auto& f : fills)
        if (size_t found = tmpl.find(f.placeholder, from); found < at) at = found, next = &f;
      if (!next) break;
      call.body.append(tmpl, from, at - from).append(next->value);
      from = at + next->placeholder.size();
    }
    call.body.append(tmpl, from, std::string::npos);
  }
  add_target_headers(t, call);
  return call;
}

reply_text json_path(const std::string& json_text, const std::string& path) {
  if (json_text.size() > max_reply_bytes) return {std::nullopt, "the reply is larger than 1 MiB"};
  // The parser itself is iterative, but dump() recurses once per level: a container nested
  // deeper than max_reply_depth is discarded as it is read (no deep tree is ever built) and
  // the reply refused.
  bool too_deep = false;
  auto doc = json::parse(
      json_text,
      [&](int depth, json::parse_event_t event, json&) {
        bool opens =
            event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
        if (opens && depth >= max_reply_depth) too_deep = true;
        return !too_deep;
      },
      false);
  if (too_deep)
    return {std::nullopt,
            "the reply is nested deeper than " + std::to_string(max_reply_depth) + " levels"};
  if (doc.is_discarded()) return {std::nullopt, "the reply is not JSON"};
  auto missing = [&] { return reply_text{std::nullopt, "the reply has no text at " + path}; };
  auto parsed = parse_json_path(path);
  if (!parsed.steps) return {std::nullopt, "the response_path " + parsed.error};
  const json* at = follow_json_path(doc, *parsed.steps);
  if (!at) return missing();
  if (at->is_string()) return {at->get<std::string>(), ""};
  if (at->is_null()) return missing();
  // Depth is bounded above; a number can grow when written back ("1E2" is "100.0").
  std::string value = at->dump(-1, ' ', false, json::error_handler_t::replace);
  if (value.size() > max_reply_bytes)
    return {std::nullopt, "the value at " + path + " is larger than 1 MiB"};
  return {std::move(value), ""};
}

reply_text read_reply(const target& t, const std::string& body) {
  std::string path =
      t.kind == "openai-chat" ? "choices.0.message.content" : t.response_path.value_or("");
  return json_path(body, path);
}

}  // namespace vutf
