// The outbound address policy (OUTBOUND_BLOCK_PRIVATE, OUTBOUND_ALLOW_CIDRS): which addresses the
// service may call on a user's behalf. Pure; the same policy refuses literal addresses when a
// URL is stored and resolved addresses when a call connects. Addresses and networks are those of
// config/cidr.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"

namespace vutf {

// The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
// ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::), if any.
std::optional<ip_address> embedded_v4(const ip_address& a);

// What is special about `a` ("loopback", "private (RFC 1918)", "link-local", ...), or "" for an
// ordinary public address. The address itself only; see address_policy for embedded forms.
std::string special_range(const ip_address& a);

struct address_policy {
  bool block_private = true;  // OUTBOUND_BLOCK_PRIVATE
  std::vector<cidr> allowed;  // OUTBOUND_ALLOW_CIDRS: allowed even when special

  // "" when the service may call `a`, else why not (for an OUTBOUND_BLOCKED error or a 422).
  // An IPv6 address is refused when it, or the IPv4 address it carries, is refused.
  std::string refusal(const ip_address& a) const;
};

// The policy from the two settings' values (`allow_cidrs` already validated).
address_policy make_address_policy(bool block_private, std::string_view allow_cidrs);

}  // namespace vutf
