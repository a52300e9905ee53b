#include "domain/encoding.hpp"

#include <cstdint>
#include <map>
#include <vector>

#include "domain/audit.hpp"
#include "domain/scan.hpp"

namespace vutf {
namespace {

// Strings are an 8-byte length and the bytes, optional strings a presence byte first, integers
// 8 bytes little-endian, lists and maps a count first.
constexpr char target_format = 'T';
constexpr char page_format = 'P';
constexpr char stats_format = 'S';
constexpr char audit_stats_format = 'A';
constexpr char principal_format = 'U';
constexpr char coverage_format = 'C';
constexpr int64_t max_items = 100000;  // a count beyond this is a corrupt entry

class writer {
 public:
  void byte(char c) { out.push_back(c); }
  void integer(int64_t v) {
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
  void text(const std::string& s) {
    integer(static_cast<int64_t>(s.size()));
    out += s;
  }
  void optional_text(const std::optional<std::string>& s) {
    byte(s ? 1 : 0);
    if (s) text(*s);
  }
  void list(const std::vector<std::string>& v) {
    integer(static_cast<int64_t>(v.size()));
    for (const auto& s : v) text(s);
  }
  void map(const std::map<std::string, int64_t>& m) {
    integer(static_cast<int64_t>(m.size()));
    for (const auto& [k, v] : m) {
      text(k);
      integer(v);
    }
  }
  std::string out;
};

class reader {
 public:
  explicit reader(const std::string& s) : s_(s) {}
  bool byte(char& c) {
    if (pos_ >= s_.size()) return false;
    c = s_[pos_++];
    return true;
  }
  bool integer(int64_t& v) {
    if (s_.size() - pos_ < 8) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
      u |= static_cast<uint64_t>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i);
    pos_ += 8;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool text(std::string& out) {
    int64_t n = 0;
    if (!integer(n) || n < 0 || static_cast<uint64_t>(n) > s_.size() - pos_) return false;
    out.assign(s_, pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool optional_text(std::optional<std::string>& out) {
    char present = 0;
    if (!byte(present)) return false;
    if (!present) {
      out.reset();
      return true;
    }
    out.emplace();
    return text(*out);
  }
  bool list(std::vector<std::string>& v) {
    int64_t n = 0;
    if (!count(n)) return false;
    v.assign(static_cast<size_t>(n), std::string{});
    for (auto& s : v)
      if (!text(s)) return false;
    return true;
  }
  bool map(std::map<std::string, int64_t>& m) {
    int64_t n = 0;
    if (!count(n)) return false;
    m.clear();
    for (int64_t i = 0; i < n; ++i) {
      std::string k;
      int64_t v = 0;
      if (!text(k) || !integer(v)) return false;
      m[k] = v;
    }
    return true;
  }
  bool count(int64_t& n) { return integer(n) && n >= 0 && n <= max_items; }
  bool done() const { return pos_ == s_.size(); }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

void write_target(writer& w, const target& t) {
  w.text(t.id);
  w.text(t.owner_id);
  w.text(t.name);
  w.optional_text(t.description);
  w.text(t.kind);
  w.text(t.endpoint_url);
  w.optional_text(t.model);
  w.text(t.headers_json);
  w.optional_text(t.request_template_json);
  w.optional_text(t.response_path);
  w.integer(t.timeout_seconds);
  w.integer(t.max_concurrency);
  w.integer(t.version);
  w.integer(t.created_at_ms);
  w.integer(t.updated_at_ms);
  w.optional_text(t.system_prompt);
  w.integer(t.rate_limit_rpm.value_or(0));  // 0: unlimited (the rules allow no 0)
}

bool rate_limit(reader& r, target& t) {
  int64_t rpm = 0;
  if (!r.integer(rpm)) return false;
  t.rate_limit_rpm = rpm > 0 ? std::optional<int64_t>(rpm) : std::nullopt;
  return true;
}

bool read_target(reader& r, target& t) {
  return r.text(t.id) && r.text(t.owner_id) && r.text(t.name) && r.optional_text(t.description) &&
         r.text(t.kind) && r.text(t.endpoint_url) && r.optional_text(t.model) &&
         r.text(t.headers_json) && r.optional_text(t.request_template_json) &&
         r.optional_text(t.response_path) && r.integer(t.timeout_seconds) &&
         r.integer(t.max_concurrency) && r.integer(t.version) && r.integer(t.created_at_ms) &&
         r.integer(t.updated_at_ms) && r.optional_text(t.system_prompt) && rate_limit(r, t);
}

// Reads one value of `format`: the format byte, the fields, and nothing after them.
template <class Read>
bool read_all(const std::string& text, char format, Read read) {
  reader r(text);
  char f = 0;
  return r.byte(f) && f == format && read(r) && r.done();
}

}  // namespace

std::string encode(const target& t) {
  writer w;
  w.byte(target_format);
  write_target(w, t);
  return std::move(w.out);
}

bool decode(const std::string& text, target& out) {
  return read_all(text, target_format, [&](reader& r) { return read_target(r, out); });
}

std::string encode(const target_page& p) {
  writer w;
  w.byte(page_format);
  w.integer(p.page);
  w.integer(p.per_page);
  w.integer(p.total);
  w.integer(static_cast<int64_t>(p.items.size()));
  for (const auto& t : p.items) write_target(w, t);
  return std::move(w.out);
}

bool decode(const std::string& text, target_page& out) {
  return read_all(text, page_format, [&](reader& r) {
    int64_t count = 0;
    if (!r.integer(out.page) || !r.integer(out.per_page) || !r.integer(out.total) ||
        !r.count(count))
      return false;
    out.items.assign(static_cast<size_t>(count), target{});
    for (auto& t : out.items)
      if (!read_target(r, t)) return false;
    return true;
  });
}

std::string encode(const stats_overview& s) {
  writer w;
  w.byte(stats_format);
  w.integer(s.targets);
  w.map(s.scans_by_status);
  const auto& f = s.findings_by_severity;
  for (int64_t n : {f.low, f.medium, f.high, f.critical}) w.integer(n);
  w.map(s.findings_by_probe);
  return std::move(w.out);
}

bool decode(const std::string& text, stats_overview& out) {
  return read_all(text, stats_format, [&](reader& r) {
    auto& f = out.findings_by_severity;
    return r.integer(out.targets) && r.map(out.scans_by_status) && r.integer(f.low) &&
           r.integer(f.medium) && r.integer(f.high) && r.integer(f.critical) &&
           r.map(out.findings_by_probe);
  });
}

std::string encode(const coverage_report& c) {
  writer w;
  w.byte(coverage_format);
  for (const auto* list : {&c.owasp_llm_2025, &c.mitre_atlas}) {
    w.integer(static_cast<int64_t>(list->size()));
    for (const auto& e : *list) {
      w.text(e.id);
      w.text(e.name);
      for (int64_t n : {e.probe_sets, e.scans, e.findings}) w.integer(n);
    }
  }
  return std::move(w.out);
}

bool decode(const std::string& text, coverage_report& out) {
  return read_all(text, coverage_format, [&](reader& r) {
    for (auto* list : {&out.owasp_llm_2025, &out.mitre_atlas}) {
      int64_t count = 0;
      if (!r.count(count)) return false;
      list->assign(static_cast<size_t>(count), coverage_entry{});
      for (auto& e : *list)
        if (!r.text(e.id) || !r.text(e.name) || !r.integer(e.probe_sets) || !r.integer(e.scans) ||
            !r.integer(e.findings))
          return false;
    }
    return true;
  });
}

std::string encode(const audit_stats& s) {
  writer w;
  w.byte(audit_stats_format);
  w.integer(s.total);
  w.map(s.by_action);
  w.map(s.by_outcome);
  w.map(s.by_day);
  return std::move(w.out);
}

bool decode(const std::string& text, audit_stats& out) {
  return read_all(text, audit_stats_format, [&](reader& r) {
    return r.integer(out.total) && r.map(out.by_action) && r.map(out.by_outcome) &&
           r.map(out.by_day);
  });
}

std::string encode(const std::optional<principal>& p) {
  writer w;
  w.byte(principal_format);
  w.byte(p ? 1 : 0);
  if (p) {
    w.text(p->kind);
    w.text(p->user_id);
    w.list(p->roles);
    w.list(p->scopes);
    w.text(p->key_id);
    w.text(p->session_id);
  }
  return std::move(w.out);
}

bool decode(const std::string& text, std::optional<principal>& out) {
  return read_all(text, principal_format, [&](reader& r) {
    char present = 0;
    if (!r.byte(present)) return false;
    if (!present) {
      out.reset();
      return true;
    }
    principal& p = out.emplace();
    return r.text(p.kind) && r.text(p.user_id) && r.list(p.roles) && r.list(p.scopes) &&
           r.text(p.key_id) && r.text(p.session_id);
  });
}

}  // namespace vutf
