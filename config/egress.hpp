// How outbound calls (targets, judges, webhooks) leave the process: the address policy
// (OUTBOUND_BLOCK_PRIVATE, OUTBOUND_ALLOW_CIDRS), the egress proxy (OUTBOUND_PROXY, else
// HTTPS_PROXY / HTTP_PROXY by the target's scheme) and the hosts that bypass it (NO_PROXY).
// Pure: the settings table validates with these parsers and the HTTP caller routes with them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/address_policy.hpp"
#include "config/url.hpp"

namespace vutf {

struct settings;

struct proxy_route {
  std::string host;  // as url::host (IPv6 without brackets)
  int port = 80;
  std::string username;  // percent-decoded; "" = no Proxy-Authorization
  std::string password;
  std::string shown;  // http://host:port, without credentials: for errors and logs
};

// A proxy URL: http://[user[:password]@]host[:port][/] (the port defaults to 80). A value without
// "://" ("proxy:3128", as HTTP_PROXY is often written) is read as http://. nullopt otherwise,
// with the reason in `why`.
std::optional<proxy_route> parse_proxy(std::string_view text, std::string* why = nullptr);

// NO_PROXY: comma-separated "*" (everything), host names (the name and its subdomains; a leading
// "." or "*." is allowed), IP addresses and CIDRs. A ":port" after a name or IPv4 is ignored.
struct proxy_bypass {
  bool everything = false;
  std::vector<std::string> names;  // lowercased, without a leading dot
  std::vector<cidr> networks;
  bool matches(const url& target) const;
};
std::optional<proxy_bypass> parse_no_proxy(std::string_view text, std::string* why = nullptr);

struct egress {
  address_policy policy;
  std::optional<proxy_route> proxy;        // OUTBOUND_PROXY: every call
  std::optional<proxy_route> http_proxy;   // HTTP_PROXY: http:// calls
  std::optional<proxy_route> https_proxy;  // HTTPS_PROXY: https:// calls
  proxy_bypass bypass;                     // NO_PROXY: direct, whichever proxy applies

  // The proxy a call to `target` goes through, or nullptr for a direct connection.
  const proxy_route* proxy_for(const url& target) const;
};

// The egress of validated settings.
egress egress_from(const settings& s);

// http_url_problem, then the policy on a literal IP host: "" when `text` may be stored as a URL
// the service calls (target endpoint_url, webhook URLs), else the reason for a 422. A host name
// passes here; its resolved addresses are checked when a call connects.
std::string outbound_url_problem(std::string_view text, const address_policy& policy);

}  // namespace vutf
