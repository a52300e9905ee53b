// Throughput of service::ask, the hand-off every HTTP worker makes to the actors: `threads`
// threads each send `asks / threads` cheap messages and wait for every reply. Built with the
// project but not run by ctest; run it by hand on a quiet machine:
//
//   build/bench/ask_bench [threads=4] [asks=200000]
//
// Two messages: rate_hit (one in-process cache actor, no I/O) and target_get of a missing id
// (the targets actors, the cache, then the pool and SQLite in memory).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

#include "actors/service.hpp"
#include "config/settings.hpp"
#include "metrics/metrics.hpp"

namespace {

using namespace vutf;

// Runs `ask(thread, k)` `asks` times spread over `threads` threads; returns asks per second.
double rate(int threads, int asks, const std::function<bool(int, int)>& ask) {
  std::vector<std::thread> workers;
  std::vector<int> failures(threads, 0);
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int k = t; k < asks; k += threads)
        if (!ask(t, k)) ++failures[t];
    });
  for (auto& w : workers) w.join();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  for (int f : failures)
    if (f) std::fprintf(stderr, "%d asks failed\n", f);
  return asks / took.count();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  int asks = argc > 2 ? std::atoi(argv[2]) : 200000;
  auto parsed =
      parse_settings({}, {{"DATABASE_URL", "sqlite:///:memory:"}, {"LOG_LEVEL", "warning"}});
  if (!parsed.problems.empty()) {
    std::fprintf(stderr, "%s\n", parsed.problems.front().c_str());
    return 1;
  }
  service svc(parsed.values, std::make_shared<metrics>());
  principal who;
  who.user_id = "bench";
  who.roles = {"user"};
  who.kind = "user";
  // The first asks create each thread's caller and warm the caches.
  rate(threads, threads * 100, [&](int, int) {
    return svc.ask(rate_hit{"warm", std::chrono::seconds(60)}).count.has_value();
  });
  double hits = rate(threads, asks, [&](int t, int) {
    return svc.ask(rate_hit{"bench:" + std::to_string(t), std::chrono::seconds(60)})
        .count.has_value();
  });
  double gets = rate(threads, asks, [&](int, int) {
    auto r = svc.ask(target_get{who, "missing", svc.deadline()});
    return !r.ok() && r.error->code == errc::not_found;
  });
  std::printf("threads=%d asks=%d rate_hit=%.0f/s target_get(missing)=%.0f/s\n", threads, asks,
              hits, gets);
  return 0;
}
