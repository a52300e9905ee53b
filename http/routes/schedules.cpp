// Scan schedules: the caller's scans run on a cron expression or an interval.
#include "http/query.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/schedule_codec.hpp"

namespace vutf::http {
namespace {

api_response schedule_reply(const schedule& s) {
  return with_etag(json_response(200, schedule_json(s)), s.version);
}

}  // namespace

api_response create_schedule(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<schedule_create> {
        auto parsed = parse_schedule(c.body, true);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(schedule_create{who, parsed.value, {}});
      },
      [](const schedule& s) {
        api_response r = with_etag(json_response(201, schedule_json(s)), s.version);
        // Names the schedule and gives its audit record the resource id.
        r.headers.emplace_back("Location", "/api/v1/schedules/" + s.id);
        return r;
      });
}

api_response list_schedules(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(schedule_list{who, page, per_page, {}});
      },
      [](const schedule_page& p) { return json_response(200, schedule_page_json(p)); });
}

api_response get_schedule(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<schedule_get> {
        auto id = path_id(c, "Schedule");
        if (!id.ok()) return {id.error, {}};
        return with(schedule_get{who, id.value, {}});
      },
      schedule_reply);
}

api_response update_schedule(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<schedule_update> {
        auto id = path_id(c, "Schedule");
        if (!id.ok()) return {id.error, {}};
        auto parsed = parse_schedule(c.body, false);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(schedule_update{
            who, id.value, parsed.value, if_match_version(c.req.header("If-Match")), {}});
      },
      schedule_reply);
}

api_response delete_schedule(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<schedule_delete> {
        auto id = path_id(c, "Schedule");
        if (!id.ok()) return {id.error, {}};
        return with(schedule_delete{who, id.value, if_match_version(c.req.header("If-Match")), {}});
      },
      no_content);
}

}  // namespace vutf::http
