// Targets: the LLM endpoints scans run against, each owned by its creator.
#include "http/query.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/target_codec.hpp"

namespace vutf::http {
namespace {

api_response target_reply(const target& t) {
  return with_etag(json_response(200, target_json(t)), t.version);
}

}  // namespace

api_response list_targets(const request_context& c) {
  target_query q;
  if (auto bad = parse_query(c, {page_param(q.page), per_page_param(q.per_page),
                                 sort_param(q.sort, target_sort_keys()), search_param(q.q),
                                 one_of("kind", q.kind, {"openai-chat", "http-json"})}))
    return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(target_list{who, q, {}});
      },
      [](const target_page& p) { return json_response(200, target_page_json(p)); });
}

api_response create_target(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<target_create> {
        auto parsed = parse_target_create(c.body, c.env.outbound);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(target_create{who, parsed.value, {}});
      },
      [](const target& t) {
        api_response r = with_etag(json_response(201, target_json(t)), t.version);
        r.headers.emplace_back("Location", "/api/v1/targets/" + t.id);
        return r;
      });
}

api_response get_target(const request_context& c) {
  // One ask: the targets actor authenticates the caller itself. A malformed id is still 404
  // only to an authenticated caller.
  auto id = path_id(c, "Target");
  if (id.ok()) return serve_presented(c, target_fetch{{}, id.value, {}}, target_reply);
  return serve(
      c,
      [&](const principal&) -> result<target_get> {
        return {id.error, {}};
      },
      target_reply);
}

api_response update_target(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<target_update> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        auto parsed = parse_target_patch(c.body, c.env.outbound);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(target_update{
            who, id.value, parsed.value, if_match_version(c.req.header("If-Match")), {}});
      },
      target_reply);
}

api_response delete_target(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<target_delete> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        return with(target_delete{who, id.value, if_match_version(c.req.header("If-Match")), {}});
      },
      no_content);
}

}  // namespace vutf::http
