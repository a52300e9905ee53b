// Request framing (RFC 9112): where a request's head ends and how long its body is. The server
// reads every body itself with these, so one strict reading of the bytes decides where the next
// request on a connection starts, and every request that another HTTP implementation (a proxy in
// front of us) could frame differently is refused with 400 and the connection closed: the
// defence against request smuggling. Pure functions, testable and fuzzable without a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "http/api.hpp"

namespace vutf::http {

// How a request's body is delimited.
struct body_framing {
  enum class kind { none, length, chunked };
  kind type = kind::none;
  uint64_t length = 0;  // for kind::length
  std::string problem;  // why the request is refused; "" when the framing is unambiguous

  bool has_body() const { return type == kind::chunked || length > 0; }
};

// The framing the headers declare: `Transfer-Encoding: chunked` (that coding alone, in one
// header, without Content-Length), one Content-Length of at most 18 digits, or no body. Anything
// else (both headers, a repeated header, another transfer coding, a malformed length) is a
// problem.
body_framing framing_of(const header_list& headers);

// A request head as received, read strictly.
struct request_head {
  std::string problem;   // why the request is refused (400, connection closed); "" when valid
  header_list headers;   // every header field verbatim: names as sent, values without OWS
  body_framing framing;  // from those headers (its problem is copied into `problem`)
};

// Reads a raw request head (request line, header lines and the empty line that ends them):
// every line must end in CRLF with no bare CR or LF anywhere, header names must be tokens
// directly followed by ':' (no obsolete line folding, no space before the colon) and values may
// hold no control character but tab. Bytes after the empty line are not looked at. The header
// values are those of the wire, not the percent-decoded ones cpp-httplib 0.11 hands out.
request_head parse_head(std::string_view head);

// Decodes a chunked body as its bytes arrive, strictly: chunk sizes are 1-15 hex digits, chunk
// extensions are allowed and ignored, every line ends in CRLF, trailer fields are checked like
// header lines and ignored, and a size line or the trailer section may not exceed 8 KiB.
class chunked_decoder {
 public:
  enum class state { reading, done, malformed };

  // Decodes from the front of `in`, appending chunk data to `out`; returns how many bytes of
  // `in` it took. Once the body is done, the bytes after it belong to the next request and are
  // not taken.
  size_t feed(std::string_view in, std::string& out);
  state status() const { return state_; }

 private:
  enum class part { size_line, data, data_end, trailer };
  bool end_of_line();  // a whole line is in line_: act on it

  state state_ = state::reading;
  part part_ = part::size_line;
  std::string line_;        // the line being collected (size line, trailer field or data's CRLF)
  uint64_t remaining_ = 0;  // data bytes left in the current chunk
  size_t trailer_bytes_ = 0;
};

// Longer request heads are refused (400); cpp-httplib bounds each line, not their number.
constexpr size_t max_head_bytes = 65536;

// Where a request's body bytes come from: shows `take` the bytes that have arrived (waiting for
// some when none are buffered) and consumes as many as `take` returns; false when no more
// arrive (the deadline passed, the peer closed).
using byte_source = std::function<bool(const std::function<size_t(std::string_view)>& take)>;

// Answers one request as the frontend received it: `ar` as cpp-httplib parsed it, `raw_head`
// the head's bytes as they came over the wire (up to max_head_bytes + 1 of them) and `body`
// where the bytes after the head come from. A head parse_head refuses is answered 400; the body
// is framed by framing_of and read only if the route asks for it; a body left unread (or read in
// part) sets close_connection, so its bytes are never taken for the next request.
api_response answer_framed(const api& app, api_request ar, std::string_view raw_head,
                           const byte_source& body);

}  // namespace vutf::http
