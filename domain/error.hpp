// The one enum of domain errors. Every layer reports failures with it; http/problem.cpp maps
// it to an HTTP status in exactly one function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vutf {

enum class errc {
  ok,
  bad_request,             // malformed JSON or query
  validation_error,        // well-formed input that breaks field rules
  idempotency_key_reused,  // the same Idempotency-Key with another request
  not_found,               // also: another owner's resource, malformed ids
  method_not_allowed,      // known route, other method
  conflict,                // unique name taken
  quota_exceeded,          // a per-user limit (MAX_TARGETS_PER_USER, ...) reached
  no_baseline,             // a diff without a baseline, and no earlier completed scan to use
  precondition_failed,     // If-Match mismatch
  length_required,         // body without Content-Length or chunked encoding
  payload_too_large,       // body over MAX_REQUEST_SIZE
  unsupported_media_type,  // body that is not application/json
  uri_too_long,            // request line over the frontend's limit
  header_timeout,          // a request head not received within the head deadline
  unauthorized,
  forbidden,
  rate_limited,
  too_many_connections,  // over MAX_CONNECTIONS after the admission wait
  db_pool_exhausted,     // no connection within DATABASE_POOL_TIMEOUT
  db_unavailable,        // database down or connection lost
  request_timeout,       // REQUEST_TIMEOUT passed
  internal_error,
};

// Stable UPPER_SNAKE code of the error, as sent in problem+json `error_code`.
const char* error_code(errc e);

struct field_error {
  std::string field;
  std::string reason;
};

// A failure as it travels between layers: the code, a client-safe detail and, for
// validation errors, every bad field.
struct failure {
  errc code = errc::internal_error;
  std::string detail;
  std::vector<field_error> errors;
  int64_t retry_after_s = 0;  // rate_limited: seconds before trying again is worth it (0: unsaid)
};

}  // namespace vutf
