#include "http/idempotency.hpp"

#include <algorithm>
#include <sstream>

#include "domain/crypto.hpp"

namespace vutf::http {
namespace {

// The response kept for a key, as it is answered again.
api_response replay_of(const stored_response& first) {
  api_response replay;
  replay.status = static_cast<int>(first.status);
  replay.content_type = first.content_type;
  replay.body = first.body;
  std::stringstream lines(first.headers);
  std::string line;
  while (std::getline(lines, line))
    if (size_t colon = line.find(": "); colon != std::string::npos)
      replay.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  replay.headers.emplace_back("Idempotent-Replayed", "true");
  return replay;
}

// Keeps `r` under the key, or frees the key when the client should retry for real.
void settle(const request_context& c, const std::string& who, const std::string& key,
            const std::string& fingerprint, const api_response& r) {
  if (r.status >= 500 || r.status == 429) {
    c.env.svc.ask(idempotency_release{who, key, c.deadline});
    return;
  }
  stored_response keep{r.status, r.content_type, "", r.body, fingerprint};
  for (const auto& [name, value] : r.headers)
    if (name == "Location" || name == "ETag") keep.headers += name + ": " + value + "\n";
  c.env.svc.ask(idempotency_save{who, key, keep, c.deadline});
}

// What makes two requests the same: method, path and body, and, where a route reads them, the
// query (CSV and NDJSON imports take their metadata there) and a media type other than JSON.
// A JSON request without a query hashes as it always did, so keys stored before stay valid.
std::string request_text(const request_context& c) {
  std::string text = c.req.method + " " + c.req.path;
  for (const auto& [k, v] : c.req.query)
    text += "\n?" + std::to_string(k.size()) + ":" + k + "=" + std::to_string(v.size()) + ":" + v;
  std::string media = media_type(c.req);
  if (!media.empty() && media != "application/json") text += "\n@" + media;
  return text + "\n" + c.body;
}

}  // namespace

api_response idempotent(const request_context& c, const std::string& key, handler fn) {
  bool printable =
      !key.empty() && key.size() <= 255 &&
      std::all_of(key.begin(), key.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; });
  if (!printable)
    return problem(errc::validation_error, "The Idempotency-Key is invalid.", c.req.path,
                   c.request_id, {{"Idempotency-Key", "must be 1-255 printable ASCII characters"}});
  // Keys belong to the caller: the authenticated user or key, else the client address.
  credentials presented = presented_by(c.req);
  std::string who = "ip:" + c.req.remote_ip;
  if (!presented.bearer.empty() || !presented.api_key.empty()) {
    auto p = c.env.svc.ask(authenticate{presented, c.deadline});
    if (!p.ok()) return fn(c);  // the handler answers 401
    who = p.value.kind == "api_key" ? "key:" + p.value.key_id : "user:" + p.value.user_id;
  }
  std::string fingerprint = identity::sha256_hex(request_text(c));
  auto claim = c.env.svc.ask(idempotency_claim{who, key, fingerprint, c.deadline});
  if (!claim.ok()) return problem(*claim.error, c);
  if (claim.value) {
    if (claim.value->request_hash != fingerprint)
      return problem(errc::idempotency_key_reused,
                     "This Idempotency-Key was used with another request.", c.req.path,
                     c.request_id);
    if (claim.value->status == 0)
      return problem(errc::conflict, "A request with this Idempotency-Key is still in progress.",
                     c.req.path, c.request_id);
    return replay_of(*claim.value);
  }
  api_response r = fn(c);
  settle(c, who, key, fingerprint, r);
  return r;
}

}  // namespace vutf::http
