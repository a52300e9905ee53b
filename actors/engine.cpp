#include "actors/engine.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <unordered_map>

#include "actors/plumbing.hpp"
#include "actors/runner.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "metrics/metrics.hpp"
#include "storage/scan_store.hpp"

namespace vutf {
namespace {

struct engine_state {
  int64_t running = 0;
  bool busy = false;   // a housekeeping round is in flight
  bool again = false;  // ... and another was asked for meanwhile
  bool stopped = false;
  std::unordered_map<std::string, runner_actor> runners;  // by scan id
  std::unordered_map<std::string, int64_t> claims;        // the claim each runner holds, by scan id
  std::unordered_map<caf::actor_addr, std::string> scan_of;
  static inline const char* name = "scan-engine";
};

using engine_pointer = engine_actor::stateful_pointer<engine_state>;

// What one housekeeping round found: scans of dead instances put back (or failed), the running
// scans whose lease could not be renewed (cancelled, or claimed elsewhere), scans claimed, and
// the scans still queued after that.
struct housekeeping {
  std::pair<int64_t, int64_t> recovered;  // requeued, failed
  std::vector<std::string> lost;
  std::vector<scan> claimed;
  int64_t queued = 0;
};

void start_runner(engine_pointer self, const engine_env& env, scan claimed) {
  auto& st = self->state;
  log::info("scan started",
            {{"scan_id", claimed.id}, {"claim", claimed.claim}, {"total", claimed.total}});
  std::string id = claimed.id;
  int64_t claimed_claim = claimed.claim;
  auto a = spawn_runner(self, env, std::move(claimed));
  self->monitor(a);
  st.runners[id] = a;
  st.claims[id] = claimed_claim;
  st.scan_of[a.address()] = id;
  ++st.running;
  env.m->scans_running.Set(static_cast<double>(st.running));
}

// Renews the leases of this instance's running scans, puts the scans of dead instances back in
// the queue (failing those interrupted too often), then claims queued scans for the free workers.
// The engine renews for its runners: they run at background priority (actors/background.hpp), and
// a machine busy with requests must slow a scan down, never let its lease lapse so that another
// instance runs it a second time. One round at a time; a request for another round
// while one runs (a kick, a runner ending) is kept and served right after it.
void housekeep(engine_pointer self, const engine_env& env) {
  auto& st = self->state;
  if (st.stopped) return;
  if (st.busy) {
    st.again = true;
    return;
  }
  st.busy = true;
  db_task<housekeeping> task{
      "scan_housekeeping", storage::access::write, db_deadline(),
      [cfg = env.cfg, free = env.cfg.workers - st.running, held = st.claims](storage::session& s) {
        int64_t now = now_ms();
        housekeeping h;
        for (const auto& [id, claim] : held)
          if (!storage::renew_lease(s, id, claim, now + cfg.lease.count())) h.lost.push_back(id);
        h.recovered = storage::recover_orphans(s, now, cfg.max_claims);
        for (int64_t i = 0; i < free; ++i) {
          auto claimed = storage::claim_scan(s, cfg.instance_id, now, now + cfg.lease.count());
          if (!claimed) break;
          h.claimed.push_back(std::move(*claimed));
        }
        h.queued = storage::count_queued_scans(s);
        return h;
      }};
  request_db(
      self, env.keeper, std::move(task),
      [=](housekeeping h) {
        auto& st = self->state;
        st.busy = false;
        if (st.stopped) return;
        env.m->scans_queued.Set(static_cast<double>(h.queued));
        auto [requeued, failed] = h.recovered;
        if (requeued + failed > 0)
          log::warning("recovered scans of a stopped instance",
                       {{"requeued", requeued}, {"failed", failed}});
        for (const auto& id : h.lost)
          if (auto it = st.runners.find(id); it != st.runners.end())
            caf::anon_send(it->second, cancel_atom::value);  // it stops sending and ends
        for (auto& claimed : h.claimed) start_runner(self, env, std::move(claimed));
        if (requeued + failed > 0 || !h.claimed.empty())
          caf::anon_send(env.cache, cache_bump{{stats_scope}});
        if (st.again) {
          st.again = false;
          housekeep(self, env);
        }
      },
      [=](failure) { self->state.busy = false; });
}

engine_actor::behavior_type engine(engine_pointer self, engine_env env) {
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.scan_of.find(dm.source);
    if (it == st.scan_of.end()) return;
    st.runners.erase(it->second);
    st.claims.erase(it->second);
    st.scan_of.erase(it);
    --st.running;
    env.m->scans_running.Set(static_cast<double>(st.running));
    housekeep(self, env);
  });
  self->link_to(env.keeper);  // the keeper's connection closes with the engine
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        if (self->state.stopped) return;
        // Also claims what other instances queued: their kicks do not reach this one.
        housekeep(self, env);
        self->delayed_send(self, env.cfg.heartbeat, tick_atom::value);
      },
      [=](kick_atom) { housekeep(self, env); },
      [=](cancel_atom, const std::string& id) {
        auto it = self->state.runners.find(id);
        if (it != self->state.runners.end()) caf::anon_send(it->second, cancel_atom::value);
      },
      [=](status_atom) { return self->state.running; },
      [=](flush_atom) -> caf::typed_response_promise<bool> {
        auto& st = self->state;
        st.stopped = true;
        for (auto& [id, a] : st.runners) self->send_exit(a, caf::exit_reason::user_shutdown);
        auto rp = self->make_response_promise<bool>();
        db_task<nothing> task{"scan_release", storage::access::write, db_deadline(),
                              [instance = env.cfg.instance_id](storage::session& s) {
                                storage::release_scans(s, instance);
                                return nothing{};
                              }};
        request_db(
            self, env.keeper, std::move(task), [=](nothing) mutable { rp.deliver(true); },
            [=](failure) mutable { rp.deliver(false); });
        return rp;
      },
  };
}

}  // namespace

engine_actor spawn_engine(caf::actor_system& sys, engine_config cfg, db_pool_actor pool,
                          db_connection_actor keeper, cache_actor cache, gateway_actor gateway,
                          webhook_actor webhooks, std::shared_ptr<metrics> m) {
  return sys.spawn(engine,
                   engine_env{std::move(cfg), std::move(pool), std::move(keeper), std::move(cache),
                              std::move(gateway), std::move(webhooks), std::move(m)});
}

}  // namespace vutf
