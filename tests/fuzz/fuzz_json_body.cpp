// The JSON body reader and every request body codec on arbitrary bytes: a bad body is an error
// result (400 or 422 later), never a crash, a hang or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/json_body.hpp"
#include "http/routes/account_codec.hpp"
#include "http/routes/api_key_codec.hpp"
#include "http/routes/auth_codec.hpp"
#include "http/routes/scan_codec.hpp"
#include "http/routes/target_codec.hpp"
#include "http/routes/user_codec.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vutf::http;
  const std::string body(reinterpret_cast<const char*>(data), size);
  nlohmann::json doc;
  auto failed = parse_json_object(body, doc);
  if (!failed && !doc.is_object()) __builtin_trap();  // the reader's promise
  (void)parse_target_create(body);
  (void)parse_target_patch(body);
  (void)parse_scan_create(body);
  (void)parse_register(body);
  (void)parse_login(body);
  (void)parse_refresh(body);
  (void)parse_user_patch(body);
  (void)parse_password_change(body);
  (void)parse_api_key_create(body);
  (void)parse_user_admin_patch(body);
  return 0;
}
