#include "domain/error.hpp"

namespace vutf {

const char* error_code(errc e) {
  switch (e) {
    case errc::ok:
      return "OK";
    case errc::bad_request:
      return "BAD_REQUEST";
    case errc::validation_error:
      return "VALIDATION_ERROR";
    case errc::idempotency_key_reused:
      return "IDEMPOTENCY_KEY_REUSED";
    case errc::not_found:
      return "NOT_FOUND";
    case errc::method_not_allowed:
      return "METHOD_NOT_ALLOWED";
    case errc::conflict:
      return "CONFLICT";
    case errc::quota_exceeded:
      return "QUOTA_EXCEEDED";
    case errc::no_baseline:
      return "NO_BASELINE";
    case errc::precondition_failed:
      return "PRECONDITION_FAILED";
    case errc::length_required:
      return "LENGTH_REQUIRED";
    case errc::payload_too_large:
      return "PAYLOAD_TOO_LARGE";
    case errc::unsupported_media_type:
      return "UNSUPPORTED_MEDIA_TYPE";
    case errc::uri_too_long:
      return "URI_TOO_LONG";
    case errc::header_timeout:
      return "HEADER_TIMEOUT";
    case errc::unauthorized:
      return "UNAUTHORIZED";
    case errc::forbidden:
      return "FORBIDDEN";
    case errc::rate_limited:
      return "RATE_LIMITED";
    case errc::too_many_connections:
      return "TOO_MANY_CONNECTIONS";
    case errc::db_pool_exhausted:
      return "DB_POOL_EXHAUSTED";
    case errc::db_unavailable:
      return "DB_UNAVAILABLE";
    case errc::request_timeout:
      return "REQUEST_TIMEOUT";
    case errc::internal_error:
      return "INTERNAL_ERROR";
  }
  return "INTERNAL_ERROR";
}

}  // namespace vutf
