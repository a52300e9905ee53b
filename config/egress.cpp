#include "config/egress.hpp"

#include <cctype>

#include "config/settings.hpp"
#include "config/strings.hpp"

namespace vutf {
namespace {

std::string trimmed(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string lowered(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// One NO_PROXY entry into `out`; false when it is none of the accepted forms.
bool add_bypass(std::string entry, proxy_bypass& out) {
  if (entry == "*") {
    out.everything = true;
    return true;
  }
  if (entry.size() > 2 && entry.front() == '[') {  // [v6] or [v6]:port
    size_t close = entry.find(']');
    if (close == std::string::npos) return false;
    entry = entry.substr(1, close - 1);
  } else if (size_t colon = entry.find(':');
             colon != std::string::npos && entry.find(':', colon + 1) == std::string::npos &&
             all_digits(std::string_view(entry).substr(colon + 1))) {
    entry.erase(colon);  // name:port or v4:port
  }
  if (auto net = parse_cidr(entry)) {
    out.networks.push_back(*net);
    return true;
  }
  if (entry.rfind("*.", 0) == 0) entry.erase(0, 2);
  if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
  if (!entry.empty() && entry.back() == '.') entry.pop_back();
  if (entry.empty()) return false;
  for (char c : entry)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  out.names.push_back(lowered(entry));
  return true;
}

}  // namespace

std::optional<proxy_route> parse_proxy(std::string_view text, std::string* why) {
  std::string full = text.find("://") == std::string_view::npos ? "http://" + std::string(text)
                                                                : std::string(text);
  auto fail = [&](const std::string& reason) -> std::optional<proxy_route> {
    if (why) *why = reason;
    return std::nullopt;
  };
  std::string reason;
  auto u = parse_url(full, &reason);
  if (!u) return fail(reason);
  if (u->scheme != "http") return fail("only http:// proxies are supported");
  if (u->host_kind == url::host_type::none || u->host_kind == url::host_type::future)
    return fail("a proxy URL needs a host");
  if (u->port == 0) return fail("the port must be in 1..65535");
  if ((!u->path.empty() && u->path != "/") || u->query || u->fragment)
    return fail("a proxy URL has no path, query or fragment");
  proxy_route p;
  p.host = u->host;
  p.port = u->effective_port();
  if (u->has_userinfo) {
    size_t colon = u->userinfo.find(':');
    auto user = percent_decode(std::string_view(u->userinfo).substr(0, colon));
    auto pass = colon == std::string::npos
                    ? std::optional<std::string>("")
                    : percent_decode(std::string_view(u->userinfo).substr(colon + 1));
    if (!user || !pass) return fail("the proxy credentials are malformed");
    p.username = *user;
    p.password = *pass;
  }
  p.shown = "http://" + u->host_text() + ":" + std::to_string(p.port);
  return p;
}

bool proxy_bypass::matches(const url& target) const {
  if (everything) return true;
  if (auto ip = parse_ip(target.host)) {
    for (const auto& n : networks)
      if (n.contains(*ip)) return true;
    return false;
  }
  std::string host = target.host;
  if (!host.empty() && host.back() == '.') host.pop_back();
  for (const auto& name : names) {
    if (host == name) return true;
    if (host.size() > name.size() &&
        host.compare(host.size() - name.size(), name.size(), name) == 0 &&
        host[host.size() - name.size() - 1] == '.')
      return true;
  }
  return false;
}

std::optional<proxy_bypass> parse_no_proxy(std::string_view text, std::string* why) {
  proxy_bypass out;
  for (const std::string& part : split(text, ',')) {
    std::string entry = trimmed(part);
    if (entry.empty()) continue;
    if (!add_bypass(entry, out)) {
      if (why) *why = "'" + entry + "' is not a host name, IP address, CIDR or *";
      return std::nullopt;
    }
  }
  return out;
}

const proxy_route* egress::proxy_for(const url& target) const {
  if (bypass.matches(target)) return nullptr;
  if (proxy) return &*proxy;
  if (target.scheme == "https" && https_proxy) return &*https_proxy;
  if (target.scheme == "http" && http_proxy) return &*http_proxy;
  return nullptr;
}

egress egress_from(const settings& s) {
  egress e;
  e.policy = make_address_policy(s.outbound_block_private, s.outbound_allow_cidrs);
  if (!s.outbound_proxy.empty()) e.proxy = parse_proxy(s.outbound_proxy);
  if (!s.http_proxy.empty()) e.http_proxy = parse_proxy(s.http_proxy);
  if (!s.https_proxy.empty()) e.https_proxy = parse_proxy(s.https_proxy);
  e.bypass = parse_no_proxy(s.no_proxy).value_or(proxy_bypass{});
  return e;
}

std::string outbound_url_problem(std::string_view text, const address_policy& policy) {
  std::string problem = http_url_problem(text);
  if (!problem.empty()) return problem;
  auto u = parse_url(text);
  if (u->host_kind != url::host_type::ipv4 && u->host_kind != url::host_type::ipv6) return "";
  std::string refused = policy.refusal(*parse_ip(u->host));
  return refused.empty() ? "" : "must not point at a refused address: " + refused;
}

}  // namespace vutf
