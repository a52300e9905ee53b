// IP addresses and CIDR networks as settings name them (TRUSTED_PROXIES): parsed strictly with
// inet_pton, IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, as a dual-stack socket reports IPv4
// peers) taken as the IPv4 address they carry.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vutf {

struct ip_address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4

  // The canonical text (inet_ntop): one spelling per address.
  std::string text() const;
};

// An IPv4 or IPv6 literal; nullopt for anything else (names, ports, brackets, zones).
std::optional<ip_address> parse_ip(std::string_view text);

struct cidr {
  ip_address network;
  int prefix = 0;  // leading bits that must match

  bool contains(const ip_address& a) const;
};

// "a.b.c.d/n", "x::y/n", or a bare address (a network of one); the host bits may be set.
std::optional<cidr> parse_cidr(std::string_view text);

// A comma-separated list (spaces around items ignored; empty = none); nullopt if any is bad.
std::optional<std::vector<cidr>> parse_cidr_list(std::string_view text);

}  // namespace vutf
