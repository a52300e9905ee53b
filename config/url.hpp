// The one URL parser of the service (RFC 3986): every URL it reads (target endpoint_url, webhook
// URLs, OUTBOUND_PROXY and the *_PROXY variables) goes through parse_url, and outbound calls are
// made from its pieces, never from the text again, so no second parser can read a URL
// differently. Pure and allocation-bounded by the input: a libFuzzer target calls parse_url.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vutf {

struct url {
  enum class host_type { none, name, ipv4, ipv6, future };

  std::string scheme;  // lowercased
  bool has_authority = false;
  bool has_userinfo = false;
  std::string userinfo;  // as written (percent-encoded)
  std::string host;      // name lowercased; IPv4 dotted-decimal; IPv6 canonical, without brackets
  host_type host_kind = host_type::none;
  int port = -1;                        // -1 when absent (or empty, as "http://h:/" allows)
  std::string path;                     // as written; may be empty
  std::optional<std::string> query;     // without the '?'
  std::optional<std::string> fragment;  // without the '#'

  // The port, else the scheme's default (80 for http, 443 for https), else -1.
  int effective_port() const;
  // The host as it appears in an authority: IPv6 in brackets.
  std::string host_text() const;
  // "scheme://host[:port]" with the port only when it is not the scheme's default.
  std::string origin() const;
  // What an HTTP request line carries: the path ("/" when empty) and "?query".
  std::string request_target() const;
};

// Parses an absolute URI (scheme required). nullopt when `text` is not one, with the reason in
// `why` when given. A port above 65535 and a malformed IPv6 literal are parse errors.
std::optional<url> parse_url(std::string_view text, std::string* why = nullptr);

// The service's rules for a URL it will call (targets, webhooks): "" when `text` is an http:// or
// https:// URL with a host, no credentials, at most 2048 characters, a port in 1..65535 and a
// host that is a DNS-style name, a dotted-decimal IPv4 address or an IPv6 literal. Numeric hosts
// in any other form (2130706433, 0x7f.1, 127.1, 0177.0.0.1) are refused rather than guessed at.
// Otherwise what is wrong, for a 422's reason.
std::string http_url_problem(std::string_view text);

// Percent-decodes `text` (for userinfo); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace vutf
