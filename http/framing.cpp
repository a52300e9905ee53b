#include "http/framing.hpp"

#include <strings.h>

#include <algorithm>

namespace vutf::http {
namespace {

constexpr size_t max_line = 8192;       // a chunk-size line
constexpr size_t max_trailer = 8192;    // the whole trailer section
constexpr size_t max_size_digits = 15;  // chunk sizes below 2^60: no overflow

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_tchar(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Control characters other than tab (obs-text, bytes >= 0x80, is allowed).
bool is_ctl(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Why one header (or trailer) line without its CRLF is malformed, or nullptr.
const char* field_problem(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return "A header line has no field name and colon.";
  for (size_t i = 0; i < colon; ++i)
    if (!is_tchar(static_cast<unsigned char>(line[i])))
      return "A header name is not a token (whitespace before the colon or line folding).";
  for (size_t i = colon + 1; i < line.size(); ++i)
    if (is_ctl(static_cast<unsigned char>(line[i])))
      return "A header value holds a control character.";
  return nullptr;
}

// Reads the body that `f` frames from `src`, not past `limit` bytes. `whole` is set once every
// byte of it was read, so the next request starts right after it.
body_read read_framed(const byte_source& src, const body_framing& f, size_t limit, bool& whole) {
  body_read r;
  auto fail = [&r](errc code, const char* detail) {
    r.error = failure{code, detail, {}};
    r.body.clear();
    return r;
  };
  const char* cut_short = "The body ended early or did not arrive within REQUEST_TIMEOUT.";
  if (f.type == body_framing::kind::length) {
    if (f.length > limit) return fail(errc::payload_too_large, "");  // nothing of it is read
    r.body.reserve(f.length);
    while (r.body.size() < f.length) {
      bool more = src([&](std::string_view in) {
        size_t n = std::min<size_t>(in.size(), f.length - r.body.size());
        r.body.append(in.data(), n);
        return n;
      });
      if (!more) return fail(errc::bad_request, cut_short);
    }
  } else if (f.type == body_framing::kind::chunked) {
    chunked_decoder decoder;
    while (decoder.status() == chunked_decoder::state::reading) {
      if (!src([&](std::string_view in) { return decoder.feed(in, r.body); }))
        return fail(errc::bad_request, cut_short);
      // Checked as the data arrives: at most one buffer past the limit is ever held.
      if (r.body.size() > limit) return fail(errc::payload_too_large, "");
    }
    if (decoder.status() == chunked_decoder::state::malformed)
      return fail(errc::bad_request, "The chunked body is malformed.");
  }
  whole = true;
  return r;
}

}  // namespace

request_head parse_head(std::string_view head) {
  request_head h;
  size_t pos = 0;
  bool request_line = true;
  while (h.problem.empty()) {
    size_t lf = head.find('\n', pos);
    if (lf == std::string_view::npos) {
      h.problem = "The request head does not end with an empty line.";
      break;
    }
    std::string_view line = head.substr(pos, lf - pos);
    pos = lf + 1;
    if (line.empty() || line.back() != '\r') {
      h.problem = "A line of the request head ends in a bare LF.";
      break;
    }
    line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      h.problem = "The request head holds a bare CR.";
    } else if (line.empty()) {
      if (request_line) h.problem = "The request line is empty.";
      break;
    } else if (request_line) {
      request_line = false;  // method, target and version were checked by cpp-httplib
    } else if (const char* problem = field_problem(line)) {
      h.problem = problem;
    } else {
      size_t colon = line.find(':');
      h.headers.emplace_back(line.substr(0, colon), trim_ows(line.substr(colon + 1)));
    }
  }
  if (!h.problem.empty()) return h;
  h.framing = framing_of(h.headers);
  h.problem = h.framing.problem;
  return h;
}

body_framing framing_of(const header_list& headers) {
  body_framing f;
  std::string_view encoding, length;
  int encodings = 0, lengths = 0;
  for (const auto& [name, value] : headers) {
    if (iequals(name, "Transfer-Encoding")) {
      ++encodings;
      encoding = value;
    } else if (iequals(name, "Content-Length")) {
      ++lengths;
      length = value;
    }
  }
  if (encodings > 0 && lengths > 0) {
    f.problem = "Content-Length and Transfer-Encoding together make the body's length ambiguous.";
  } else if (encodings > 1 || lengths > 1) {
    f.problem = encodings > 1 ? "Transfer-Encoding is repeated." : "Content-Length is repeated.";
  } else if (encodings == 1) {
    if (iequals(trim_ows(encoding), "chunked")) {
      f.type = body_framing::kind::chunked;
    } else {
      f.problem = "The only transfer coding accepted is chunked, alone.";
    }
  } else if (lengths == 1) {
    std::string_view digits = trim_ows(length);
    bool ok =
        !digits.empty() && digits.size() <= 18 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) {
      f.type = body_framing::kind::length;
      for (char c : digits) f.length = f.length * 10 + static_cast<uint64_t>(c - '0');
    } else {
      f.problem = "Content-Length must be a decimal number of bytes.";
    }
  }
  return f;
}

size_t chunked_decoder::feed(std::string_view in, std::string& out) {
  size_t taken = 0;
  while (taken < in.size() && state_ == state::reading) {
    if (part_ == part::data) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - taken));
      out.append(in.data() + taken, n);
      taken += n;
      remaining_ -= n;
      if (remaining_ == 0) part_ = part::data_end;
      continue;
    }
    char c = in[taken++];
    line_ += c;
    size_t limit = part_ == part::data_end ? 2 : max_line;
    if (c == '\n') {
      if (!end_of_line()) state_ = state::malformed;
    } else if (line_.size() >= limit) {
      state_ = state::malformed;
    }
  }
  return taken;
}

bool chunked_decoder::end_of_line() {
  if (line_.size() < 2 || line_[line_.size() - 2] != '\r') return false;  // a bare LF
  std::string_view line(line_.data(), line_.size() - 2);
  if (line.find('\r') != std::string_view::npos) return false;  // a bare CR
  switch (part_) {
    case part::size_line: {
      size_t digits = 0;
      uint64_t size = 0;
      while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits]))) {
        char d = static_cast<char>(std::tolower(static_cast<unsigned char>(line[digits])));
        size = size * 16 + static_cast<uint64_t>(d <= '9' ? d - '0' : d - 'a' + 10);
        ++digits;
      }
      if (digits == 0 || digits > max_size_digits) return false;
      // Chunk extensions (";name=value") are allowed after optional whitespace and ignored.
      std::string_view rest = trim_ows(line.substr(digits));
      if (!rest.empty() && rest.front() != ';') return false;
      if (std::any_of(rest.begin(), rest.end(), [](char c) { return is_ctl(c); })) return false;
      remaining_ = size;
      part_ = size == 0 ? part::trailer : part::data;
      break;
    }
    case part::data_end:
      if (!line.empty()) return false;
      part_ = part::size_line;
      break;
    case part::trailer:
      if (line.empty()) {
        state_ = state::done;
        break;
      }
      trailer_bytes_ += line_.size();
      if (trailer_bytes_ > max_trailer || field_problem(line)) return false;
      break;
    case part::data:
      return false;  // data is not collected in lines
  }
  line_.clear();
  return true;
}

api_response answer_framed(const api& app, api_request ar, std::string_view raw_head,
                           const byte_source& body) {
  request_head head;
  if (raw_head.size() > max_head_bytes) {
    head.problem = "The request head is larger than " + std::to_string(max_head_bytes) + " bytes.";
  } else {
    head = parse_head(raw_head);
  }
  if (!head.problem.empty()) return app.reject(400, ar, head.problem);
  ar.headers = std::move(head.headers);  // as sent, not percent-decoded
  bool whole = !head.framing.has_body();
  ar.read_body = [&](size_t limit) { return read_framed(body, head.framing, limit, whole); };
  api_response r = app.handle(std::move(ar));
  if (!whole) r.close_connection = true;
  return r;
}

}  // namespace vutf::http
