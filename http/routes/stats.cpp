// The overview statistics of the caller's targets, scans and findings, and what they cover of
// the OWASP and ATLAS frameworks.
#include "http/query.hpp"
#include "http/routes/routes.hpp"
#include "http/routes/scan_codec.hpp"

namespace vutf::http {

api_response stats(const request_context& c) {
  if (!c.req.query.empty())
    return invalid_query(c, {{c.req.query.front().first, "unknown query parameter"}});
  return serve(
      c,
      [&](const principal& who) {
        return with(stats_get{who, {}});
      },
      [](const stats_overview& s) { return json_response(200, stats_json(s)); });
}

api_response coverage(const request_context& c) {
  if (!c.req.query.empty())
    return invalid_query(c, {{c.req.query.front().first, "unknown query parameter"}});
  return serve(
      c,
      [&](const principal& who) {
        return with(coverage_get{who, {}});
      },
      [](const coverage_report& r) { return json_response(200, coverage_json(r)); });
}

}  // namespace vutf::http
