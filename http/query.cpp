#include "http/query.hpp"

#include <algorithm>
#include <ctime>

#include "config/strings.hpp"
#include "domain/ids.hpp"

namespace vutf::http {
namespace {

using reading = std::optional<std::string>;

// Reads an RFC 3339 UTC timestamp (as this API writes them) into ms; false if it is not one.
bool parse_timestamp(const std::string& text, int64_t& ms) {
  std::tm tm{};
  int millis = 0;
  int n = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
    return false;
  std::string rest = text.substr(static_cast<size_t>(n));
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = rest.find_first_not_of("0123456789", 1);
    std::string frac = rest.substr(1, digits == std::string::npos ? std::string::npos : digits - 1);
    if (frac.empty() || frac.size() > 9) return false;
    millis = std::stoi((frac + "00").substr(0, 3));
    rest = digits == std::string::npos ? "" : rest.substr(digits);
  }
  if (rest.size() != 1 || (rest[0] != 'Z' && rest[0] != 'z')) return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  ms = static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
  return true;
}

bool listed(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

query_param page_param(int64_t& page) {
  return {"page", [&page](const std::string& v) -> reading {
            // At most nine digits (parse_positive), so (page - 1) * per_page never overflows.
            if (!parse_positive(v, page) || page < 1) return "must be an integer in 1..999999999";
            return std::nullopt;
          }};
}

query_param per_page_param(int64_t& per_page) {
  return {"per_page", [&per_page](const std::string& v) -> reading {
            if (!parse_positive(v, per_page) || per_page < 1 || per_page > 100)
              return "must be an integer in 1..100";
            return std::nullopt;
          }};
}

query_param sort_param(std::string& sort, const std::vector<std::string>& keys) {
  return {"sort", [&sort, &keys](const std::string& v) -> reading {
            if (!listed(keys, v.rfind('-', 0) == 0 ? v.substr(1) : v))
              return "must be one of " + join(keys, ", ") + ", optionally prefixed by -";
            sort = v;
            return std::nullopt;
          }};
}

query_param search_param(std::string& q) {
  return {"q", [&q](const std::string& v) -> reading {
            q = v;
            if (v.size() > 200) return "must be at most 200 characters";
            return std::nullopt;
          }};
}

query_param one_of(const char* name, std::string& out, std::vector<std::string> values) {
  return {name, [&out, values = std::move(values)](const std::string& v) -> reading {
            out = v;
            if (!listed(values, v)) return "must be one of " + join(values, ", ");
            return std::nullopt;
          }};
}

query_param either(const char* name, std::string& out, std::vector<std::string> values) {
  return {name, [&out, values = std::move(values)](const std::string& v) -> reading {
            out = v;
            if (listed(values, v)) return std::nullopt;
            std::vector<std::string> but_last(values.begin(), values.end() - 1);
            return "must be " + join(but_last, ", ") + " or " + values.back();
          }};
}

query_param flag(const char* name, std::optional<bool>& out) {
  return {name, [&out](const std::string& v) -> reading {
            out = v == "true";
            if (v != "true" && v != "false") return "must be true or false";
            return std::nullopt;
          }};
}

query_param id_param(const char* name, std::string& out, const char* thing) {
  return {name, [&out, thing](const std::string& v) -> reading {
            out = v;
            if (!is_uuid(v)) return "must be a " + std::string(thing) + " id";
            return std::nullopt;
          }};
}

query_param timestamp_param(const char* name, int64_t& ms) {
  return {name, [&ms](const std::string& v) -> reading {
            if (!parse_timestamp(v, ms))
              return "must be an RFC 3339 UTC timestamp such as 2026-01-02T03:04:05.000Z";
            return std::nullopt;
          }};
}

bool parse_positive(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoll(s);
  return true;
}

std::optional<api_response> parse_query(const request_context& c, const query_spec& spec) {
  std::vector<field_error> errors;
  for (const auto& [key, value] : c.req.query) {
    auto param = std::find_if(spec.begin(), spec.end(),
                              [&key = key](const query_param& p) { return p.name == key; });
    if (param == spec.end()) {
      errors.push_back({key, "unknown query parameter"});
    } else if (auto wrong = param->read(value)) {
      errors.push_back({key, std::move(*wrong)});
    }
  }
  if (errors.empty()) return std::nullopt;
  return invalid_query(c, errors);
}

std::optional<api_response> paging_only(const request_context& c, int64_t& page,
                                        int64_t& per_page) {
  return parse_query(c, {page_param(page), per_page_param(per_page)});
}

api_response invalid_query(const request_context& c, const std::vector<field_error>& errors) {
  return problem(errc::validation_error, "The query is invalid.", c.req.path, c.request_id, errors);
}

}  // namespace vutf::http
