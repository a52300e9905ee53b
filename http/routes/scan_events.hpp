// Live progress of a scan as Server-Sent Events (GET /scans/{id}/events): the pure part, what
// to send after each look at the scan, apart from the socket and the clock.
#pragma once

#include <string>

#include "domain/scan.hpp"

namespace vutf::http {

// One event in the text/event-stream framing: its name and its data, one `data:` line per line.
std::string sse_event(const std::string& name, const std::string& data);

// A comment line: proxies and clients see traffic on a stream that has nothing to say.
inline const std::string sse_keep_alive = ": keep-alive\n\n";

// The events of one scan's stream: `progress` {"done","total","errors","findings"} whenever
// those figures change, then `end` with the whole scan (as GET /scans/{id} shows it) once the
// scan finished, after which the stream ends.
class scan_event_feed {
 public:
  // The events to send after looking at `s`: "" when nothing changed since the last look.
  std::string next(const scan& s);
  bool ended() const { return ended_; }

 private:
  std::string last_progress_;
  bool ended_ = false;
};

}  // namespace vutf::http
