// Every URL the service reads, through its one parser (config/url): target endpoint_url and
// webhook url checks, the proxy settings and NO_PROXY. Input: first line a NO_PROXY list, the
// rest a URL. Besides not crashing, a URL the service would call must mean the same thing when
// rebuilt from its pieces (the HTTP caller connects with origin() and request_target(), never
// with the text): reparsing them gives the same host, port and request target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/address_policy.hpp"
#include "config/cidr.hpp"
#include "config/egress.hpp"
#include "config/url.hpp"

namespace {

void check(bool holds) {
  if (!holds) std::abort();
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view no_proxy =
      newline == std::string_view::npos ? "" : input.substr(0, newline);
  const std::string_view text =
      newline == std::string_view::npos ? input : input.substr(newline + 1);

  static const address_policy blocking = make_address_policy(true, "10.1.0.0/16,fd00::/8");
  (void)outbound_url_problem(text, blocking);
  (void)parse_proxy(text);
  (void)percent_decode(text);
  auto bypass = parse_no_proxy(no_proxy);

  std::string why;
  auto u = parse_url(text, &why);
  check(u.has_value() || !why.empty());
  if (!u) return 0;
  if (bypass) (void)bypass->matches(*u);
  if (u->host_kind == url::host_type::ipv4 || u->host_kind == url::host_type::ipv6) {
    auto ip = parse_ip(u->host);
    check(ip.has_value());  // the parser's canonical form is an address
    (void)blocking.refusal(*ip);
    (void)embedded_v4(*ip);
    (void)special_range(*ip);
  }
  if (!http_url_problem(text).empty()) return 0;
  check(u->effective_port() >= 1 && u->effective_port() <= 65535);
  const std::string rebuilt = u->origin() + u->request_target();
  auto again = parse_url(rebuilt);
  check(again.has_value() && http_url_problem(rebuilt).empty());
  check(again->host == u->host && again->host_kind == u->host_kind);
  check(again->effective_port() == u->effective_port());
  check(again->request_target() == u->request_target());
  return 0;
}
