#include "actors/webhooks.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/backoff.hpp"
#include "actors/plumbing.hpp"
#include "config/log.hpp"
#include "config/time.hpp"
#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "metrics/metrics.hpp"
#include "storage/webhook_store.hpp"

namespace vutf {

namespace {

webhook_event scan_event(const scan& s, std::string type, std::optional<std::string> url) {
  webhook_event e;
  e.id = "msg_" + make_uuid();
  e.owner_id = s.owner_id;
  e.type = std::move(type);
  e.url = std::move(url);
  e.body = scan_event_body(e.type, s, now_ms());
  return e;
}

}  // namespace

webhook_event scan_ended(const scan& s) {
  return scan_event(s, scan_event_type(s), s.webhook_url);
}

webhook_event scan_regressed(const scan& s) {
  return scan_event(s, "scan.regressed", std::nullopt);
}

webhook_event schedule_failed(const schedule& s) {
  webhook_event e;
  e.id = "msg_" + make_uuid();
  e.owner_id = s.owner_id;
  e.type = "schedule.failed";
  e.body = schedule_event_body(s, now_ms());
  return e;
}

target_call webhook_call(const webhook& to, const std::string& message_id, int64_t timestamp_s,
                         const std::string& body) {
  target_call c;
  c.circuit = "webhook:" + url_origin(to.url);
  c.kind = "webhook";
  c.role = "webhook";
  c.max_concurrency = 4;
  c.call.url = to.url;
  c.call.body = body;
  c.call.timeout = std::chrono::seconds(10);
  c.call.headers = {
      {"webhook-id", message_id},
      {"webhook-timestamp", std::to_string(timestamp_s)},
      {"webhook-signature", identity::webhook_signature(to.secret, message_id, timestamp_s, body)}};
  return c;
}

namespace {

using webhooks_pointer = webhook_actor::pointer;

// Deliveries have no request behind them: their database work gets this long.
constexpr auto delivery_db_time = std::chrono::seconds(10);

db_task<result<webhook>> insert(const webhook& w, clock::time_point deadline) {
  return {"webhook_insert", storage::access::write, deadline, [w](storage::session& s) {
            storage::insert_webhook(s, w);
            return result<webhook>{{}, w};
          }};
}

db_task<result<webhook>> task_for(const webhook_rotate& r) {
  return {"webhook_rotate", storage::access::write, r.deadline,
          [r](storage::session& s) -> result<webhook> {
            std::string secret = identity::make_webhook_secret();
            if (!storage::set_webhook_secret(s, r.id, r.who.user_id, secret))
              return result<webhook>::fail(errc::not_found, "Webhook not found.");
            return result<webhook>{{}, *storage::find_webhook(s, r.id, r.who.user_id)};
          }};
}

// What deliveries share: the actor, its settings and where attempts go.
struct courier {
  webhooks_pointer self;
  webhook_config cfg;
  db_pool_actor pool;
  gateway_actor gateway;
  std::shared_ptr<metrics> m;

  // Sends `next` (the message of a failed attempt) again after the backoff, unless it was the
  // last attempt; true when it will be tried again.
  template <class Msg>
  bool again(Msg next) const {
    if (next.attempt >= cfg.max_attempts) return false;
    auto pause = backoff(cfg.retry_base, next.attempt);
    ++next.attempt;
    self->delayed_send(self, pause, std::move(next));
    return true;
  }

  // Finds who hears of `e` and starts one delivery to each.
  void fan_out(const webhook_event& e) const {
    db_task<std::vector<webhook>> task{"webhook_recipients", storage::access::read,
                                       clock::now() + delivery_db_time, [e](storage::session& s) {
                                         return storage::webhook_recipients(s, e.owner_id, e.type,
                                                                            e.url.value_or(""));
                                       }};
    auto c = *this;
    request_db(
        self, pool, std::move(task),
        [c, e](const std::vector<webhook>& to) {
          for (const auto& w : to) c.self->send(c.self, webhook_delivery{w.id, e.id, e.body, 1});
        },
        [c, e](const failure& f) {
          if (c.again(e)) return;
          log::warning("webhook event dropped: its recipients could not be read",
                       {{"type", e.type}, {"message_id", e.id}, {"error", f.detail}});
        });
  }

  // One attempt: reads the webhook (a deleted one gets nothing more; a rotated one is signed
  // with its new secret), signs now and sends.
  void attempt(const webhook_delivery& d) const {
    db_task<std::optional<webhook>> task{
        "webhook_get", storage::access::read, clock::now() + delivery_db_time,
        [id = d.webhook_id](storage::session& s) { return storage::find_webhook(s, id, "*"); }};
    auto c = *this;
    request_db(
        self, pool, std::move(task),
        [c, d](const std::optional<webhook>& to) {
          if (to) c.send(*to, d);
        },
        [c, d](const failure& f) {
          outbound_reply r;
          r.error = "the webhook could not be read: " + f.detail;
          c.settle(d, "", r);
        });
  }

  void send(const webhook& to, const webhook_delivery& d) const {
    auto call = webhook_call(to, d.message_id, now_ms() / 1000, d.body);
    auto bound = gateway_reply_bound(call);
    auto c = *this;
    std::string origin = url_origin(to.url);
    self->request(gateway, bound, std::move(call))
        .then([c, d, origin](outbound_reply& r) { c.settle(d, origin, r); },
              [c, d, origin](caf::error&) { c.settle(d, origin, gateway_silence()); });
  }

  // One attempt's outcome: delivered, retried later, or given up after max_attempts.
  void settle(const webhook_delivery& d, const std::string& origin, const outbound_reply& r) const {
    if (r.answered_2xx()) {
      m->webhook_deliveries_total.with({"delivered"}).Increment();
      return;
    }
    if (again(d)) {
      m->webhook_deliveries_total.with({"retried"}).Increment();
      return;
    }
    m->webhook_deliveries_total.with({"failed"}).Increment();
    log::warning("webhook not delivered; giving up", {{"url", origin},
                                                      {"webhook_id", d.webhook_id},
                                                      {"attempts", d.attempt},
                                                      {"error", r.error}});
  }
};

webhook_actor::behavior_type webhooks(webhooks_pointer self, webhook_config cfg, db_pool_actor pool,
                                      gateway_actor gateway, std::shared_ptr<metrics> m) {
  // No cache: webhooks are read only by their owner's list and by deliveries.
  plumbing<webhooks_pointer> p{self, pool, {}, {}};
  courier c{self, cfg, std::move(pool), std::move(gateway), std::move(m)};
  return {
      [=](webhook_create& k) {
        webhook w;
        w.created_at_ms = now_ms();
        w.id = make_time_ordered_uuid(w.created_at_ms);  // newest first, even in one millisecond
        w.owner_id = k.who.user_id;
        w.url = std::move(k.url);
        w.events = std::move(k.events);
        w.secret = identity::make_webhook_secret();
        auto rp = self->make_response_promise<result<webhook>>();
        if (auto errors = validate(w); !errors.empty())
          rp.deliver(result<webhook>::fail(errc::validation_error, "The webhook is invalid.",
                                           std::move(errors)));
        else
          p.relay(written_by(insert(w, k.deadline), k.who.user_id), rp,
                  "A webhook with this URL already exists.");
        return rp;
      },
      [=](webhook_list& l) {
        return p.answer(replica_read(
            db_task<result<webhook_page>>{
                "webhook_list", storage::access::read, l.deadline,
                [l](storage::session& s) {
                  return result<webhook_page>{
                      {},
                      read_page<webhook>(
                          l.page, l.per_page,
                          [&] { return storage::count_webhooks(s, l.who.user_id); },
                          [&] {
                            return storage::list_webhooks(s, l.who.user_id, l.page, l.per_page);
                          })};
                }},
            l.who.user_id));
      },
      [=](webhook_delete& d) {
        return p.answer(written_by(
            db_task<result<nothing>>{"webhook_delete", storage::access::write, d.deadline,
                                     [d](storage::session& s) -> result<nothing> {
                                       if (!storage::delete_webhook(s, d.id, d.who.user_id))
                                         return result<nothing>::fail(errc::not_found,
                                                                      "Webhook not found.");
                                       return result<nothing>{};
                                     }},
            d.who.user_id));
      },
      [=](webhook_rotate& r) { return p.answer(written_by(task_for(r), r.who.user_id)); },
      [=](webhook_event& e) { c.fan_out(e); },
      [=](webhook_delivery& d) { c.attempt(d); },
  };
}

}  // namespace

webhook_actor spawn_webhooks(caf::actor_system& sys, webhook_config cfg, db_pool_actor pool,
                             gateway_actor gateway, std::shared_ptr<metrics> m) {
  return sys.spawn(webhooks, std::move(cfg), std::move(pool), std::move(gateway), std::move(m));
}

}  // namespace vutf
