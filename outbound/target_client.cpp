#include "outbound/target_client.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace vutf {

using nlohmann::json;

namespace {

constexpr size_t max_reply_bytes = 1 << 20;
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

// "/path?query" of a URL ("/" when it has none).
std::string url_path(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string transport_error(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "could not connect";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting";
    case httplib::Error::Read:
      return "no complete response in time (read failed or timed out)";
    case httplib::Error::Write:
      return "could not send the request";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate could not be verified";
    case httplib::Error::Canceled:
      return "the response was larger than 1 MiB";
    default:
      return "transport error (" + httplib::to_string(e) + ")";
  }
}

}  // namespace

outbound_call target_request(const target& t, const std::string& prompt) {
  outbound_call call;
  call.timeout = std::chrono::seconds(t.timeout_seconds);
  // Strings the service holds are valid UTF-8, but a throw here would take the actor with it.
  auto text = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  if (t.kind == "openai-chat") {
    std::string base = t.endpoint_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    call.url = ends_with(base, chat_suffix) ? base : base + chat_suffix;
    call.body = text(json{{"model", t.model.value_or("default")},
                          {"messages", json::array({{{"role", "user"}, {"content", prompt}}})}});
  } else {
    call.url = t.endpoint_url;
    // The placeholder sits inside a JSON string of the template: the escaped prompt without
    // its quotes keeps the document valid whatever the prompt holds.
    std::string escaped = text(json(prompt));
    escaped = escaped.substr(1, escaped.size() - 2);
    // Built in one pass (replacing in place moved the rest of the body at every placeholder),
    // and bounded: at most max_prompt_placeholders are filled, as validation allows no more.
    const std::string tmpl = t.request_template_json.value_or("{}");
    const std::string placeholder = "{{prompt}}";
    size_t from = 0;
    size_t at = tmpl.find(placeholder);
    for (size_t n = 0; at != std::string::npos && n < max_prompt_placeholders; ++n) {
      call.body.append(tmpl, from, at - from).append(escaped);
      from = at + placeholder.size();
      at = tmpl.find(placeholder, from);
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
  const json* at = &doc;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (at->is_object()) {
      auto it = at->find(part);
      if (it == at->end()) return missing();
      at = &*it;
    } else if (at->is_array() && !part.empty() &&
               part.find_first_not_of("0123456789") == std::string::npos && part.size() < 10) {
      size_t index = std::stoul(part);
      if (index >= at->size()) return missing();
      at = &(*at)[index];
    } else {
      return missing();
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
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

std::string url_origin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

struct http_caller::client_slot {
  explicit client_slot(const std::string& origin) : client(origin) {}
  httplib::Client client;
};

http_caller::http_caller() = default;
http_caller::~http_caller() = default;

outbound_reply http_caller::send(const outbound_call& call) {
  auto start = std::chrono::steady_clock::now();
  std::string origin = url_origin(call.url);
  std::string key = origin + "|" + std::to_string(call.timeout.count());
  if (clients_.size() >= 16 && !clients_.count(key)) clients_.clear();  // few origins per worker
  auto& slot = clients_[key];
  if (!slot) {
    slot = std::make_unique<client_slot>(origin);
    auto& c = slot->client;
    c.set_connection_timeout(std::min<time_t>(call.timeout.count(), 10), 0);
    c.set_read_timeout(call.timeout.count(), 0);
    c.set_write_timeout(call.timeout.count(), 0);
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);
    c.set_follow_location(false);
  }
  httplib::Headers headers;
  for (const auto& [name, v] : call.headers) headers.emplace(name, v);
  headers.emplace("User-Agent", "violentutf-api");
  headers.emplace("Accept", "application/json");
  outbound_reply out;
  std::string body;
  bool too_large = false;
  httplib::Request req;
  req.method = "POST";
  req.path = url_path(call.url);
  req.headers = std::move(headers);
  req.body = call.body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (body.size() + n > max_reply_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  };
  httplib::Result res = slot->client.send(req);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!res) {
    out.error =
        too_large ? transport_error(httplib::Error::Canceled) : transport_error(res.error());
    clients_.erase(key);  // the connection is in an unknown state: open a new one next time
    return out;
  }
  out.status = res->status;
  out.body = std::move(body);
  if (res->has_header("Retry-After")) {
    std::string v = res->get_header_value("Retry-After");
    if (!v.empty() && v.size() < 6 && v.find_first_not_of("0123456789") == std::string::npos)
      out.retry_after_s = std::stoll(v);
  }
  if (!out.answered_2xx()) out.error = "the endpoint answered HTTP " + std::to_string(out.status);
  return out;
}

}  // namespace vutf
