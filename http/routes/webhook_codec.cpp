#include "http/routes/webhook_codec.hpp"

#include <algorithm>

#include "config/egress.hpp"
#include "config/time.hpp"
#include "http/codec_common.hpp"
#include "http/json_body.hpp"

namespace vutf::http {

using nlohmann::json;

namespace {

void write(json_writer& w, const webhook& h, bool with_secret) {
  w.begin_object();
  w.key("id").value(h.id);
  w.key("url").value(h.url);
  w.key("events").begin_array();
  for (const auto& e : h.events) w.value(e);
  w.end_array();
  if (with_secret) w.key("secret").value(h.secret);
  w.key("created_at").value(format_timestamp(h.created_at_ms));
  w.end_object();
}

// The events of a JSON array of strings, each once; false when `value` is not one.
bool read_events(const json& value, std::vector<std::string>& out) {
  if (!value.is_array()) return false;
  for (const auto& e : value) {
    if (!e.is_string()) return false;
    if (std::find(out.begin(), out.end(), e.get<std::string>()) == out.end())
      out.push_back(e.get<std::string>());
  }
  return true;
}

}  // namespace

result<webhook_create> parse_webhook_create(const std::string& body, const address_policy& policy) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<webhook_create>{bad, {}};
  std::vector<field_error> errors;
  webhook w;
  for (const auto& [key, value] : j.items()) {
    if (key == "url") {
      if (value.is_string()) w.url = value.get<std::string>();
      if (!value.is_string()) errors.push_back({key, "must be a string"});
    } else if (key == "events") {
      if (!read_events(value, w.events)) errors.push_back({key, "must be an array of strings"});
    } else {
      errors.push_back({key, "unknown field"});
    }
  }
  for (const char* required : {"url", "events"})
    if (!j.contains(required)) errors.push_back({required, "is required"});
  // A literal address the policy refuses is a bad field now; a name is checked when called.
  if (!w.url.empty() && http_url_problem(w.url).empty())
    if (std::string why = outbound_url_problem(w.url, policy); !why.empty())
      errors.push_back({"url", why});
  // The domain's rules too, for the fields not reported yet, so one answer lists every bad field.
  for (auto& e : validate(w)) {
    bool reported = std::any_of(errors.begin(), errors.end(),
                                [&](const field_error& x) { return x.field == e.field; });
    if (!reported) errors.push_back(std::move(e));
  }
  if (!errors.empty())
    return result<webhook_create>::fail(errc::validation_error, "The webhook is invalid.",
                                        std::move(errors));
  return result<webhook_create>{{}, webhook_create{{}, w.url, w.events, {}}};
}

std::string webhook_json(const webhook& w, bool with_secret) {
  json_writer out;
  write(out, w, with_secret);
  return out.take();
}

std::string webhook_page_json(const webhook_page& p) {
  return page_json(p, [](json_writer& w, const webhook& h) { write(w, h, false); });
}

}  // namespace vutf::http
