// The client address of a request: what rate limits, the audit trail, sessions and the access
// log name. Behind reverse proxies (TRUSTED_PROXIES) it is read from X-Forwarded-For, but only
// as far as trusted hops vouch for it: anyone can send the header.
#pragma once

#include <string>
#include <vector>

#include "config/cidr.hpp"
#include "http/api.hpp"

namespace vutf::http {

// The socket peer, unless it is in `trusted`: then X-Forwarded-For (every such header, in
// order) is walked from the right past the trusted hops, and the first hop that is not trusted
// is the client. When every hop is trusted, the leftmost is; a hop that is not an IP address
// ends the walk at the trusted hop that passed it on. Addresses come out in canonical form
// (one spelling each, IPv4-mapped IPv6 as IPv4), so a limit cannot be dodged by respelling.
std::string client_address(const api_request& req, const std::vector<cidr>& trusted);

}  // namespace vutf::http
