#include "config/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "config/strings.hpp"

namespace vutf {
namespace {

ip_address v4_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  ip_address out;
  out.v4 = true;
  out.bytes[0] = a;
  out.bytes[1] = b;
  out.bytes[2] = c;
  out.bytes[3] = d;
  return out;
}

bool starts_with(const ip_address& a, std::initializer_list<uint8_t> prefix) {
  size_t i = 0;
  for (uint8_t b : prefix)
    if (a.bytes[i++] != b) return false;
  return true;
}

// The ranges refused while OUTBOUND_BLOCK_PRIVATE is on, with what they are.
const std::vector<std::pair<cidr, const char*>>& special_ranges() {
  static const std::vector<std::pair<cidr, const char*>> ranges = [] {
    const std::pair<const char*, const char*> table[] = {
        {"0.0.0.0/8", "unspecified (\"this network\")"},
        {"10.0.0.0/8", "private (RFC 1918)"},
        {"100.64.0.0/10", "carrier-grade NAT (RFC 6598)"},
        {"127.0.0.0/8", "loopback"},
        {"169.254.0.0/16", "link-local (cloud metadata lives here)"},
        {"172.16.0.0/12", "private (RFC 1918)"},
        {"192.0.0.0/24", "IETF protocol assignments"},
        {"192.168.0.0/16", "private (RFC 1918)"},
        {"198.18.0.0/15", "benchmarking (RFC 2544)"},
        {"224.0.0.0/4", "multicast"},
        {"240.0.0.0/4", "reserved (and broadcast)"},
        {"::/128", "unspecified"},
        {"::1/128", "loopback"},
        {"::/96", "IPv4-compatible (deprecated)"},
        {"64:ff9b:1::/48", "local-use NAT64"},
        {"100::/64", "discard-only"},
        {"fc00::/7", "unique-local"},
        {"fe80::/10", "link-local"},
        {"fec0::/10", "site-local (deprecated)"},
        {"ff00::/8", "multicast"},
    };
    std::vector<std::pair<cidr, const char*>> out;
    for (const auto& [text, what] : table) out.emplace_back(*parse_cidr(text), what);
    return out;
  }();
  return ranges;
}

bool allowed_by(const std::vector<cidr>& allowed, const ip_address& a) {
  for (const auto& c : allowed)
    if (c.contains(a)) return true;
  return false;
}

}  // namespace

std::string ip_address::to_string() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), out, sizeof out);
  return out;
}

std::optional<ip_address> ip_address::embedded_v4() const {
  if (v4) return std::nullopt;
  const auto& b = bytes;
  bool mapped = starts_with(*this, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff});
  bool compatible = starts_with(*this, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  bool nat64 = starts_with(*this, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0});
  if (mapped || compatible || nat64) return v4_of(b[12], b[13], b[14], b[15]);
  if (starts_with(*this, {0x20, 0x02})) return v4_of(b[2], b[3], b[4], b[5]);  // 6to4
  return std::nullopt;
}

std::optional<ip_address> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  ip_address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

bool cidr::contains(const ip_address& a) const {
  if (a.v4 != network.v4) return false;
  int bits = prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != network.bytes[i]) return false;
  }
  return true;
}

std::optional<cidr> parse_cidr(std::string_view text) {
  size_t slash = text.find('/');
  auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  int width = address->v4 ? 32 : 128;
  cidr out{*address, width};
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3) return std::nullopt;
    int prefix = 0;
    for (char c : bits) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > width) return std::nullopt;
    out.prefix = prefix;
  }
  // The network's host bits are cleared, so "10.1.2.3/8" means 10.0.0.0/8.
  for (int i = 0; i < 16; ++i) {
    int keep = std::min(8, std::max(0, out.prefix - i * 8));
    out.network.bytes[i] &= keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
  }
  return out;
}

std::optional<std::vector<cidr>> parse_cidr_list(std::string_view text) {
  std::vector<cidr> out;
  for (std::string part : split(text, ',')) {
    size_t b = part.find_first_not_of(' ');
    size_t e = part.find_last_not_of(' ');
    if (b == std::string::npos) continue;
    auto c = parse_cidr(std::string_view(part).substr(b, e - b + 1));
    if (!c) return std::nullopt;
    out.push_back(*c);
  }
  return out;
}

std::string special_range(const ip_address& a) {
  for (const auto& [range, what] : special_ranges())
    if (range.contains(a)) return what;
  return "";
}

std::string address_policy::refusal(const ip_address& a) const {
  if (!block_private) return "";
  std::vector<ip_address> forms = {a};
  if (auto v4 = a.embedded_v4()) forms.push_back(*v4);
  for (const auto& form : forms) {
    std::string what = special_range(form);
    if (!what.empty() && !allowed_by(allowed, form))
      return "the address " + form.to_string() + " is " + what +
             "; OUTBOUND_BLOCK_PRIVATE refuses it unless OUTBOUND_ALLOW_CIDRS allows it";
  }
  return "";
}

address_policy make_address_policy(bool block_private, std::string_view allow_cidrs) {
  address_policy p;
  p.block_private = block_private;
  p.allowed = parse_cidr_list(allow_cidrs).value_or(std::vector<cidr>{});
  return p;
}

}  // namespace vutf
