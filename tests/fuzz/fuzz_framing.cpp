// Request framing without a socket (http/framing): the strict head parser and the chunked body
// decoder on any bytes. The decoder is fed the input whole and again in pieces (sizes taken
// from the first byte): a streaming decoder must not care where the network split the bytes,
// so both runs must take the same bytes, produce the same body and end in the same state.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/framing.hpp"

namespace {

using vutf::http::chunked_decoder;

void check(bool holds) {
  if (!holds) std::abort();
}

struct decoded {
  size_t taken = 0;
  std::string body;
  chunked_decoder::state status = chunked_decoder::state::reading;
};

decoded decode(std::string_view in, size_t piece) {
  chunked_decoder d;
  decoded out;
  while (out.taken < in.size() && d.status() == chunked_decoder::state::reading) {
    std::string_view next = in.substr(out.taken, piece);
    size_t n = d.feed(next, out.body);
    check(n <= next.size());
    out.taken += n;
    if (n < next.size()) break;  // done or malformed: the rest is not the body's
  }
  out.status = d.status();
  check(out.body.size() <= out.taken);
  return out;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t piece = 1 + data[0] % 17;

  auto head = vutf::http::parse_head(in);
  if (head.problem.empty() && head.framing.type == vutf::http::body_framing::kind::length)
    check(head.framing.problem.empty());
  (void)vutf::http::framing_of(head.headers);

  decoded whole = decode(in, in.size() + 1);
  decoded split = decode(in, piece);
  check(whole.status == split.status);
  if (whole.status == chunked_decoder::state::done) {
    check(whole.taken == split.taken);
    check(whole.body == split.body);
  }
  return 0;
}
