// Webhooks: a user's receivers of events, their field rules, and the events about scans they
// receive (the Standard Webhooks body; the signature is in domain/crypto.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/error.hpp"
#include "domain/page.hpp"
#include "domain/scan.hpp"
#include "domain/schedule.hpp"

namespace vutf {

struct webhook {
  std::string id;
  std::string owner_id;
  std::string url;                  // unique among the owner's webhooks
  std::vector<std::string> events;  // from webhook_events(), in the order given
  std::string secret;               // "whsec_..."; in responses only on creation and rotation
  int64_t created_at_ms = 0;
};
using webhook_page = page_of<webhook>;

// Every event a webhook can subscribe to.
const std::vector<std::string>& webhook_events();

// Every field rule the url and events of `w` break (empty when valid).
std::vector<field_error> validate(const webhook& w);

// The event a scan that ended is: "scan.completed", "scan.failed" or, for a cancelled scan,
// "scan.cancelled" (sent to the scan's webhook_url only: no webhook subscribes to it).
std::string scan_event_type(const scan& s);

// The body of an event about `s` at `at_ms`: {"type", "timestamp", "data"}, where `data` is the
// scan as GET /scans/{id} returns it.
std::string scan_event_body(const std::string& type, const scan& s, int64_t at_ms);

// The body of a schedule.failed event at `at_ms`: `data` is the schedule as GET /schedules/{id}
// returns it, its last_error saying why the run created no scan.
std::string schedule_event_body(const schedule& s, int64_t at_ms);

}  // namespace vutf
