// What every route handler works with: the request in flight, the responses it builds, and
// serve(), the shape of every protected route (authenticate, build, ask with the deadline,
// render).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actors/service.hpp"
#include "http/api.hpp"

namespace vutf::http {

// The figures for the RateLimit-* headers, once the request was counted.
struct rate_state {
  int64_t limit;
  int64_t remaining;
  int64_t reset_s;  // seconds until the window ends
};

// Which limit a route counts against: none (health), a class of its own keyed by client IP
// (login 5/min, register 3/min, refresh 10/min), or the caller's RATE_LIMIT_PER_MINUTE.
// standard and polling are counted per caller after authentication (polling in a budget of its
// own, RATE_LIMIT_POLL_PER_MINUTE); login, registration and refresh per client address first.
enum class rate_class { none, login, registration, refresh, standard, polling };
inline bool counted_per_caller(rate_class r) {
  return r == rate_class::standard || r == rate_class::polling;
}

struct route;

// What the audit record of a request needs to know, filled in as the request goes.
struct request_trace {
  const route* matched = nullptr;
  std::vector<std::string> params;
  std::optional<principal> who;  // set once the caller authenticated
};

// One request in flight, past routing and the body rules.
struct request_context {
  const api_env& env;
  const api_request& req;
  std::string request_id;
  std::vector<std::string> params;  // values of the route's {placeholders}, in order
  std::string body;
  std::chrono::steady_clock::time_point deadline;
  rate_class rate = rate_class::standard;
  mutable std::optional<rate_state> limits;  // set once the request was counted
  request_trace* trace = nullptr;
};

api_response json_response(int status, std::string body);
api_response no_content(const nothing&);
api_response with_etag(api_response r, int64_t version);
// `r` with a strong ETag of its body (for representations without a version, such as a scan's
// progress); 304 Not Modified without a body when the request's If-None-Match names it (or is
// "*"), so a client polling for change transfers nothing while nothing changed.
api_response conditional(const request_context& c, api_response r);

api_response problem(errc code, const std::string& detail, const std::string& instance,
                     const std::string& request_id, const std::vector<field_error>& errors = {});
// The failure's problem+json for this request; a 401 says WWW-Authenticate: Bearer.
api_response problem(const failure& f, const request_context& c);

template <class M>
result<M> with(M message) {
  return result<M>{{}, std::move(message)};
}

// The {id} of the path if it is a UUID; otherwise "<thing> not found" (a malformed id is 404).
result<std::string> path_id(const request_context& c, const char* thing);

// If-Match: nullopt for none or "*"; the version for "3", W/"3" or 3; -1 when unparsable
// (which can never match, so it fails as a precondition).
std::optional<int64_t> if_match_version(const std::optional<std::string>& h);

// The request's Content-Type without parameters, lowercase ("application/json").
std::string media_type(const api_request& req);

// The credentials the request presents (Authorization: Bearer, X-API-Key).
credentials presented_by(const api_request& req);

// What a request may not do as `who` (the result of authenticating it): the 401 to answer
// (with WWW-Authenticate: Bearer), 429 over the caller's limit, or 403 for an API key without
// the write scope on any route that is not GET or HEAD. Counts the request against the
// caller's limit (by address when nobody authenticated) on routes of the standard rate class.
std::optional<failure> admit(const request_context& c, const result<principal>& who);

// The caller (authenticated by the authentication actor), or the failure `admit` found.
result<principal> caller(const request_context& c);

// The shape of every protected route: authenticate the caller, let `make` build the message
// for them (or refuse with a failure), send it with the request's deadline and `render` the
// reply; every failure becomes its problem+json.
template <class Make, class Render>
api_response serve(const request_context& c, Make make, Render render) {
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  auto message = make(who.value);
  if (!message.ok()) return problem(*message.error, c);
  message.value.deadline = c.deadline;
  auto reply = c.env.svc.ask(std::move(message.value));
  if (!reply.ok()) return problem(*reply.error, c);
  return render(reply.value);
}

// The shape of a read whose message carries the presented credentials (`presented`): the actor
// authenticates the caller and answers in one ask; `admit` then applies to who it found, so a
// refused caller gets its 401/429/403 and not the reply (a read changes nothing). `render`
// turns the reply's value into the response; every failure becomes its problem+json.
template <class M, class Render>
api_response serve_presented(const request_context& c, M message, Render render) {
  message.presented = presented_by(c.req);
  message.deadline = c.deadline;
  auto answer = c.env.svc.ask(std::move(message));
  result<principal> who;
  if (answer.who)
    who.value = *answer.who;
  else
    who.error = answer.reply.error
                    ? answer.reply.error
                    : failure{errc::unauthorized, "Missing or invalid credentials.", {}};
  if (auto refused = admit(c, who)) return problem(*refused, c);
  if (!answer.reply.ok()) return problem(*answer.reply.error, c);
  return render(answer.reply.value);
}

}  // namespace vutf::http
