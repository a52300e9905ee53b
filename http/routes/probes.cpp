// Probe sets: the built-in ones and the caller's own (JSON, CSV or NDJSON imports), which scans
// can run, and the converters scans can send their prompts through.
#include "http/query.hpp"
#include "http/routes/probe_set_codec.hpp"
#include "http/routes/routes.hpp"

namespace vutf::http {
namespace {

api_response probe_set_reply(const probe_set& p) {
  return with_etag(json_response(200, probe_set_json_body(p)), p.version);
}

// The {id} of the path: a slug, or the set is not found (a malformed id is 404).
result<std::string> slug_id(const request_context& c) {
  std::string id = c.params.empty() ? std::string() : c.params.front();
  if (!is_probe_set_id(id))
    return result<std::string>::fail(errc::not_found, "Probe set not found.");
  return result<std::string>{{}, id};
}

}  // namespace

api_response list_probes(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(probe_catalog_get{who, page, per_page, {}});
      },
      [](const probe_set_page& p) { return json_response(200, probe_catalog_json(p)); });
}

// The converters are compiled in (domain/converters.hpp): there is nothing to ask the service,
// but the route is the callers' like GET /probes (authenticated, counted against their limit).
api_response list_converters(const request_context& c) {
  if (auto bad = parse_query(c, {})) return *bad;
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  return json_response(200, converters_json());
}

api_response list_probe_sets(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(probe_set_list{who, page, per_page, {}});
      },
      [](const probe_set_page& p) { return json_response(200, probe_set_page_json(p)); });
}

api_response create_probe_set(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<probe_set_create> {
        auto parsed = parse_probe_set_create(media_type(c.req), c.body, c.req.query);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(probe_set_create{who, std::move(parsed.value), {}});
      },
      [](const probe_set& p) {
        api_response r = with_etag(json_response(201, probe_set_json_body(p)), p.version);
        r.headers.emplace_back("Location", "/api/v1/probe-sets/" + p.id);
        return r;
      });
}

api_response get_probe_set(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<probe_set_get> {
        auto id = slug_id(c);
        if (!id.ok()) return {id.error, {}};
        return with(probe_set_get{who, id.value, {}});
      },
      probe_set_reply);
}

api_response update_probe_set(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<probe_set_update> {
        auto id = slug_id(c);
        if (!id.ok()) return {id.error, {}};
        // The import body rule lets a large set through; a change is JSON only.
        if (media_type(c.req) != "application/json")
          return result<probe_set_update>::fail(
              errc::unsupported_media_type, "A change to a probe set must be application/json.");
        auto parsed = parse_probe_set_patch(c.body);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(probe_set_update{who,
                                     id.value,
                                     std::move(parsed.value),
                                     if_match_version(c.req.header("If-Match")),
                                     {}});
      },
      probe_set_reply);
}

api_response delete_probe_set(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<probe_set_delete> {
        auto id = slug_id(c);
        if (!id.ok()) return {id.error, {}};
        return with(
            probe_set_delete{who, id.value, if_match_version(c.req.header("If-Match")), {}});
      },
      no_content);
}

}  // namespace vutf::http
