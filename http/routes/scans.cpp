// Scans of a target: testing the target first, starting, watching and cancelling scans, and
// reading their results, findings and report.
#include <memory>

#include "domain/findings.hpp"
#include "domain/scan_json.hpp"
#include "http/query.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/scan_codec.hpp"

namespace vutf::http {
namespace {

api_response results_of(const request_context& c, bool findings_only) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  return serve(
      c,
      [&](const principal& who) -> result<scan_results_get> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_results_get{who, id.value, findings_only, page, per_page, {}});
      },
      [](const result_page& p) { return json_response(200, result_page_json(p)); });
}

// The findings (or every result) of a report after its heading, a page at a time while the client
// reads, so a report of any size never sits whole in memory.
page_source report_pages(const request_context& c, report_format format, const principal& asker,
                         const std::string& scan_id, std::shared_ptr<bool> any) {
  auto after = std::make_shared<int64_t>(-1);  // the seq of the last finding sent
  service& svc = c.env.svc;
  int64_t timeout = c.env.cfg.request_timeout;
  return
      [after, any, format, &svc, asker, scan_id, timeout](std::string& out) -> std::optional<bool> {
        constexpr int64_t page = 500;
        auto next = svc.ask(
            scan_results_after{asker, scan_id, !report_has_every_result(format), *after, page,
                               std::chrono::steady_clock::now() + std::chrono::seconds(timeout)});
        if (!next.ok()) return std::nullopt;
        out += report_findings(format, next.value, !*any);
        if (!next.value.empty()) {
          *any = true;
          *after = next.value.back().seq;
        }
        return static_cast<int64_t>(next.value.size()) == page;
      };
}

}  // namespace

api_response test_target(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<target_test> {
        auto id = path_id(c, "Target");
        if (!id.ok()) return {id.error, {}};
        return with(target_test{who, id.value, {}});
      },
      [](const target_check& r) { return json_response(200, target_check_json(r)); });
}

api_response list_scans(const request_context& c) {
  scan_query q;
  if (auto bad = parse_query(
          c, {page_param(q.page), per_page_param(q.per_page),
              one_of("status", q.status, {"queued", "running", "completed", "failed", "cancelled"}),
              id_param("target_id", q.target_id, "target")}))
    return *bad;
  return serve(
      c,
      [&](const principal& who) {
        return with(scan_list{who, q, {}});
      },
      [](const scan_page& p) { return json_response(200, scan_page_json(p)); });
}

api_response create_scan(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<scan_create> {
        auto parsed = parse_scan_create(c.body, c.env.cfg.scan_max_prompts);
        if (!parsed.ok()) return {parsed.error, {}};
        return with(scan_create{who, parsed.value, {}});
      },
      [](const scan& s) {
        api_response r = json_response(202, scan_json(s));
        r.headers.emplace_back("Location", "/api/v1/scans/" + s.id);
        return r;
      });
}

api_response get_scan(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<scan_get> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_get{who, id.value, {}});
      },
      [&](const scan& s) { return conditional(c, json_response(200, scan_json(s))); });
}

api_response cancel_scan(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<scan_cancel> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_cancel{who, id.value, {}});
      },
      [](const scan& s) { return json_response(202, scan_json(s)); });
}

api_response scan_results(const request_context& c) {
  return results_of(c, false);
}

api_response scan_findings(const request_context& c) {
  return results_of(c, true);
}

api_response triage_finding(const request_context& c) {
  return serve(
      c,
      [&](const principal& who) -> result<finding_triage> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        // A finding id names its scan: one of another scan is not found under this one.
        auto finding = parse_finding_id(c.params.at(1));
        if (!finding || finding->first != id.value)
          return result<finding_triage>::fail(errc::not_found, "Finding not found.");
        auto change = parse_triage(c.body);
        if (!change.ok()) return {change.error, {}};
        return with(finding_triage{who, id.value, finding->second, change.value, {}});
      },
      [](const scan_result& r) { return json_response(200, finding_json(r)); });
}

api_response get_scan_diff(const request_context& c) {
  std::string baseline;
  if (auto bad = parse_query(c, {id_param("baseline", baseline, "scan")})) return *bad;
  return serve(
      c,
      [&](const principal& who) -> result<scan_diff_get> {
        auto id = path_id(c, "Scan");
        if (!id.ok()) return {id.error, {}};
        return with(scan_diff_get{
            who, id.value, baseline.empty() ? std::nullopt : std::optional(baseline), {}});
      },
      [](const scan_diff& d) { return json_response(200, scan_diff_json(d)); });
}

api_response get_scan_report(const request_context& c) {
  static const std::vector<std::pair<std::string, report_format>> formats = {
      {"json", report_format::json},   {"markdown", report_format::markdown},
      {"csv", report_format::csv},     {"html", report_format::html},
      {"junit", report_format::junit}, {"sarif", report_format::sarif}};
  std::string format_name = "json";
  std::vector<std::string> names;
  for (const auto& [name, f] : formats) names.push_back(name);
  if (auto bad = parse_query(c, {either("format", format_name, names)})) return *bad;
  report_format format = report_format::json;
  for (const auto& [name, f] : formats)
    if (name == format_name) format = f;
  auto who = caller(c);
  if (!who.ok()) return problem(*who.error, c);
  auto id = path_id(c, "Scan");
  if (!id.ok()) return problem(*id.error, c);
  // The heading now, so a missing scan is a proper 404; the findings while the client reads.
  auto head = c.env.svc.ask(scan_report_get{who.value, id.value, c.deadline});
  if (!head.ok()) return problem(*head.error, c);
  auto any = std::make_shared<bool>(false);  // whether a finding was sent
  api_response r;
  r.content_type = report_content_type(format);
  // A page that only styles itself: nothing a finding holds can run or load anything.
  if (format == report_format::html)
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                           "frame-ancestors 'none'");
  r.stream = paged_stream(report_head(format, head.value),
                          report_pages(c, format, who.value, id.value, any),
                          [any, format] { return report_tail(format, *any); });
  return r;
}

}  // namespace vutf::http
