// API keys: shown once on creation and rotation, listed without the secret, revoked at once.
#include "http/query.hpp"
#include "http/routes/api_key_codec.hpp"
#include "http/routes/routes.hpp"

namespace vutf::http {
namespace {

api_response key_created(const api_key_created& k) {
  return json_response(201, api_key_json(k.record, k.key));
}

// A new key also names itself in Location, as every created resource does (and so its audit
// record's resource_id); a rotation's record keeps the id of the key it rotated.
api_response key_made(const api_key_created& k) {
  api_response r = key_created(k);
  r.headers.emplace_back("Location", "/api/v1/api-keys/" + k.record.id);
  return r;
}

}  // namespace

api_response create_api_key(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<api_key_create> {
        auto parsed = parse_api_key_create(c.body);
        if (parsed.ok()) parsed.value.who = who;
        return parsed;
      },
      key_made);
}

api_response list_api_keys(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [](const principal& who) {
        return with(api_key_list{who, {}});
      },
      [&](const std::vector<api_key>& keys) {
        return json_response(200, api_key_page_json(keys, page, per_page));
      });
}

api_response revoke_api_key(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<api_key_revoke> {
        auto id = path_id(c, "API key");
        if (!id.ok()) return {id.error, {}};
        return with(api_key_revoke{who, id.value, {}});
      },
      no_content);
}

api_response rotate_api_key(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<api_key_rotate> {
        auto id = path_id(c, "API key");
        if (!id.ok()) return {id.error, {}};
        return with(api_key_rotate{who, id.value, {}});
      },
      key_created);
}

}  // namespace vutf::http
