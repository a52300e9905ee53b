#include "actors/health.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "config/time.hpp"
#include "metrics/metrics.hpp"

namespace vutf {
namespace {

struct health_state {
  std::unique_ptr<storage::connection> conn;
  static inline const char* name = "health";
};

using health_pointer = health_actor::stateful_pointer<health_state>;

dependency_check probe_database(health_pointer self, const health_config& cfg) {
  auto start = clock::now();
  try {
    auto& conn = self->state.conn;
    if (!conn) {
      conn = storage::connect(cfg.url, cfg.connect);
    } else if (!conn->alive()) {
      conn->reconnect();
    }
    conn->transact(storage::access::read, start + cfg.probe_timeout,
                   [](storage::session& s) { storage::ping(s); });
  } catch (const std::exception&) {
    self->state.conn.reset();  // start afresh next time
    return {"down", std::chrono::duration<double, std::milli>(clock::now() - start).count()};
  }
  return {"up", std::chrono::duration<double, std::milli>(clock::now() - start).count()};
}

health_actor::behavior_type health(health_pointer self, health_config cfg, cache_actor cache,
                                   std::shared_ptr<health_board> board,
                                   std::shared_ptr<metrics> m) {
  // Probes both dependencies and publishes; `then` receives the fresh snapshot.
  auto probe = [=](auto then) {
    health_snapshot snap;
    snap.database = probe_database(self, cfg);
    m->health_check_duration_seconds.with({"database"}).Observe(snap.database.latency_ms / 1000);
    self->request(cache, cfg.probe_timeout, probe_atom::value)
        .then(
            [=](dependency_check& c) mutable {
              snap.cache = c;
              m->health_check_duration_seconds.with({"cache"}).Observe(c.latency_ms / 1000);
              snap.probed_at_ms = now_ms();
              board->write(snap);
              then(snap);
            },
            [=](caf::error&) mutable {
              snap.cache = {"down", static_cast<double>(cfg.probe_timeout.count())};
              snap.probed_at_ms = now_ms();
              board->write(snap);
              then(snap);
            });
  };
  self->send(self, tick_atom::value);
  return {
      [=](probe_atom) -> caf::typed_response_promise<health_snapshot> {
        auto rp = self->make_response_promise<health_snapshot>();
        probe([rp](const health_snapshot& s) mutable { rp.deliver(s); });
        return rp;
      },
      [=](tick_atom) {
        probe([=](const health_snapshot&) {
          self->delayed_send(self, cfg.interval, tick_atom::value);
        });
      },
  };
}

}  // namespace

health_actor spawn_health(caf::actor_system& sys, health_config cfg, cache_actor cache,
                          std::shared_ptr<health_board> board, std::shared_ptr<metrics> m) {
  return sys.spawn<caf::detached>(health, std::move(cfg), std::move(cache), std::move(board),
                                  std::move(m));
}

}  // namespace vutf
