#include "http/client_address.hpp"

#include <strings.h>

#include "config/strings.hpp"

namespace vutf::http {

namespace {

bool is_trusted(const ip_address& a, const std::vector<cidr>& trusted) {
  for (const auto& net : trusted)
    if (net.contains(a)) return true;
  return false;
}

std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string client_address(const api_request& req, const std::vector<cidr>& trusted) {
  auto peer = parse_ip(req.remote_ip);
  if (!peer) return req.remote_ip;
  if (!is_trusted(*peer, trusted)) return peer->text();
  std::vector<std::string> hops;
  for (const auto& [name, value] : req.headers)
    if (strcasecmp(name.c_str(), "X-Forwarded-For") == 0)
      for (const auto& hop : split(value, ',')) hops.push_back(trimmed(hop));
  ip_address client = *peer;
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    auto address = parse_ip(*hop);
    if (!address) break;
    client = *address;
    if (!is_trusted(client, trusted)) break;
  }
  return client.text();
}

}  // namespace vutf::http
