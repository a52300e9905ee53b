// Idempotency-Key records: the first request with a key claims it; its response is kept for
// replays until it expires.
#pragma once

#include <optional>

#include "domain/idempotency.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

// Claims (caller, key) for a request with `request_hash`; nullopt when claimed now, else the
// record that holds the key (expired records are replaced).
std::optional<stored_response> claim_idempotency_key(session& s, const std::string& caller,
                                                     const std::string& key,
                                                     const std::string& request_hash,
                                                     int64_t now_ms, int64_t expires_at_ms);
void store_idempotent_response(session& s, const std::string& caller, const std::string& key,
                               const stored_response& r);
void release_idempotency_key(session& s, const std::string& caller, const std::string& key);

// Deletes up to `limit` records expired at `now_ms`; returns how many.
int64_t purge_idempotency_keys(session& s, int64_t now_ms, int64_t limit);

}  // namespace vutf::storage
