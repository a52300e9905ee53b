#include "domain/scan_json.hpp"

#include <cstdio>

#include "config/time.hpp"

namespace vutf {

void write_severities(json_writer& w, const severity_counts& f) {
  w.begin_object();
  w.key("low").value(f.low);
  w.key("medium").value(f.medium);
  w.key("high").value(f.high);
  w.key("critical").value(f.critical);
  w.end_object();
}

std::string rate_text(double rate) {
  char out[32];
  std::snprintf(out, sizeof out, "%.4g", rate);
  return out;
}

void write_fail_rule(json_writer& w, const std::optional<fail_rule>& f) {
  if (!f) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("severity").value(f->severity);
  w.key("max_attack_success_rate");
  if (f->max_attack_success_rate) {
    w.raw(rate_text(*f->max_attack_success_rate));
  } else {
    w.null();
  }
  w.end_object();
}

void write_scan(json_writer& w, const scan& s) {
  w.begin_object();
  w.key("id").value(s.id);
  w.key("target_id").value(s.target_id);
  w.key("probes").begin_array();
  for (const auto& p : s.probes) w.value(p);
  w.end_array();
  w.key("probe_sets").begin_array();
  for (const auto& p : s.probe_sets) {
    w.begin_object();
    w.key("id").value(p.id);
    w.key("source").value(p.source);
    w.key("version").value(p.version);
    w.end_object();
  }
  w.end_array();
  w.key("converters").begin_array();
  for (const auto& c : s.converters) w.value(c);
  w.end_array();
  w.key("judge_target_id").value(s.judge_target_id);
  w.key("schedule_id").value(s.schedule_id);
  w.key("status").value(s.status);
  w.key("concurrency").value(s.concurrency);
  w.key("webhook_url").value(s.webhook_url);
  w.key("progress").begin_object();
  w.key("total").value(s.total);
  w.key("done").value(s.done);
  w.key("errors").value(s.errors);
  w.end_object();
  w.key("summary").begin_object();
  w.key("findings").value(s.findings.total());
  w.key("by_severity");
  write_severities(w, s.findings);
  w.key("attack_success_rate").raw(rate_text(attack_success_rate(s)));
  w.end_object();
  w.key("fail_on");
  write_fail_rule(w, s.fail_on);
  w.key("gate").value(gate_of(s));
  w.key("created_at").value(format_timestamp(s.created_at_ms));
  w.key("started_at").timestamp(s.started_at_ms);
  w.key("finished_at").timestamp(s.finished_at_ms);
  w.key("error").value(s.error);
  w.end_object();
}

std::string scan_json(const scan& s) {
  json_writer w;
  write_scan(w, s);
  return w.take();
}

}  // namespace vutf
