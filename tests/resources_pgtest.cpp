// Resources against a live PostgreSQL, where the failures showed: hostile bytes in a request no
// longer stop the audit trail, and a record the database refuses is dropped alone.
#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/ids.hpp"
#include "http/api.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

principal admin() {
  principal p = test::someone("auditor");
  p.roles = {"user", "admin"};
  return p;
}

audit_page audit_of(service& svc, const std::string& action) {
  audit_query q;
  q.action = action;
  q.per_page = 100;
  return svc.ask(audit_list{admin(), q, svc.deadline()}).value;
}

http::api_request anonymous(const std::string& method, const std::string& path,
                            http::header_list headers) {
  http::api_request r;
  r.method = method;
  r.path = path;
  r.headers = std::move(headers);
  r.remote_ip = "127.0.0.1";
  r.read_body = [](size_t) { return std::optional<std::string>(""); };
  return r;
}

struct pg_service {
  explicit pg_service(env_map env = {}) {
    log::configure("error", "json");
    env["DATABASE_URL"] = test::fresh_pg_database();
    env["RATE_LIMIT_ENABLED"] = "false";
    url = env["DATABASE_URL"];
    cfg = test::make_settings(env);
    svc = std::make_unique<service>(cfg, m);
  }
  std::string url;
  settings cfg;
  std::shared_ptr<metrics> m = std::make_shared<metrics>();
  std::unique_ptr<service> svc;
};

// Issue 9: `%FF` in a path or 0xFF in User-Agent made every later batch insert fail.
TEST(audit_pg, hostile_bytes_in_a_request_do_not_stop_the_audit_trail) {
  pg_service pg;
  http::api api(*pg.svc, *pg.m, pg.cfg);
  // cpp-httplib hands the path over percent-decoded: %FF arrives as the byte 0xFF.
  EXPECT_EQ(api.handle(anonymous("DELETE", "/api/v1/targets/\xFF%00",
                                 {{"User-Agent", std::string("agent\xFF\xC0\xAF", 8) +
                                                     std::string(1, '\0') + "x"}}))
                .status,
            401);
  EXPECT_EQ(api.handle(anonymous("DELETE", "/api/v1/targets/plain", {})).status, 401);
  audit_page page;
  ASSERT_TRUE(test::eventually([&] {
    page = audit_of(*pg.svc, "target.delete");
    return page.total == 2;
  })) << "audit records stored: "
      << page.total;
  const audit_record& hostile = page.items[1];  // newest first
  EXPECT_EQ(hostile.resource_id, "\xEF\xBF\xBD%00");
  EXPECT_EQ(hostile.user_agent, "agent\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(page.items[0].resource_id, "plain");
  EXPECT_EQ(pg.m->audit_records_rejected_total.Value(), 0);
}

// Whatever else the database may refuse, one record must not hold the others back.
TEST(audit_pg, a_record_the_database_refuses_is_dropped_alone) {
  pg_service pg;
  audit_record first;
  first.timestamp_ms = now_ms();
  first.id = make_time_ordered_uuid(first.timestamp_ms);
  first.request_id = "first";
  first.actor_type = "anonymous";
  first.action = "auth.login";
  first.outcome = "failure";
  first.status_code = 401;
  pg.svc->record(first);
  ASSERT_TRUE(test::eventually([&] { return audit_of(*pg.svc, "auth.login").total == 1; }));

  audit_record duplicate = first;  // the same id: the primary key refuses it
  duplicate.request_id = "duplicate";
  audit_record next = first;
  next.id = make_time_ordered_uuid(now_ms());
  next.request_id = "next";
  pg.svc->record(duplicate);
  pg.svc->record(next);
  audit_page page;
  ASSERT_TRUE(test::eventually([&] {
    page = audit_of(*pg.svc, "auth.login");
    return page.total == 2;
  })) << "audit records stored: "
      << page.total;
  EXPECT_EQ(page.items[0].request_id, "next");
  EXPECT_EQ(page.items[1].request_id, "first");
  EXPECT_EQ(pg.m->audit_records_rejected_total.Value(), 1);
}

}  // namespace
}  // namespace vutf
