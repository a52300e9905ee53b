#include "config/url.hpp"

#include <arpa/inet.h>

#include <array>

namespace vutf {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
  return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether every character of `s` is allowed by `ok` or starts a valid %XX escape.
template <class Allowed>
bool all_chars(std::string_view s, Allowed ok) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!ok(s[i])) {
      return false;
    }
  }
  return true;
}

bool is_pchar(char c) {
  return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@';
}
bool is_path_char(char c) {
  return is_pchar(c) || c == '/';
}
bool is_query_char(char c) {
  return is_pchar(c) || c == '/' || c == '?';
}

// dec-octet of RFC 3986: 0-255 without leading zeros.
bool is_dec_octet(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v <= 255;
}

bool is_ipv4_address(std::string_view s) {
  for (int part = 0; part < 4; ++part) {
    size_t dot = s.find('.');
    if ((part < 3) == (dot == std::string_view::npos)) return false;
    if (!is_dec_octet(s.substr(0, dot))) return false;
    s = part < 3 ? s.substr(dot + 1) : std::string_view();
  }
  return true;
}

// The canonical text of an IPv6 address (RFC 5952 via inet_ntop), or nullopt.
std::optional<std::string> canonical_ipv6(std::string_view s) {
  if (s.empty() || s.size() > 45) return std::nullopt;
  for (char c : s)
    if (!is_hex(c) && c != ':' && c != '.') return std::nullopt;
  std::string text(s);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (!inet_ntop(AF_INET6, bytes.data(), out.data(), out.size())) return std::nullopt;
  return std::string(out.data());
}

// IPvFuture of RFC 3986: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
bool is_ipv_future(std::string_view s) {
  if (s.size() < 4 || lower(s[0]) != 'v') return false;
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot < 2) return false;
  for (size_t i = 1; i < dot; ++i)
    if (!is_hex(s[i])) return false;
  std::string_view rest = s.substr(dot + 1);
  if (rest.empty()) return false;
  for (char c : rest)
    if (!is_unreserved(c) && !is_sub_delim(c) && c != ':') return false;
  return true;
}

struct parse_state {
  url u;
  std::string why;
  bool fail(const char* reason) {
    why = reason;
    return false;
  }
};

// The port after ':' ("" is allowed and means absent).
bool parse_port(std::string_view s, parse_state& st) {
  if (s.empty()) return true;
  long value = 0;
  for (char c : s) {
    if (!is_digit(c)) return st.fail("the port must be digits");
    value = value * 10 + (c - '0');
    if (value > 65535) return st.fail("the port must be at most 65535");
  }
  st.u.port = static_cast<int>(value);
  return true;
}

bool parse_host(std::string_view hostport, parse_state& st) {
  url& u = st.u;
  std::string_view rest;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return st.fail("an IP literal lacks its ']'");
    std::string_view literal = hostport.substr(1, close - 1);
    rest = hostport.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return st.fail("only a port may follow an IP literal");
    if (auto v6 = canonical_ipv6(literal)) {
      u.host = *v6;
      u.host_kind = url::host_type::ipv6;
    } else if (is_ipv_future(literal)) {
      u.host.clear();
      for (char c : literal) u.host += lower(c);
      u.host_kind = url::host_type::future;
    } else {
      return st.fail("the IP literal is not a valid IPv6 address");
    }
  } else {
    size_t colon = hostport.find(':');
    std::string_view host = hostport.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : hostport.substr(colon);
    if (!all_chars(host, [](char c) { return is_unreserved(c) || is_sub_delim(c); }))
      return st.fail("the host has a character a URL host may not have");
    u.host.clear();
    for (char c : host) u.host += lower(c);
    u.host_kind = host.empty()            ? url::host_type::none
                  : is_ipv4_address(host) ? url::host_type::ipv4
                                          : url::host_type::name;
  }
  return rest.empty() || parse_port(rest.substr(1), st);
}

bool parse_authority(std::string_view authority, parse_state& st) {
  url& u = st.u;
  u.has_authority = true;
  size_t at = authority.find('@');
  if (at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    if (!all_chars(info, [](char c) { return is_unreserved(c) || is_sub_delim(c) || c == ':'; }))
      return st.fail("the user information has a character it may not have");
    u.has_userinfo = true;
    u.userinfo = std::string(info);
    authority = authority.substr(at + 1);
  }
  return parse_host(authority, st);
}

bool parse_all(std::string_view text, parse_state& st) {
  url& u = st.u;
  if (text.empty() || !is_alpha(text[0])) return st.fail("a URL starts with a scheme");
  size_t colon = 0;
  while (colon < text.size() && text[colon] != ':') {
    char c = text[colon];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
      return st.fail("a URL starts with a scheme and ':'");
    ++colon;
  }
  if (colon == text.size()) return st.fail("a URL starts with a scheme and ':'");
  for (char c : text.substr(0, colon)) u.scheme += lower(c);
  std::string_view rest = text.substr(colon + 1);

  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    std::string_view fragment = rest.substr(hash + 1);
    if (!all_chars(fragment, is_query_char)) return st.fail("the fragment has a bad character");
    u.fragment = std::string(fragment);
    rest = rest.substr(0, hash);
  }
  size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    if (!all_chars(query, is_query_char)) return st.fail("the query has a bad character");
    u.query = std::string(query);
    rest = rest.substr(0, question);
  }
  if (rest.substr(0, 2) == "//") {
    rest = rest.substr(2);
    size_t slash = rest.find('/');
    if (!parse_authority(rest.substr(0, slash), st)) return false;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  if (!all_chars(rest, is_path_char)) return st.fail("the path has a bad character");
  u.path = std::string(rest);
  return true;
}

// Whether the last label of a host name is a number (decimal, or hex with 0x): such a host
// is an IPv4 address in some resolver's eyes, whatever RFC 3986 calls it.
bool ends_in_a_number(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  size_t dot = name.rfind('.');
  std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  if (last.empty()) return false;
  bool hex = last.size() >= 2 && last[0] == '0' && lower(last[1]) == 'x';
  for (char c : hex ? last.substr(2) : last)
    if (!(hex ? is_hex(c) : is_digit(c))) return false;
  return true;
}

// A DNS-style name: labels of letters, digits, '-' and '_', 1-63 characters each.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.back() == '.') name.remove_suffix(1);
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

}  // namespace

int url::effective_port() const {
  if (port >= 0) return port;
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return -1;
}

std::string url::host_text() const {
  return host_kind == host_type::ipv6 || host_kind == host_type::future ? "[" + host + "]" : host;
}

std::string url::origin() const {
  std::string out = scheme + "://" + host_text();
  if (port >= 0 && !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443))
    out += ":" + std::to_string(port);
  return out;
}

std::string url::request_target() const {
  std::string out = path.empty() ? "/" : path;
  if (query) out += "?" + *query;
  return out;
}

std::optional<url> parse_url(std::string_view text, std::string* why) {
  parse_state st;
  if (!parse_all(text, st)) {
    if (why) *why = st.why;
    return std::nullopt;
  }
  return std::move(st.u);
}

std::string http_url_problem(std::string_view text) {
  if (text.size() > 2048) return "must be at most 2048 characters";
  std::string why;
  auto u = parse_url(text, &why);
  if (!u) return "must be a valid URL (" + why + ")";
  if (u->scheme != "http" && u->scheme != "https") return "must be an http:// or https:// URL";
  if (!u->has_authority || u->host_kind == url::host_type::none) return "must have a host";
  if (u->has_userinfo)
    return "must not carry credentials (user:password@); send them in headers instead";
  if (u->port == 0) return "must have a port in 1..65535";
  if (u->host_kind == url::host_type::future) return "must not use an IPvFuture literal";
  if (u->host_kind == url::host_type::name) {
    if (ends_in_a_number(u->host))
      return "must write an IPv4 host as four decimal numbers (such as 192.0.2.10)";
    if (!is_dns_name(u->host))
      return "must have a host name of letters, digits, '-', '_' and '.' (at most 253 "
             "characters)";
  }
  return "";
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return std::nullopt;
    auto nibble = [](char c) { return is_digit(c) ? c - '0' : lower(c) - 'a' + 10; };
    out += static_cast<char>(nibble(text[i + 1]) * 16 + nibble(text[i + 2]));
    i += 2;
  }
  return out;
}

}  // namespace vutf
