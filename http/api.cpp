#include "http/api.hpp"

#include <prometheus/gauge.h>
#include <strings.h>

#include <sstream>

#include "config/log.hpp"
#include "domain/ids.hpp"
#include "http/client_address.hpp"
#include "http/pipeline.hpp"
#include "http/problem.hpp"
#include "http/routes/routes.hpp"
#include "metrics/metrics.hpp"

namespace vutf::http {
namespace {

using clock = std::chrono::steady_clock;

// The exact origins of ALLOWED_ORIGINS (comma-separated, spaces around them ignored).
std::vector<std::string> origins_in(const std::string& list) {
  std::vector<std::string> origins;
  std::string item;
  std::stringstream in(list);
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b != std::string::npos) origins.push_back(item.substr(b, e - b + 1));
  }
  return origins;
}

}  // namespace

std::optional<std::string> api_request::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return std::nullopt;
}

body_reader body_from(std::string body) {
  return [body = std::move(body)](size_t limit) {
    if (body.size() > limit) return body_read{failure{errc::payload_too_large, "", {}}, ""};
    return body_read{std::nullopt, body};
  };
}

std::string request_id_for(const std::optional<std::string>& given) {
  if (given && !given->empty() && given->size() <= 128) {
    bool ok = true;
    for (unsigned char c : *given) ok = ok && (std::isalnum(c) || c == '.' || c == '_' || c == '-');
    if (ok) return *given;
  }
  return make_uuid();
}

api::api(service& svc, metrics& m, const settings& s)
    : env_{svc, m, s, origins_in(s.allowed_origins),
           parse_cidr_list(s.trusted_proxies).value_or(std::vector<cidr>{}),
           make_address_policy(s.outbound_block_private, s.outbound_allow_cidrs)} {}

api_response api::handle(api_request req) const {
  auto start = clock::now();
  req.remote_ip = client_address(req, env_.trusted_proxies);
  env_.meters.http_requests_in_progress.Increment();
  std::string request_id = request_id_for(req.header("X-Request-ID"));
  api_response res;
  request_trace t;
  try {
    res = dispatch(env_, req, request_id, start, t);
  } catch (const std::exception& e) {
    log::error("unhandled error", {{"request_id", request_id}, {"error", e.what()}});
    res = problem(errc::internal_error, "An internal error occurred.", req.path, request_id);
  }
  audit(env_, req, res, request_id, start, t);
  finish(env_, req, res, request_id, start);
  env_.meters.http_requests_in_progress.Decrement();
  return res;
}

api_response api::reject(int status, const api_request& req, const std::string& detail) const {
  auto start = clock::now();
  std::string request_id = request_id_for(req.header("X-Request-ID"));
  // The status sent is the error's, so it always agrees with the body's "status" (a 416 for a
  // malformed Range header is answered as the 400 it is).
  api_response res = problem(error_for_status(status), detail, req.path, request_id);
  res.close_connection = true;
  finish(env_, req, res, request_id, start);
  return res;
}

std::vector<std::pair<std::string, std::string>> api::endpoints() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : route_table()) out.emplace_back(r.method, r.pattern);
  return out;
}

std::function<stream_step(std::string&)> paged_stream(std::string head, page_source next,
                                                      std::function<std::string()> tail) {
  auto pending = std::make_shared<std::string>(std::move(head));
  return [pending, next, tail](std::string& chunk) {
    chunk = std::move(*pending);
    pending->clear();
    auto more = next(chunk);
    if (!more) return stream_step::failed;
    if (*more) return stream_step::more;
    chunk += tail();
    return stream_step::last;
  };
}

}  // namespace vutf::http
