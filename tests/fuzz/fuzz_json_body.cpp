// The JSON body reader and every request body codec (probe sets' CSV and NDJSON imports too, and
// the finding ids of triage paths) on arbitrary bytes: a bad body is an error result (400 or 422
// later), never a crash, a hang or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/findings.hpp"
#include "http/json_body.hpp"
#include "http/routes/account_codec.hpp"
#include "http/routes/api_key_codec.hpp"
#include "http/routes/auth_codec.hpp"
#include "http/routes/probe_set_codec.hpp"
#include "http/routes/scan_codec.hpp"
#include "http/routes/target_codec.hpp"
#include "http/routes/user_codec.hpp"
#include "http/routes/webhook_codec.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf::http;
  const std::string body(reinterpret_cast<const char*>(data), size);
  nlohmann::json doc;
  auto failed = parse_json_object(body, doc);
  if (!failed && !doc.is_object()) __builtin_trap();  // the reader's promise
  // URLs are checked as in production (OUTBOUND_BLOCK_PRIVATE on).
  static const vutf::address_policy policy = vutf::make_address_policy(true, "");
  (void)parse_target_create(body, policy);
  (void)parse_target_patch(body, policy);
  (void)parse_webhook_create(body, policy);
  (void)parse_scan_create(body, 1000);
  (void)parse_triage(body);
  // The finding id of PATCH /scans/{id}/findings/{finding_id}: a path segment, as hostile.
  (void)vutf::parse_finding_id(body);
  // Probe sets in each media type the route takes (CSV and NDJSON with their query metadata).
  const header_list query = {
      {"id", "fuzzed"}, {"name", "Fuzzed"}, {"category", "LLM01"}, {"detector", "refusal"}};
  (void)parse_probe_set_create("application/json", body, {});
  (void)parse_probe_set_create("text/csv", body, query);
  (void)parse_probe_set_create("application/x-ndjson", body, query);
  (void)parse_probe_set_patch(body);
  (void)parse_register(body);
  (void)parse_login(body);
  (void)parse_refresh(body);
  (void)parse_user_patch(body);
  (void)parse_password_change(body);
  (void)parse_api_key_create(body);
  (void)parse_user_admin_patch(body);
  return 0;
}
