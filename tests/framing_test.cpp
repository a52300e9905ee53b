// Request framing without a socket: the head as received, Content-Length / Transfer-Encoding and
// the chunked decoder (the over-the-wire side is in server_test).
#include "http/framing.hpp"

#include <gtest/gtest.h>

namespace vutf {
namespace {

using http::body_framing;
using http::chunked_decoder;
using http::framing_of;
using http::parse_head;

const std::string request_line = "POST /api/v1/targets HTTP/1.1\r\n";

TEST(framing, a_well_formed_head_gives_its_headers_verbatim) {
  auto h = parse_head(request_line +
                      "Host: x\r\nX-Request-ID:  a%41b \r\nContent-Length: 12\r\n\r\nrest");
  EXPECT_EQ(h.problem, "");
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[1].first, "X-Request-ID");
  EXPECT_EQ(h.headers[1].second, "a%41b");  // not percent-decoded, spaces around it trimmed
  EXPECT_EQ(h.framing.type, body_framing::kind::length);
  EXPECT_EQ(h.framing.length, 12u);
}

TEST(framing, heads_other_servers_could_read_differently_are_refused) {
  for (const std::string& head : {
           request_line + "Host: x\nTransfer-Encoding: chunked\r\n\r\n",     // bare LF
           request_line + "Host: x\r\n\n",                                   // bare LF at the end
           request_line + "Host: x\rTransfer-Encoding: chunked\r\n\r\n",     // bare CR
           request_line + "Content-Length : 5\r\n\r\n",                      // space before ':'
           request_line + "Host: x\r\n Transfer-Encoding: chunked\r\n\r\n",  // line folding
           request_line + "Host: x\r\n\tContent-Length: 5\r\n\r\n",          // line folding
           request_line + "X: a\x01z\r\n\r\n",                               // control character
           request_line + "NoColon\r\n\r\n", request_line + ": no name\r\n\r\n",
           request_line + "Host: x\r\n",  // no empty line
       }) {
    EXPECT_NE(parse_head(head).problem, "") << head;
  }
}

TEST(framing, one_content_length_or_chunked_alone) {
  auto framing = [](http::header_list h) { return framing_of(h); };
  EXPECT_EQ(framing({}).type, body_framing::kind::none);
  EXPECT_FALSE(framing({}).has_body());
  EXPECT_FALSE(framing({{"Content-Length", "0"}}).has_body());
  EXPECT_EQ(framing({{"content-length", "007"}}).length, 7u);
  EXPECT_EQ(framing({{"Transfer-Encoding", "Chunked"}}).type, body_framing::kind::chunked);
  EXPECT_TRUE(framing({{"transfer-encoding", "chunked"}}).has_body());
  for (const http::header_list& h : std::vector<http::header_list>{
           {{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}},
           {{"Transfer-Encoding", "chunked"}, {"Content-Length", "0"}},
           {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
           {{"Transfer-Encoding", "gzip, chunked"}},
           {{"Transfer-Encoding", "chunked, identity"}},
           {{"Transfer-Encoding", "identity"}},
           {{"Transfer-Encoding", "%63hunked"}},
           {{"Transfer-Encoding", ""}},
           {{"Content-Length", "5"}, {"Content-Length", "5"}},
           {{"Content-Length", "5"}, {"Content-Length", "6"}},
           {{"Content-Length", "5, 5"}},
           {{"Content-Length", "+5"}},
           {{"Content-Length", "-1"}},
           {{"Content-Length", "0x10"}},
           {{"Content-Length", "%35"}},
           {{"Content-Length", ""}},
           {{"Content-Length", "1 2"}},
           {{"Content-Length", "9999999999999999999"}},  // 19 digits: no overflow to wrap around
       }) {
    auto f = framing(h);
    EXPECT_NE(f.problem, "") << h.front().first << ": " << h.front().second;
    EXPECT_EQ(parse_head(request_line + h.front().first + ": " + h.front().second + "\r\n" +
                         (h.size() > 1 ? h[1].first + ": " + h[1].second + "\r\n" : "") + "\r\n")
                  .problem,
              f.problem);
  }
}

// Feeds `wire` in pieces of `step` bytes, as a socket might deliver it.
struct decoded {
  chunked_decoder::state status;
  std::string body;
  size_t taken;
};
decoded decode(const std::string& wire, size_t step) {
  chunked_decoder d;
  decoded out{chunked_decoder::state::reading, "", 0};
  for (size_t at = 0; at < wire.size() && d.status() == chunked_decoder::state::reading;) {
    std::string_view piece(wire.data() + at, std::min(step, wire.size() - at));
    size_t n = d.feed(piece, out.body);
    EXPECT_LE(n, piece.size());
    at += n;
    out.taken = at;
    if (n < piece.size()) break;  // the decoder stopped: the rest is not its business
  }
  out.status = d.status();
  return out;
}

TEST(framing, chunked_bodies_decode_in_any_split_and_leave_the_next_request_alone) {
  const std::string body = "5;name=value\r\nhello\r\n1A\r\n" + std::string(26, 'x') +
                           "\r\n0 ; last\r\nTrailer-Field: ok\r\n\r\n";
  const std::string next = "GET /api/v1/live HTTP/1.1\r\n\r\n";
  for (size_t step = 1; step <= body.size() + next.size(); ++step) {
    auto d = decode(body + next, step);
    EXPECT_EQ(d.status, chunked_decoder::state::done) << step;
    EXPECT_EQ(d.body, "hello" + std::string(26, 'x')) << step;
    EXPECT_EQ(d.taken, body.size()) << step;
  }
  EXPECT_EQ(decode("0\r\n\r\n", 64).status, chunked_decoder::state::done);
  EXPECT_EQ(decode("5\r\nhel", 64).status, chunked_decoder::state::reading);
}

TEST(framing, malformed_chunked_bodies_are_refused) {
  const std::string trailer = "T: " + std::string(3000, 'v') + "\r\n";
  for (const std::string& wire : {
           std::string("5\nhello\r\n0\r\n\r\n"),      // bare LF after the size
           std::string("5\r\nhello\n0\r\n\r\n"),      // bare LF after the data
           std::string("5\r\nhelloX\r\n0\r\n\r\n"),   // more data than the size says
           std::string("5\r\nhell\r\n0\r\n\r\n"),     // less
           std::string("0x5\r\nhello\r\n0\r\n\r\n"),  // hex prefix
           std::string("+5\r\nhello\r\n0\r\n\r\n"), std::string("-5\r\nhello\r\n0\r\n\r\n"),
           std::string(" 5\r\nhello\r\n0\r\n\r\n"), std::string("5 5\r\nhello\r\n0\r\n\r\n"),
           std::string("\r\n"),                             // no size
           std::string("1000000000000000\r\n"),             // 16 hex digits
           std::string("5;\x01\r\nhello\r\n0\r\n\r\n"),     // control character in extension
           std::string("0\r\n folded: trailer\r\n\r\n"),    // line folding in the trailers
           std::string("0\r\nContent-Length : 5\r\n\r\n"),  // space before ':'
           std::string("0\r\nno colon\r\n\r\n"),
           "5;" + std::string(9000, 'e') + "\r\n",          // a size line over 8 KiB
           "0\r\n" + trailer + trailer + trailer + "\r\n",  // trailers over 8 KiB
       }) {
    for (size_t step : {size_t{1}, size_t{7}, wire.size()})
      EXPECT_EQ(decode(wire, step).status, chunked_decoder::state::malformed)
          << step << " " << wire.substr(0, 40);
  }
}

}  // namespace
}  // namespace vutf
