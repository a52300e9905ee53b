#include "config/address_policy.hpp"

#include <initializer_list>
#include <utility>

namespace vutf {
namespace {

ip_address v4_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  ip_address out;
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

std::optional<ip_address> embedded_v4(const ip_address& a) {
  if (!a.v6) return std::nullopt;
  const auto& b = a.bytes;
  bool mapped = starts_with(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff});
  bool compatible = starts_with(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  bool nat64 = starts_with(a, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0});
  if (mapped || compatible || nat64) return v4_of(b[12], b[13], b[14], b[15]);
  if (starts_with(a, {0x20, 0x02})) return v4_of(b[2], b[3], b[4], b[5]);  // 6to4
  return std::nullopt;
}

std::string special_range(const ip_address& a) {
  for (const auto& [range, what] : special_ranges())
    if (range.contains(a)) return what;
  return "";
}

std::string address_policy::refusal(const ip_address& a) const {
  if (!block_private) return "";
  std::vector<ip_address> forms = {a};
  if (auto v4 = embedded_v4(a)) forms.push_back(*v4);
  for (const auto& form : forms) {
    std::string what = special_range(form);
    if (!what.empty() && !allowed_by(allowed, form))
      return "the address " + form.text() + " is " + what +
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
