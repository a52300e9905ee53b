// Response compression with zlib (our own policy: cpp-httplib's automatic compression is
// bypassed by sending `; charset=utf-8` content types).
#pragma once

#include <string>

namespace vutf::http {

// True when an Accept-Encoding header value accepts gzip (a token "gzip" or "*" with q > 0).
bool accepts_gzip(const std::string& accept_encoding);

// The gzip (RFC 1952) encoding of `data` at zlib `level` (1-9).
std::string gzip_compress(const std::string& data, int level);

}  // namespace vutf::http
