// The webhooks actor: a user's webhooks (created with a secret shown once, listed without it,
// deleted, rotated) and the delivery of events to them. An event goes to every webhook of its
// owner subscribed to it and to a scan's webhook_url; each delivery is signed with its webhook's
// own secret (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature), sent through
// the gateway (its own circuit per origin) and retried with backoff. It never touches the scan.
// Webhooks are not cached, so their secrets never reach Redis.
#pragma once

#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/caf_types.hpp"
#include "actors/db_pool.hpp"
#include "actors/gateway.hpp"
#include "domain/scan.hpp"
#include "domain/webhook.hpp"

namespace vutf {

class metrics;

using webhook_actor = caf::typed_actor<
    caf::replies_to<webhook_create>::with<result<webhook>>,     // validate, insert; secret once
    caf::replies_to<webhook_list>::with<result<webhook_page>>,  // the caller's, newest first
    caf::replies_to<webhook_delete>::with<result<nothing>>,     // no delivery after this
    caf::replies_to<webhook_rotate>::with<result<webhook>>,     // new secret, old one unused
    caf::reacts_to<webhook_event>,                              // fan out to the recipients
    caf::reacts_to<webhook_delivery>>;                          // one signed attempt

struct webhook_config {
  int64_t max_attempts = 5;
  std::chrono::milliseconds retry_base{1000};  // backoff: base, 2x, 4x (+ jitter)
};

webhook_actor spawn_webhooks(caf::actor_system& sys, webhook_config cfg, db_pool_actor pool,
                             gateway_actor gateway, std::shared_ptr<metrics> m);

// The event a scan that ended is, for its owner's webhooks and its webhook_url, with a new
// message id.
webhook_event scan_ended(const scan& s);
// The scan.regressed event of a scheduled scan `s` that completed with findings its baseline did
// not have, for its owner's webhooks subscribed to it.
webhook_event scan_regressed(const scan& s);
// The schedule.failed event of a run of `s` that created no scan (s.last_error says why), for
// its owner's webhooks subscribed to it.
webhook_event schedule_failed(const schedule& s);

// The call that delivers event `message_id` (`body`) to `to`, signed with its secret at
// `timestamp_s` (unix seconds).
target_call webhook_call(const webhook& to, const std::string& message_id, int64_t timestamp_s,
                         const std::string& body);

}  // namespace vutf
