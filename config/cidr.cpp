#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "config/strings.hpp"

namespace vutf {

std::string ip_address::text() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf)) return "";
  return buf;
}

std::optional<ip_address> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  ip_address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), mapped, sizeof mapped) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    return a;
  }
  a.v6 = true;
  return a;
}

bool cidr::contains(const ip_address& a) const {
  if (a.v6 != network.v6) return false;
  int whole = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), network.bytes.data(), static_cast<size_t>(whole)) != 0)
    return false;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[whole] & mask) == (network.bytes[whole] & mask);
}

std::optional<cidr> parse_cidr(std::string_view text) {
  size_t slash = text.find('/');
  auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  int max = address->v6 ? 128 : 32;
  // A mapped IPv6 network (::ffff:10.0.0.0/104) is the IPv4 network it carries.
  bool mapped = !address->v6 && text.substr(0, slash).find(':') != std::string_view::npos;
  cidr c{*address, max};
  if (slash == std::string_view::npos) return c;
  std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 ||
      !std::all_of(bits.begin(), bits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return std::nullopt;
  int n = std::stoi(std::string(bits));
  if (mapped) n -= 96;
  if (n < 0 || n > max) return std::nullopt;
  c.prefix = n;
  return c;
}

std::optional<std::vector<cidr>> parse_cidr_list(std::string_view text) {
  std::vector<cidr> out;
  for (const auto& item : split(text, ',')) {
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b == std::string::npos) continue;
    auto c = parse_cidr(std::string_view(item).substr(b, e - b + 1));
    if (!c) return std::nullopt;
    out.push_back(*c);
  }
  return out;
}

}  // namespace vutf
