// Following a scan: the progress figures, how they are shown (a bar redrawn in place on a
// terminal, plain lines otherwise) and the Server-Sent Events parser for GET /scans/{id}/events.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace vutf::cli {

struct scan_progress {
  int64_t done = 0;
  int64_t total = 0;
  int64_t errors = 0;
  int64_t findings = 0;
  bool operator==(const scan_progress& o) const {
    return done == o.done && total == o.total && errors == o.errors && findings == o.findings;
  }
};

// "[##########----------]  50%  10/20 prompts, 2 findings, 0 errors": `width` characters of bar.
std::string progress_bar(const scan_progress& p, int width = 30);

// "progress: 10/20 prompts, 2 findings, 0 errors": one line for logs and pipes.
std::string progress_line(const scan_progress& p);

// An incremental text/event-stream parser: feed it the body as it arrives, in any pieces; it
// calls `on_event(name, data)` for each complete event (name "message" when none is given;
// comments and keep-alives are skipped; multi-line data joined by "\n"). A line longer than
// `max_line` bytes makes feed() return false: the stream is not one we understand.
class sse_parser {
 public:
  using callback = std::function<void(const std::string& name, const std::string& data)>;
  explicit sse_parser(callback on_event, size_t max_line = 16u << 20)
      : on_event_(std::move(on_event)), max_line_(max_line) {}
  bool feed(const char* data, size_t size);

 private:
  void line(const std::string& l);
  callback on_event_;
  size_t max_line_;
  std::string pending_;
  std::string name_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace vutf::cli
