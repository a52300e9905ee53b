#include "storage/idempotency_store.hpp"

namespace vutf::storage {
namespace sql {

const statement idem_purge{"idempotency_purge",
                           "DELETE FROM idempotency_keys WHERE caller = $1 AND idem_key = $2 AND "
                           "expires_at <= $3"};
const statement idem_claim{"idempotency_claim",
                           "INSERT INTO idempotency_keys (caller, idem_key, request_hash, "
                           "created_at, expires_at) VALUES ($1, $2, $3, $4, $5) "
                           "ON CONFLICT (caller, idem_key) DO NOTHING"};
const statement idem_get{"idempotency_get",
                         "SELECT status, content_type, headers, body, request_hash FROM "
                         "idempotency_keys WHERE caller = $1 AND idem_key = $2"};
const statement idem_store{"idempotency_store",
                           "UPDATE idempotency_keys SET status = $3, content_type = $4, "
                           "headers = $5, body = $6 WHERE caller = $1 AND idem_key = $2"};
const statement idem_release{"idempotency_release",
                             "DELETE FROM idempotency_keys WHERE caller = $1 AND idem_key = $2"};

// One batch of expired records (an index range of idempotency_expires).
const statement idem_purge_expired{
    "idempotency_purge_expired",
    "DELETE FROM idempotency_keys WHERE (caller, idem_key) IN (SELECT caller, idem_key FROM "
    "idempotency_keys WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)"};

}  // namespace sql

std::optional<stored_response> claim_idempotency_key(session& s, const std::string& caller,
                                                     const std::string& key,
                                                     const std::string& request_hash,
                                                     int64_t now_ms, int64_t expires_at_ms) {
  s.exec(sql::idem_purge, {caller, key, now_ms});
  if (s.exec(sql::idem_claim, {caller, key, request_hash, now_ms, expires_at_ms}).affected == 1)
    return std::nullopt;
  rows r = s.exec(sql::idem_get, {caller, key});
  if (r.data.empty()) return std::nullopt;  // released meanwhile: treat as claimed by us
  const row& x = r.data.front();
  stored_response out;
  out.status = x[0] ? std::stoll(*x[0]) : 0;
  out.content_type = x[1].value_or("");
  out.headers = x[2].value_or("");
  out.body = x[3].value_or("");
  out.request_hash = x[4].value_or("");
  return out;
}

void store_idempotent_response(session& s, const std::string& caller, const std::string& key,
                               const stored_response& r) {
  s.exec(sql::idem_store, {caller, key, r.status, r.content_type, r.headers, r.body});
}

void release_idempotency_key(session& s, const std::string& caller, const std::string& key) {
  s.exec(sql::idem_release, {caller, key});
}

int64_t purge_idempotency_keys(session& s, int64_t now_ms, int64_t limit) {
  return s.exec(sql::idem_purge_expired, {now_ms, limit}).affected;
}

}  // namespace vutf::storage
