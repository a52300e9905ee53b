#include "cli/progress.hpp"

#include <algorithm>

namespace vutf::cli {

namespace {

std::string counts(const scan_progress& p) {
  return std::to_string(p.done) + "/" + std::to_string(p.total) + " prompts, " +
         std::to_string(p.findings) + (p.findings == 1 ? " finding, " : " findings, ") +
         std::to_string(p.errors) + (p.errors == 1 ? " error" : " errors");
}

}  // namespace

std::string progress_bar(const scan_progress& p, int width) {
  int64_t total = std::max<int64_t>(p.total, 0);
  int64_t done = std::clamp<int64_t>(p.done, 0, total);
  int64_t filled = total == 0 ? 0 : done * width / total;
  int64_t percent = total == 0 ? 0 : done * 100 / total;
  std::string pct = std::to_string(percent) + "%";
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "] " +
         std::string(4 - std::min<size_t>(pct.size(), 4), ' ') + pct + "  " + counts(p);
}

std::string progress_line(const scan_progress& p) {
  return "progress: " + counts(p);
}

bool sse_parser::feed(const char* data, size_t size) {
  pending_.append(data, size);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string l = pending_.substr(start, nl - start);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    line(l);
  }
  pending_.erase(0, start);
  return pending_.size() <= max_line_;
}

void sse_parser::line(const std::string& l) {
  if (l.empty()) {
    if (has_data_) on_event_(name_.empty() ? "message" : name_, data_);
    name_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (l[0] == ':') return;
  size_t colon = l.find(':');
  std::string field = l.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : l.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  if (field == "event") {
    name_ = value;
  } else if (field == "data") {
    data_ += (has_data_ ? "\n" : "") + value;
    has_data_ = true;
  }
}

}  // namespace vutf::cli
