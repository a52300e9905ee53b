#include "actors/metrics_actor.hpp"

#include <malloc.h>
#include <prometheus/gauge.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "metrics/metrics.hpp"

namespace vutf {
namespace {

// utime + stime in seconds and resident bytes, from /proc/self.
void sample_process(metrics& m) {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');  // the command name may contain spaces
  if (close != std::string::npos) {
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    // A counter only goes up: add what was used since the last sample (this actor alone adds).
    double used = static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
    double since = used - m.process_cpu_seconds_total.Value();
    if (since > 0) m.process_cpu_seconds_total.Increment(since);
  }
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  if (statm >> pages >> resident)
    m.process_resident_memory_bytes.Set(static_cast<double>(resident) * sysconf(_SC_PAGESIZE));
}

// Hands the free pages of every malloc arena back to the kernel. glibc gives threads arenas of
// their own (up to eight per core) and keeps what they freed: under W6 (256 connections, request
// threads, database and Redis threads) RSS rose from 70 to 140 MB in 100 s while the live heap
// stayed near 20 MB (heaptrack), and with it the soak's RSS growth. Trimmed once a second, RSS
// stays within the live heap's swings and the throughput did not move (docs/performance.md);
// fewer arenas (MALLOC_ARENA_MAX=2) also bounded it but cost a third of W6's throughput.
void release_free_memory() {
  malloc_trim(0);
}

metrics_actor::behavior_type sampler(metrics_actor::pointer self, std::shared_ptr<metrics> m,
                                     db_pool_actor pool, cache_actor cache,
                                     std::chrono::milliseconds interval) {
  auto& pool_mailbox = m->actor_mailbox_size.with({"db_pool"});
  auto& cache_mailbox = m->actor_mailbox_size.with({"cache"});
  m->scheduler_threads.Set(static_cast<double>(self->home_system().scheduler().num_workers()));
  self->send(self, tick_atom::value);
  return {
      [=, &pool_mailbox, &cache_mailbox](tick_atom) {
        sample_process(*m);  // first: the gauge shows what the process held, not what is left
        release_free_memory();
        self->request(pool, interval, status_atom::value)
            .then([&pool_mailbox](pool_status& s) { pool_mailbox.Set(s.mailbox); },
                  [](caf::error&) {});
        self->request(cache, interval, status_atom::value)
            .then(
                [&cache_mailbox, m](cache_status& s) {
                  cache_mailbox.Set(s.mailbox);
                  m->near_cache_entries.Set(static_cast<double>(s.near_entries));
                  m->list_index_keys.Set(static_cast<double>(s.list_keys));
                },
                [](caf::error&) {});
        self->delayed_send(self, interval, tick_atom::value);
      },
  };
}

}  // namespace

metrics_actor spawn_metrics_actor(caf::actor_system& sys, std::shared_ptr<metrics> m,
                                  db_pool_actor pool, cache_actor cache,
                                  std::chrono::milliseconds interval) {
  // Detached: reading /proc and trimming the arenas (which waits for each arena's lock) stay off
  // the scheduler's threads.
  return sys.spawn<caf::detached>(sampler, std::move(m), std::move(pool), std::move(cache),
                                  interval);
}

}  // namespace vutf
