#include "http/routes/audit_codec.hpp"

#include "config/time.hpp"
#include "domain/audit.hpp"
#include "http/codec_common.hpp"

namespace vutf::http {
namespace {

void write_audit(json_writer& w, const audit_record& a) {
  auto nullable = [&](const char* k, const std::string& v) {
    if (v.empty()) {
      w.key(k).null();
    } else {
      w.key(k).value(v);
    }
  };
  w.begin_object();
  w.key("id").value(a.id);
  w.key("timestamp").value(format_timestamp(a.timestamp_ms));
  w.key("request_id").value(a.request_id);
  nullable("actor_id", a.actor_id);
  w.key("actor_type").value(a.actor_type);
  w.key("action").value(a.action);
  nullable("resource_type", a.resource_type);
  nullable("resource_id", a.resource_id);
  w.key("outcome").value(a.outcome);
  w.key("status_code").value(a.status_code);
  nullable("ip", a.ip);
  nullable("user_agent", a.user_agent);
  w.key("duration_ms").value(a.duration_ms);
  w.end_object();
}

}  // namespace

std::string audit_json(const audit_record& a) {
  json_writer w;
  write_audit(w, a);
  return w.take();
}

std::string audit_page_json(const audit_page& p) {
  return page_json(p, write_audit);
}

std::string audit_stats_json(const audit_stats& s) {
  json_writer w;
  w.begin_object();
  w.key("total").value(s.total);
  auto counts = [&](const char* name, const std::map<std::string, int64_t>& m) {
    w.key(name).begin_object();
    for (const auto& [k, v] : m) w.key(k.c_str()).value(v);
    w.end_object();
  };
  counts("by_action", s.by_action);
  counts("by_outcome", s.by_outcome);
  w.key("by_day").begin_array();
  for (const auto& [day, n] : s.by_day) {
    w.begin_object().key("date").value(day).key("count").value(n).end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

std::string audit_csv_header() {
  return "id,timestamp,request_id,actor_id,actor_type,action,resource_type,resource_id,outcome,"
         "status_code,ip,user_agent,duration_ms\r\n";
}

std::string audit_csv_line(const audit_record& a) {
  return csv_field(a.id) + "," + format_timestamp(a.timestamp_ms) + "," + csv_field(a.request_id) +
         "," + csv_field(a.actor_id) + "," + csv_field(a.actor_type) + "," + csv_field(a.action) +
         "," + csv_field(a.resource_type) + "," + csv_field(a.resource_id) + "," +
         csv_field(a.outcome) + "," + std::to_string(a.status_code) + "," + csv_field(a.ip) + "," +
         csv_field(a.user_agent) + "," + std::to_string(a.duration_ms) + "\r\n";
}

}  // namespace vutf::http
