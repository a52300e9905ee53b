// Registration, login, token refresh, logout and the caller's own record.
#include "http/routes/auth_codec.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/user_codec.hpp"

namespace vutf::http {

api_response register_user(const request_context& c) {
  auto parsed = parse_register(c.body);
  if (!parsed.ok()) return problem(*parsed.error, c);
  parsed.value.deadline = c.deadline;
  auto r = c.env.svc.ask(std::move(parsed.value));
  if (!r.ok()) return problem(*r.error, c);
  api_response res = json_response(201, user_json(r.value));
  res.headers.emplace_back("Location", "/api/v1/users/" + r.value.id);
  return res;
}

namespace {

// The new tokens; the user they were issued to becomes the audit record's actor, as the caller
// of any authenticated route is.
api_response issued(const request_context& c, const token_pair& t) {
  if (c.trace) {
    principal who;
    who.user_id = t.user_id;
    who.session_id = t.session_id;
    who.kind = "user";
    c.trace->who = std::move(who);
  }
  return json_response(200, token_pair_json(t));
}

}  // namespace

api_response login(const request_context& c) {
  auto parsed = parse_login(c.body);
  if (!parsed.ok()) return problem(*parsed.error, c);
  parsed.value.client = {c.req.remote_ip, c.req.header("User-Agent").value_or("")};
  parsed.value.deadline = c.deadline;
  auto r = c.env.svc.ask(std::move(parsed.value));
  if (!r.ok()) return problem(*r.error, c);
  return issued(c, r.value);
}

api_response refresh(const request_context& c) {
  auto parsed = parse_refresh(c.body);
  if (!parsed.ok()) return problem(*parsed.error, c);
  parsed.value.deadline = c.deadline;
  auto r = c.env.svc.ask(std::move(parsed.value));
  if (!r.ok()) return problem(*r.error, c);
  return issued(c, r.value);
}

api_response logout(const request_context& c) {
  return serve(
      c,
      [](const principal& who) {
        return with(session_logout{who, {}});
      },
      no_content);
}

api_response me(const request_context& c) {
  return serve(
      c,
      [](const principal& who) {
        return with(user_me{who, {}});
      },
      user_reply);
}

}  // namespace vutf::http
