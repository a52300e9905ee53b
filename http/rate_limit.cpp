#include "http/rate_limit.hpp"

#include <prometheus/counter.h>

#include "config/time.hpp"
#include "metrics/metrics.hpp"

namespace vutf::http {

std::optional<failure> count(const request_context& c, const std::string& who) {
  const settings& cfg = c.env.cfg;
  if (!cfg.rate_limit_enabled || c.rate == rate_class::none) return std::nullopt;
  const char* name = "default";
  int64_t limit = cfg.rate_limit_per_minute;
  switch (c.rate) {
    case rate_class::login:
      name = "login", limit = 5;
      break;
    case rate_class::registration:
      name = "register", limit = 3;
      break;
    case rate_class::refresh:
      name = "refresh", limit = 10;
      break;
    case rate_class::polling:
      name = "poll", limit = cfg.rate_limit_poll_per_minute;
      break;
    default:
      break;
  }
  int64_t now = now_ms() / 1000;
  int64_t window = now - now % 60;
  auto hit = c.env.svc.ask(
      rate_hit{"ratelimit:" + std::string(name) + ":" + who + ":" + std::to_string(window),
               std::chrono::seconds(60)});
  if (!hit.count) {
    c.env.meters.rate_limit_fail_open_total.Increment();  // the store failed: never block on it
    return std::nullopt;
  }
  c.limits = rate_state{limit, std::max<int64_t>(0, limit - *hit.count), window + 60 - now};
  if (*hit.count <= limit) return std::nullopt;
  c.env.meters.rate_limited_total.Increment();
  return failure{errc::rate_limited,
                 "Too many requests: at most " + std::to_string(limit) + " per minute.",
                 {}};
}

}  // namespace vutf::http
