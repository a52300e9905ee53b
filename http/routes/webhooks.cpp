// Webhooks: the caller's receivers of events. The secret is shown on creation and rotation only.
#include "http/query.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/webhook_codec.hpp"

namespace vutf::http {

api_response create_webhook(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<webhook_create> {
        auto parsed = parse_webhook_create(c.body, c.env.outbound);
        if (parsed.ok()) parsed.value.who = who;
        return parsed;
      },
      [](const webhook& w) {
        api_response r = json_response(201, webhook_json(w, true));
        // Names the webhook (DELETE, rotate) and gives its audit record the resource id.
        r.headers.emplace_back("Location", "/api/v1/webhooks/" + w.id);
        return r;
      });
}

api_response list_webhooks(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(webhook_list{who, page, per_page, {}});
      },
      [](const webhook_page& p) { return json_response(200, webhook_page_json(p)); });
}

api_response delete_webhook(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<webhook_delete> {
        auto id = path_id(c, "Webhook");
        if (!id.ok()) return {id.error, {}};
        return with(webhook_delete{who, id.value, {}});
      },
      no_content);
}

api_response rotate_webhook(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<webhook_rotate> {
        auto id = path_id(c, "Webhook");
        if (!id.ok()) return {id.error, {}};
        return with(webhook_rotate{who, id.value, {}});
      },
      [](const webhook& w) { return json_response(200, webhook_json(w, true)); });
}

}  // namespace vutf::http
