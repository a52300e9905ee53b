// RFC 7807 problem+json bodies and the one mapping from domain errors to HTTP status.
#pragma once

#include <string>
#include <vector>

#include "domain/error.hpp"

namespace vutf::http {

// The only place a domain error becomes an HTTP status.
int http_status(errc e);

// The error a status stands for when the frontend (not a domain reply) produced it; a status
// without an error of its own (e.g. 416 for a malformed Range header) stands for bad_request.
errc error_for_status(int status);

const char* status_title(int status);

// {"type","title","status","detail","instance","request_id","error_code"[,"errors"]}
std::string problem_body(errc code, const std::string& detail, const std::string& instance,
                         const std::string& request_id,
                         const std::vector<field_error>& errors = {});

}  // namespace vutf::http
