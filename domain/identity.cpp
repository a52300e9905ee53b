#include "domain/identity.hpp"

#include <algorithm>

#include "config/strings.hpp"
#include "config/time.hpp"

namespace vutf {

namespace {
bool has_role(const std::vector<std::string>& roles, const char* role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}
}  // namespace

bool user::is_admin() const {
  return has_role(roles, "admin");
}
bool principal::is_admin() const {
  return has_role(roles, "admin");
}
bool principal::may_write() const {
  return kind != "api_key" || has_role(scopes, "write");
}

std::optional<failure> bound_by_parent(const api_key& parent, api_key& child, bool inherit_expiry) {
  std::vector<std::string> lacking;
  for (const auto& scope : child.scopes)
    if (!has_role(parent.scopes, scope.c_str())) lacking.push_back(scope);
  if (!lacking.empty())
    return failure{errc::forbidden,
                   "An API key cannot grant scopes it does not have: " + join(lacking, ", ") + ".",
                   {}};
  if (!parent.expires_at_ms) return std::nullopt;
  if (!child.expires_at_ms && inherit_expiry) child.expires_at_ms = parent.expires_at_ms;
  if (child.expires_at_ms && *child.expires_at_ms <= *parent.expires_at_ms) return std::nullopt;
  return failure{errc::validation_error,
                 "A key made with an API key cannot outlive it.",
                 {{"expires_in_days", "must not outlive the API key that creates it (it expires " +
                                          format_timestamp(*parent.expires_at_ms) + ")"}}};
}

const std::vector<std::string>& user_sort_keys() {
  static const std::vector<std::string> keys = {"created_at", "username", "email", "last_login_at"};
  return keys;
}

std::optional<field_error> check_email(const std::string& email) {
  size_t at = email.find('@');
  bool ok = email.size() >= 3 && email.size() <= 254 && at != std::string::npos && at > 0 &&
            email.find('@', at + 1) == std::string::npos &&
            email.find('.', at) != std::string::npos && email.back() != '.' &&
            email.find_first_of(" \t\r\n<>\"") == std::string::npos;
  if (ok) return std::nullopt;
  return field_error{"email", "must be an email address (at most 254 characters)"};
}

std::optional<field_error> check_password(const std::string& password, const std::string& username,
                                          const char* field) {
  bool letter = std::any_of(password.begin(), password.end(),
                            [](unsigned char c) { return std::isalpha(c) || c >= 0x80; });
  bool digit = std::any_of(password.begin(), password.end(),
                           [](unsigned char c) { return std::isdigit(c); });
  if (password.size() < 8 || password.size() > 128 || !letter || !digit)
    return field_error{field, "must be 8-128 characters with at least one letter and one digit"};
  if (password == username) return field_error{field, "must not equal the username"};
  return std::nullopt;
}

std::vector<field_error> validate_registration(const std::string& username,
                                               const std::string& email,
                                               const std::string& password) {
  std::vector<field_error> errors;
  bool name_ok = username.size() >= 3 && username.size() <= 64 &&
                 std::all_of(username.begin(), username.end(), [](unsigned char c) {
                   return std::isalnum(c) || c == '_' || c == '.' || c == '-';
                 });
  if (!name_ok) errors.push_back({"username", "must be 3-64 characters of A-Z, a-z, 0-9, _ . -"});
  if (auto e = check_email(email)) errors.push_back(*e);
  if (auto e = check_password(password, username)) errors.push_back(*e);
  return errors;
}

}  // namespace vutf
