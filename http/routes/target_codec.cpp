#include "http/routes/target_codec.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "config/egress.hpp"
#include "config/time.hpp"
#include "http/codec_common.hpp"
#include "http/json_body.hpp"

namespace vutf::http {
namespace {

using nlohmann::json;

constexpr size_t max_headers = 50;

// "" when `value` is an object of at most 50 headers the target may send, else the reason.
std::string headers_problem(const json& value) {
  if (!value.is_object() || value.size() > max_headers)
    return "must be an object of at most 50 header names to string values";
  for (const auto& [name, v] : value.items()) {
    if (!v.is_string()) return "must map each header name to a string";
    if (std::string why = header_problem(name, v.get<std::string>()); !why.empty()) return why;
  }
  return "";
}

// The readers of one field's value: they store it or report its type problem.
struct field_reader {
  const std::string& key;
  const json& value;
  std::vector<field_error>& errors;

  void string(std::optional<std::string>& out) const {
    if (value.is_string()) {
      out = value.get<std::string>();
    } else {
      errors.push_back({key, "must be a string"});
    }
  }
  void nullable_string(std::optional<std::optional<std::string>>& out) const {
    if (value.is_null()) {
      out = std::optional<std::string>{};
    } else if (value.is_string()) {
      out = value.get<std::string>();
    } else {
      errors.push_back({key, "must be a string or null"});
    }
  }
  void nullable_integer(std::optional<std::optional<int64_t>>& out) const {
    if (value.is_null()) {
      out = std::optional<int64_t>{};
    } else if (value.is_number_integer()) {
      out = value.get<int64_t>();
    } else {
      errors.push_back({key, "must be an integer or null"});
    }
  }
  void integer(std::optional<int64_t>& out) const {
    if (value.is_number_integer()) {
      out = value.get<int64_t>();
    } else {
      errors.push_back({key, "must be an integer"});
    }
  }
};

// Reads the fields present in `j` into `p`; type problems and unknown fields go to `errors`.
target_patch read_fields(const json& j, const address_policy& policy,
                         std::vector<field_error>& errors) {
  static const std::set<std::string> known = {"name",
                                              "description",
                                              "kind",
                                              "endpoint_url",
                                              "model",
                                              "headers",
                                              "request_template",
                                              "response_path",
                                              "system_prompt",
                                              "timeout_seconds",
                                              "max_concurrency",
                                              "rate_limit_rpm"};
  target_patch p;
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      errors.push_back({key, "unknown field"});
      continue;
    }
    field_reader read{key, value, errors};
    if (key == "name") read.string(p.name);
    if (key == "kind") read.string(p.kind);
    if (key == "endpoint_url") read.string(p.endpoint_url);
    if (key == "description") read.nullable_string(p.description);
    if (key == "model") read.nullable_string(p.model);
    if (key == "response_path") read.nullable_string(p.response_path);
    if (key == "system_prompt") read.nullable_string(p.system_prompt);
    if (key == "rate_limit_rpm") read.nullable_integer(p.rate_limit_rpm);
    if (key == "timeout_seconds") read.integer(p.timeout_seconds);
    if (key == "max_concurrency") read.integer(p.max_concurrency);
    if (key == "request_template") {
      if (value.is_null()) {
        p.request_template_json = std::optional<std::string>{};
      } else {
        p.request_template_json = value.dump();
      }
    }
    if (key == "headers") {
      if (std::string why = headers_problem(value); why.empty()) {
        p.headers_json = value.dump();
      } else {
        errors.push_back({key, why});
      }
    }
  }
  // A literal address the policy refuses is a bad field now; a name is checked when called.
  if (p.endpoint_url && http_url_problem(*p.endpoint_url).empty())
    if (std::string why = outbound_url_problem(*p.endpoint_url, policy); !why.empty())
      errors.push_back({"endpoint_url", why});
  return p;
}

// The rules a change breaks whatever target it is applied to: applied to a valid target, the
// errors on the fields it sets. Rules that depend on the stored fields (http-json needs a
// template...) are checked by the targets actor on the changed target.
std::vector<field_error> patch_errors(const target_patch& p, const json& j) {
  target t;
  t.name = "valid";
  t.kind = "openai-chat";
  t.endpoint_url = "https://valid.example/";
  apply_patch(t, p);
  std::vector<field_error> own;
  for (auto& e : validate(t))
    if (j.contains(e.field)) own.push_back(std::move(e));
  return own;
}

void write(json_writer& w, const target& t) {
  w.begin_object();
  w.key("id").value(t.id);
  w.key("name").value(t.name);
  w.key("description").value(t.description);
  w.key("kind").value(t.kind);
  w.key("endpoint_url").value(t.endpoint_url);
  w.key("model").value(t.model);
  // Stored as the compact JSON text our own parser produced: emitted as is.
  if (t.request_template_json) {
    w.key("request_template").raw(*t.request_template_json);
  } else {
    w.key("request_template").null();
  }
  w.key("response_path").value(t.response_path);
  w.key("system_prompt").value(t.system_prompt);
  w.key("timeout_seconds").value(t.timeout_seconds);
  w.key("max_concurrency").value(t.max_concurrency);
  if (t.rate_limit_rpm) {
    w.key("rate_limit_rpm").value(*t.rate_limit_rpm);
  } else {
    w.key("rate_limit_rpm").null();
  }
  w.key("version").value(t.version);
  w.key("created_at").value(format_timestamp(t.created_at_ms));
  w.key("updated_at").value(format_timestamp(t.updated_at_ms));
  w.end_object();
}

}  // namespace

result<target> parse_target_create(const std::string& body, const address_policy& policy) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<target>{bad, {}};
  std::vector<field_error> errors;
  target_patch p = read_fields(j, policy, errors);
  for (const char* required : {"name", "kind", "endpoint_url"})
    if (!j.contains(required)) errors.push_back({required, "is required"});
  target t;
  apply_patch(t, p);
  add_unreported(validate(t), errors);
  if (!errors.empty())
    return result<target>::fail(errc::validation_error, "The target is invalid.", errors);
  if (!p.timeout_seconds) t.timeout_seconds = 0;  // the targets actor applies the default
  return result<target>{{}, t};
}

result<target_patch> parse_target_patch(const std::string& body, const address_policy& policy) {
  json j;
  if (auto bad = parse_json_object(body, j)) return result<target_patch>{bad, {}};
  std::vector<field_error> errors;
  target_patch p = read_fields(j, policy, errors);
  add_unreported(patch_errors(p, j), errors);
  if (!errors.empty())
    return result<target_patch>::fail(errc::validation_error, "The change is invalid.", errors);
  return result<target_patch>{{}, p};
}

std::string target_json(const target& t) {
  json_writer w;
  write(w, t);
  return w.take();
}

std::string target_page_json(const target_page& p) {
  return page_json(p, write);
}

}  // namespace vutf::http
