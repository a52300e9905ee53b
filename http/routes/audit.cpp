// The audit trail (admins only): listing, one record, statistics and exports.
#include <memory>
#include <set>

#include "domain/findings.hpp"
#include "domain/ids.hpp"
#include "http/query.hpp"
#include "http/routes/audit_codec.hpp"
#include "http/routes/routes.hpp"

namespace vutf::http {
namespace {

// What the filters `action` and `resource_type` can match: the values the audited routes of
// route_table() record (a route's `action` or `resource`), sorted.
std::vector<std::string> audited(const char* route::*field) {
  std::set<std::string> values;
  for (const route& r : route_table())
    if (r.*field) values.insert(r.*field);
  return {values.begin(), values.end()};
}

// The records of an export after the first page, read while the client reads.
page_source export_pages(const request_context& c, std::vector<audit_record> first, bool csv,
                         const principal& admin, int64_t since, int64_t until) {
  auto page = std::make_shared<std::vector<audit_record>>(std::move(first));
  service& svc = c.env.svc;
  int64_t timeout = c.env.cfg.request_timeout;
  return [page, csv, &svc, admin, since, until, timeout](std::string& out) -> std::optional<bool> {
    for (const auto& a : *page) out += csv ? audit_csv_line(a) : audit_json(a) + "\n";
    if (page->size() < 500) return false;
    const audit_record& last = page->back();
    auto next = svc.ask(
        audit_export_page{admin, since, until, last.timestamp_ms, last.id,
                          std::chrono::steady_clock::now() + std::chrono::seconds(timeout)});
    if (!next.ok()) return std::nullopt;
    *page = std::move(next.value);
    return true;
  };
}

// A resource id: a UUID, or a finding's id (the resource of finding.triage).
query_param resource_id_param(std::string& out) {
  return {"resource_id", [&out](const std::string& v) -> std::optional<std::string> {
            out = v;
            if (!is_uuid(v) && !parse_finding_id(v)) return "must be a resource id";
            return std::nullopt;
          }};
}

}  // namespace

api_response list_audit(const request_context& c) {
  audit_query q;
  std::string order = "-timestamp";
  if (auto bad = parse_query(
          c,
          {page_param(q.page), per_page_param(q.per_page), timestamp_param("since", q.since_ms),
           timestamp_param("until", q.until_ms),
           id_param("actor_id", q.actor_id, "user or API key"),
           one_of("action", q.action, audited(&route::action)),
           one_of("resource_type", q.resource_type, audited(&route::resource)),
           resource_id_param(q.resource_id), either("outcome", q.outcome, {"success", "failure"}),
           either("sort", order, {"timestamp", "-timestamp"})}))
    return *bad;
  q.newest_first = order != "timestamp";
  return serve(
      c,
      [&](const principal& who) {
        return with(audit_list{who, q, {}});
      },
      [](const audit_page& p) { return json_response(200, audit_page_json(p)); });
}

api_response get_audit(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<audit_get> {
        auto id = path_id(c, "Record");
        if (!id.ok()) return {id.error, {}};
        return with(audit_get{who, id.value, {}});
      },
      [](const audit_record& a) { return json_response(200, audit_json(a)); });
}

api_response audit_statistics(const request_context& c) {
  int64_t since = 0, until = 0;
  if (auto bad = parse_query(c, {timestamp_param("since", since), timestamp_param("until", until)}))
    return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(audit_stats_get{who, since, until, {}});
      },
      [](const audit_stats& st) { return json_response(200, audit_stats_json(st)); });
}

api_response export_audit(const request_context& c) {
  int64_t since = 0, until = 0;
  std::string format = "ndjson";
  if (auto bad = parse_query(c, {timestamp_param("since", since), timestamp_param("until", until),
                                 either("format", format, {"csv", "ndjson"})}))
    return *bad;
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  // The first page now, so a refusal is a proper error; the rest while the client reads.
  auto first = c.env.svc.ask(audit_export_page{who.value, since, until, -1, "", c.deadline});
  if (!first.ok()) return problem(*first.error, c);
  bool csv = format == "csv";
  api_response r;
  r.content_type = csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
  r.headers.emplace_back("Content-Disposition", std::string("attachment; filename=\"audit.") +
                                                    (csv ? "csv" : "ndjson") + "\"");
  r.stream = paged_stream(csv ? audit_csv_header() : "",
                          export_pages(c, std::move(first.value), csv, who.value, since, until),
                          [] { return std::string(); });
  return r;
}

}  // namespace vutf::http
