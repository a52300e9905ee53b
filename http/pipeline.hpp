// The conventions every request goes through, around its handler: routing, rate classes, body
// rules and Idempotency-Key (dispatch); request id, security headers, CORS, gzip, metrics and
// the access log (finish); the audit record of state-changing routes (audit).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "http/handler.hpp"

namespace vutf::http {

// Routes `req` and answers it through its handler, or with the routing or body problem;
// `t` learns the route and the caller.
api_response dispatch(const api_env& env, const api_request& req, const std::string& request_id,
                      std::chrono::steady_clock::time_point start, request_trace& t);

// Writes the audit record of a request to a route with an audit action.
void audit(const api_env& env, const api_request& req, const api_response& res,
           const std::string& request_id, std::chrono::steady_clock::time_point start,
           const request_trace& t);

// The trace id of a W3C `traceparent` header (version 00: "00-<32 hex>-<16 hex>-<2 hex>", lower
// case, neither id all zeros), to log with the request; nullopt when absent or malformed (a
// malformed one is ignored, as the W3C recommendation says, never an error).
std::optional<std::string> trace_id_of(const std::optional<std::string>& traceparent);

// Adds the headers every response carries, compresses the body when worth it, records the
// request's metrics and logs it.
void finish(const api_env& env, const api_request& req, api_response& res,
            const std::string& request_id, std::chrono::steady_clock::time_point start);

}  // namespace vutf::http
