// The probe sets scans can run.
#include "domain/probes.hpp"

#include "http/query.hpp"
#include "http/routes/probe_codec.hpp"
#include "http/routes/routes.hpp"

namespace vutf::http {

api_response list_probes(const request_context& c) {
  int64_t page = 1, per_page = 20;
  if (auto bad = paging_only(c, page, per_page)) return *bad;
  auto who = caller(c);  // the probe sets are static data: nothing to ask an actor
  if (!who.ok()) return problem(*who.error, c);
  return json_response(200, probe_page_json(probe_sets(), page, per_page));
}

}  // namespace vutf::http
