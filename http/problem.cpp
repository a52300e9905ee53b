#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace vutf::http {

int http_status(errc e) {
  switch (e) {
    case errc::ok:
      return 200;
    case errc::bad_request:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::method_not_allowed:
      return 405;
    case errc::conflict:
      return 409;
    case errc::quota_exceeded:
      return 409;
    case errc::no_baseline:
      return 409;
    case errc::length_required:
      return 411;
    case errc::precondition_failed:
      return 412;
    case errc::payload_too_large:
      return 413;
    case errc::unsupported_media_type:
      return 415;
    case errc::uri_too_long:
      return 414;
    case errc::header_timeout:
      return 408;
    case errc::validation_error:
      return 422;
    case errc::idempotency_key_reused:
      return 422;
    case errc::rate_limited:
      return 429;
    case errc::internal_error:
      return 500;
    case errc::too_many_connections:
      return 503;
    case errc::db_pool_exhausted:
      return 503;
    case errc::db_unavailable:
      return 503;
    case errc::request_timeout:
      return 504;
  }
  return 500;
}

errc error_for_status(int status) {
  switch (status) {
    case 400:
      return errc::bad_request;
    case 404:
      return errc::not_found;
    case 405:
      return errc::method_not_allowed;
    case 411:
      return errc::length_required;
    case 413:
      return errc::payload_too_large;
    case 408:
      return errc::header_timeout;
    case 414:
      return errc::uri_too_long;
    case 415:
      return errc::unsupported_media_type;
    case 503:
      return errc::too_many_connections;
    case 504:
      return errc::request_timeout;
    default:
      return status < 500 ? errc::bad_request : errc::internal_error;
  }
}

const char* status_title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

std::string problem_body(errc code, const std::string& detail, const std::string& instance,
                         const std::string& request_id, const std::vector<field_error>& errors) {
  int status = http_status(code);
  std::string slug = error_code(code);
  for (auto& c : slug) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  nlohmann::json body = {{"type", "https://violentutf.dev/problems/" + slug},
                         {"title", status_title(status)},
                         {"status", status},
                         {"detail", detail},
                         {"instance", instance},
                         {"request_id", request_id},
                         {"error_code", error_code(code)}};
  if (code == errc::validation_error) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : errors) list.push_back({{"field", e.field}, {"reason", e.reason}});
    body["errors"] = list;
  }
  // Client text echoed in detail may be invalid UTF-8: replace it instead of failing.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vutf::http
