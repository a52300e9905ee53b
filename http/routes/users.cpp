// User administration (admins only; the users actor decides who may).
#include "http/query.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/user_codec.hpp"

namespace vutf::http {

api_response list_users(const request_context& c) {
  user_query q;
  if (auto bad = parse_query(
          c, {page_param(q.page), per_page_param(q.per_page), sort_param(q.sort, user_sort_keys()),
              search_param(q.q), flag("is_active", q.is_active),
              either("role", q.role, {"user", "admin"})}))
    return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(user_list{who, q, {}});
      },
      [](const user_page& p) { return json_response(200, user_page_json(p)); });
}

api_response get_user(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<user_get> {
        auto id = path_id(c, "User");
        if (!id.ok()) return {id.error, {}};
        return with(user_get{who, id.value, {}});
      },
      user_reply);
}

api_response update_user(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<user_update> {
        auto id = path_id(c, "User");
        if (!id.ok()) return {id.error, {}};
        auto parsed = parse_user_admin_patch(c.body);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(user_update{
            who, id.value, parsed.value, if_match_version(c.req.header("If-Match")), {}});
      },
      user_reply);
}

api_response delete_user(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<user_delete> {
        auto id = path_id(c, "User");
        if (!id.ok()) return {id.error, {}};
        return with(user_delete{who, id.value, {}});
      },
      no_content);
}

}  // namespace vutf::http
