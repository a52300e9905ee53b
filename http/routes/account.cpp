// The caller's sessions and account: listing and revoking sessions, profile, password.
#include "http/query.hpp"
#include "http/routes/account_codec.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/user_codec.hpp"

namespace vutf::http {

api_response list_sessions(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  std::string current;
  return serve(
      c,
      [&](const principal& who) {
        current = who.session_id;
        return with(session_list{who, {}});
      },
      [&](const std::vector<session_record>& sessions) {
        return json_response(200, session_page_json(sessions, current, page, per_page));
      });
}

api_response revoke_session(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<session_revoke> {
        auto id = path_id(c, "Session");
        if (!id.ok()) return {id.error, {}};
        return with(session_revoke{who, id.value, {}});
      },
      no_content);
}

api_response revoke_other_sessions(const request_context& c) {
  return serve(
      c,
      [](const principal& who) {
        return with(sessions_revoke_others{who, {}});
      },
      no_content);
}

api_response update_me(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<user_update_me> {
        auto parsed = parse_user_patch(c.body);
        if (!parsed.ok()) return parsed;
        parsed.value.who = who;
        parsed.value.if_match = if_match_version(c.req.header("If-Match"));
        return parsed;
      },
      user_reply);
}

api_response change_password(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<password_change> {
        auto parsed = parse_password_change(c.body);
        if (parsed.ok()) parsed.value.who = who;
        return parsed;
      },
      no_content);
}

}  // namespace vutf::http
