// Webhooks in the database: each function runs inside a caller's transaction (session).
// `owner` is the user whose webhooks a function sees; "*" sees every owner's (deliveries only).
#pragma once

#include <optional>
#include <vector>

#include "domain/webhook.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

// Throws db_error(conflict) when the owner already has a webhook at this URL.
void insert_webhook(session& s, const webhook& w);
std::optional<webhook> find_webhook(session& s, const std::string& id, const std::string& owner);
// The owner's webhook at exactly `url`.
std::optional<webhook> find_webhook_by_url(session& s, const std::string& owner,
                                           const std::string& url);
bool delete_webhook(session& s, const std::string& id, const std::string& owner);
// Replaces the secret; false when the owner has no such webhook.
bool set_webhook_secret(session& s, const std::string& id, const std::string& owner,
                        const std::string& secret);
int64_t count_webhooks(session& s, const std::string& owner);
// One page of the owner's webhooks, newest first.
std::vector<webhook> list_webhooks(session& s, const std::string& owner, int64_t page,
                                   int64_t per_page);
// The webhooks of a live, active `owner` that hear of `event`: those subscribed to it and the one
// at `url` (a scan's webhook_url; "" for none), each once, oldest first.
std::vector<webhook> webhook_recipients(session& s, const std::string& owner,
                                        const std::string& event, const std::string& url);

}  // namespace vutf::storage
