// The webhook actor: a finished scan's summary is POSTed to its webhook_url, signed with
// SECRET_KEY and delivered through the gateway (its own circuit per origin), retried with backoff.
// It never touches the scan.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/caf_types.hpp"
#include "actors/gateway.hpp"
#include "domain/scan.hpp"

namespace vutf {

class metrics;

using webhook_actor =
    caf::typed_actor<caf::reacts_to<webhook_delivery>>;  // deliver (signed, with retries)

struct webhook_config {
  std::string signing_key;  // SECRET_KEY (or the development key)
  int64_t max_attempts = 5;
  std::chrono::milliseconds retry_base{1000};  // backoff: base, 2x, 4x (+ jitter)
};

webhook_actor spawn_webhooks(caf::actor_system& sys, webhook_config cfg, gateway_actor gateway,
                             std::shared_ptr<metrics> m);

// The body POSTed to a scan's webhook_url when it ends.
std::string webhook_body(const scan& s);

// The call that delivers `body` to `url`, signed with `key`.
target_call webhook_call(const std::string& url, const std::string& body, const std::string& key);

}  // namespace vutf
