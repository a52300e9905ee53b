// The scheduler of two instances (two services on one PostgreSQL database) ticking at the same
// moment: every due run creates exactly one scan, across batches and slot after slot.
#include <gtest/gtest.h>

#include <thread>

#include "actors/service.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

struct instance {
  explicit instance(const settings& cfg) : svc(cfg, std::make_shared<metrics>()) {}
  service svc;
};

// Rounds of both instances at `now`, started together; what they did between them.
schedule_round both_at(instance& a, instance& b, int64_t now) {
  schedule_round ra, rb;
  std::thread other([&] { rb = b.svc.run_schedules(now); });
  ra = a.svc.run_schedules(now);
  other.join();
  EXPECT_GE(ra.created, 0) << "the round answered";
  EXPECT_GE(rb.created, 0) << "the round answered";
  return {ra.created + rb.created, ra.failed + rb.failed};
}

TEST(schedules_pg, two_instances_ticking_at_once_create_one_scan_per_due_run) {
  log::configure("error", "json");
  std::string url = test::fresh_pg_database();
  settings cfg = test::make_settings({{"DATABASE_URL", url},
                                      {"RATE_LIMIT_ENABLED", "false"},
                                      {"MAX_ACTIVE_SCANS_PER_USER", "10000"},
                                      {"MAX_SCHEDULES_PER_USER", "1000"},
                                      {"SCAN_WORKERS", "1"}});
  instance a(cfg), b(cfg);
  auto registered = a.svc.ask(user_register{"scheduled", "scheduled@example.com", "passw0rd-s",
                                            std::nullopt, a.svc.deadline()});
  ASSERT_TRUE(registered.ok());
  principal who = test::someone(registered.value.id);
  auto t = a.svc.ask(target_create{who, test::sample_target("scheduled"), a.svc.deadline()});
  ASSERT_TRUE(t.ok());
  // More schedules than one claim takes (100), so the rounds claim in several batches.
  constexpr int schedules = 130;
  int64_t start = now_ms();
  for (int i = 0; i < schedules; ++i) {
    schedule_fields f;
    f.target_id = t.value.id;
    f.probes = std::vector<std::string>{"jailbreak"};
    f.interval_seconds = 60;
    auto created = (i % 2 ? a : b).svc.ask(schedule_create{who, f, a.svc.deadline()});
    ASSERT_TRUE(created.ok()) << created.error->detail;
  }
  for (int slot = 1; slot <= 3; ++slot) {
    // Just past each schedule's slot (they were created within the last minute).
    schedule_round r = both_at(a, b, start + int64_t{slot} * 60000 + 59000);
    EXPECT_EQ(r.created, schedules) << "slot " << slot;
    EXPECT_EQ(r.failed, 0);
  }
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM scans WHERE schedule_id IS NOT NULL"),
            std::to_string(3 * schedules));
  EXPECT_EQ(test::pg_query(url,
                           "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM scans GROUP BY "
                           "schedule_id) AS per_schedule"),
            "3")
      << "three scans per schedule, one per slot";
  EXPECT_EQ(test::pg_query(url, "SELECT COUNT(*) FROM schedules WHERE lease_until IS NOT NULL"),
            "0")
      << "every claimed run let go of its lease";
}

}  // namespace
}  // namespace vutf
