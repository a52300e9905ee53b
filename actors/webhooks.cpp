#include "actors/webhooks.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/backoff.hpp"
#include "config/log.hpp"
#include "domain/scan_json.hpp"
#include "metrics/metrics.hpp"

namespace vutf {

std::string webhook_body(const scan& s) {
  json_writer w;
  w.begin_object().key("event").value("scan." + s.status).key("scan");
  write_scan(w, s);  // the API's representation, so a client parses one shape
  w.end_object();
  return w.take();
}

target_call webhook_call(const std::string& url, const std::string& body, const std::string& key) {
  target_call c;
  c.circuit = "webhook:" + url_origin(url);
  c.kind = "webhook";
  c.max_concurrency = 4;
  c.call.url = url;
  c.call.body = body;
  c.call.timeout = std::chrono::seconds(10);
  c.call.headers = {{"X-Signature", webhook_signature(key, body)},
                    {"X-Webhook-Event", "scan.finished"}};
  return c;
}

namespace {

webhook_actor::behavior_type webhooks(webhook_actor::pointer self, webhook_config cfg,
                                      gateway_actor gateway, std::shared_ptr<metrics> m) {
  // One attempt's outcome: delivered, retried later, or given up after max_attempts.
  auto settle = [=](const webhook_delivery& d, const outbound_reply& r) {
    if (r.answered_2xx()) {
      m->webhook_deliveries_total.with({"delivered"}).Increment();
      return;
    }
    if (d.attempt >= cfg.max_attempts) {
      m->webhook_deliveries_total.with({"failed"}).Increment();
      log::warning("webhook not delivered; giving up", {{"url", url_origin(d.url)},
                                                        {"attempts", std::to_string(d.attempt)},
                                                        {"error", r.error}});
      return;
    }
    m->webhook_deliveries_total.with({"retried"}).Increment();
    webhook_delivery next = d;
    ++next.attempt;
    self->delayed_send(self, backoff(cfg.retry_base, d.attempt), next);
  };
  return {
      [=](webhook_delivery& d) {
        auto call = webhook_call(d.url, d.body, cfg.signing_key);
        auto bound = gateway_reply_bound(call);
        self->request(gateway, bound, std::move(call))
            .then([=](outbound_reply& r) { settle(d, r); },
                  [=](caf::error&) { settle(d, gateway_silence()); });
      },
  };
}

}  // namespace

webhook_actor spawn_webhooks(caf::actor_system& sys, webhook_config cfg, gateway_actor gateway,
                             std::shared_ptr<metrics> m) {
  return sys.spawn(webhooks, std::move(cfg), std::move(gateway), std::move(m));
}

}  // namespace vutf
