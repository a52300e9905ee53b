#include "http/routes/scan_events.hpp"

#include <algorithm>
#include <memory>
#include <thread>

#include "config/json_writer.hpp"
#include "domain/scan_json.hpp"
#include "http/routes/routes.hpp"

namespace vutf::http {

std::string sse_event(const std::string& name, const std::string& data) {
  std::string out = "event: " + name + "\n";
  size_t start = 0;
  while (true) {
    size_t end = data.find('\n', start);
    out += "data: " + data.substr(start, end == std::string::npos ? end : end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out + "\n";
}

std::string scan_event_feed::next(const scan& s) {
  if (ended_) return "";
  json_writer w;
  w.begin_object();
  w.key("done").value(s.done);
  w.key("total").value(s.total);
  w.key("errors").value(s.errors);
  w.key("findings").value(s.findings.total());
  w.end_object();
  std::string progress = w.take();
  std::string out;
  if (progress != last_progress_) out = sse_event("progress", progress);
  last_progress_ = std::move(progress);
  if (s.finished()) {
    out += sse_event("end", scan_json(s));
    ended_ = true;
  }
  return out;
}

namespace {

using std::chrono::steady_clock;

// How often an open stream looks at its scan: the contract's "at most 10 events a second".
constexpr auto look_every = std::chrono::milliseconds(100);
// A stream with nothing to say sends a comment this often, so idle proxies keep it open.
constexpr auto keep_alive_every = std::chrono::seconds(15);

}  // namespace

api_response scan_events(const request_context& c) {
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  auto id = path_id(c, "Scan");
  if (!id.ok()) return problem(*id.error, c);
  // The scan now, so a missing one is a proper 404 rather than a stream that ends at once.
  auto first = c.env.svc.ask(scan_get{who.value, id.value, c.deadline});
  if (!first.ok()) return problem(*first.error, c);

  // Each open stream holds a frontend thread: bounded at half of MAX_ACTIVE_REQUESTS so that
  // watchers can never take every thread from requests.
  auto open = c.env.event_streams;
  int64_t bound = std::min(c.env.cfg.max_event_streams, c.env.cfg.max_active_requests / 2);
  if (open->fetch_add(1) >= bound) {
    open->fetch_sub(1);
    return problem(failure{errc::too_many_connections,
                           "Too many scan event streams are open (MAX_EVENT_STREAMS); poll GET "
                           "/scans/{id} instead, or try again later.",
                           {}},
                   c);
  }
  // Released when the last copy of the stream goes, however the response ends.
  std::shared_ptr<void> slot(nullptr, [open](void*) { open->fetch_sub(1); });

  auto feed = std::make_shared<scan_event_feed>();
  auto first_events = std::make_shared<std::string>(feed->next(first.value));
  auto last_sent = std::make_shared<steady_clock::time_point>(steady_clock::now());
  service& svc = c.env.svc;
  auto draining = c.env.draining;
  auto timeout = std::chrono::seconds(c.env.cfg.request_timeout);
  principal asker = who.value;
  std::string scan_id = id.value;
  api_response r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  r.stream = [slot, feed, first_events, last_sent, &svc, draining, timeout, asker,
              scan_id](std::string& chunk) -> stream_step {
    if (!first_events->empty()) {
      chunk = std::move(*first_events);
      first_events->clear();
      return feed->ended() ? stream_step::last : stream_step::more;
    }
    // The connection's own thread waits here (never a scheduler thread), one look a tick.
    while (!draining->load()) {
      std::this_thread::sleep_for(look_every);
      auto now = svc.ask(scan_get{asker, scan_id, steady_clock::now() + timeout});
      if (!now.ok()) return stream_step::failed;
      chunk = feed->next(now.value);
      if (chunk.empty() && steady_clock::now() - *last_sent >= keep_alive_every)
        chunk = sse_keep_alive;
      if (!chunk.empty()) {
        *last_sent = steady_clock::now();
        return feed->ended() ? stream_step::last : stream_step::more;
      }
    }
    return stream_step::last;  // the server stops: the client reconnects to another instance
  };
  return r;
}

}  // namespace vutf::http
