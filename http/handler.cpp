#include "http/handler.hpp"

#include <strings.h>

#include <cctype>

#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "http/problem.hpp"
#include "http/rate_limit.hpp"

namespace vutf::http {

api_response json_response(int status, std::string body) {
  api_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string media_type(const api_request& req) {
  std::string type = req.header("Content-Type").value_or("");
  std::string media = type.substr(0, type.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (auto& ch : media) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return media;
}

api_response no_content(const nothing&) {
  return json_response(204, "");
}

api_response with_etag(api_response r, int64_t version) {
  r.headers.emplace_back("ETag", "\"" + std::to_string(version) + "\"");
  return r;
}

api_response conditional(const request_context& c, api_response r) {
  std::string tag = "\"" + identity::sha256_hex(r.body).substr(0, 32) + "\"";
  r.headers.emplace_back("ETag", tag);
  std::string wanted = c.req.header("If-None-Match").value_or("");
  // A list of tags, each possibly weak (W/"..."): weak comparison, as RFC 9110 asks for GET.
  size_t from = 0;
  while (from < wanted.size()) {
    size_t end = wanted.find(',', from);
    std::string one =
        wanted.substr(from, end == std::string::npos ? std::string::npos : end - from);
    from = end == std::string::npos ? wanted.size() : end + 1;
    size_t a = one.find_first_not_of(" \t"), b = one.find_last_not_of(" \t");
    if (a == std::string::npos) continue;
    one = one.substr(a, b - a + 1);
    if (one.rfind("W/", 0) == 0) one = one.substr(2);
    if (one == tag || one == "*") {
      r.status = 304;
      r.body.clear();
      return r;
    }
  }
  return r;
}

api_response problem(errc code, const std::string& detail, const std::string& instance,
                     const std::string& request_id, const std::vector<field_error>& errors) {
  api_response r;
  r.status = http_status(code);
  r.content_type = "application/problem+json; charset=utf-8";
  r.body = problem_body(code, detail, instance, request_id, errors);
  return r;
}

api_response problem(const failure& f, const request_context& c) {
  api_response r = problem(f.code, f.detail, c.req.path, c.request_id, f.errors);
  if (f.code == errc::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  // A limit the actor enforced (an account's failed logins) says when to retry: the response's
  // Retry-After and RateLimit-* then describe that limit, not the address's.
  if (f.retry_after_s > 0) {
    if (c.limits) {
      c.limits->remaining = 0;
      c.limits->reset_s = f.retry_after_s;
    } else {
      r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
    }
  }
  return r;
}

result<std::string> path_id(const request_context& c, const char* thing) {
  const std::string& id = c.params.at(0);
  if (!is_uuid(id))
    return result<std::string>::fail(errc::not_found, std::string(thing) + " not found.");
  return result<std::string>{{}, id};
}

std::optional<int64_t> if_match_version(const std::optional<std::string>& h) {
  if (!h || *h == "*") return std::nullopt;
  std::string v = *h;
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoll(v);
}

credentials presented_by(const api_request& req) {
  credentials presented;
  if (auto h = req.header("Authorization")) {
    // "Bearer <token>", scheme case-insensitive.
    if (h->size() > 7 && strncasecmp(h->c_str(), "Bearer ", 7) == 0)
      presented.bearer = h->substr(7);
  }
  if (auto k = req.header("X-API-Key")) presented.api_key = *k;
  return presented;
}

std::optional<failure> admit(const request_context& c, const result<principal>& who) {
  // Authenticated callers are counted as themselves; failures by address, so guessing
  // credentials is throttled too.
  std::string counted = !who.ok()                     ? "ip:" + c.req.remote_ip
                        : who.value.kind == "api_key" ? "key:" + who.value.key_id
                                                      : "user:" + who.value.user_id;
  if (counted_per_caller(c.rate))
    if (auto over = count(c, counted)) return over;
  if (!who.ok()) return who.error;
  if (c.trace) c.trace->who = who.value;
  bool reading = c.req.method == "GET" || c.req.method == "HEAD";
  if (!reading && !who.value.may_write())
    return failure{errc::forbidden, "This API key has only the read scope.", {}};
  return std::nullopt;
}

result<principal> caller(const request_context& c) {
  auto who = c.env.svc.ask(authenticate{presented_by(c.req), c.deadline});
  if (auto refused = admit(c, who)) return result<principal>{std::move(refused), {}};
  return who;
}

}  // namespace vutf::http
