#include "storage/webhook_store.hpp"

#include "config/strings.hpp"

namespace vutf::storage {

namespace sql {

#define VUTF_WEBHOOK_COLUMNS "w.id, w.owner_id, w.url, w.events, w.secret, w.created_at"

const statement webhook_insert{
    "webhook_insert",
    "INSERT INTO webhooks (id, owner_id, url, events, secret, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};

// $2 is the owner, or '*' for any owner (deliveries).
const statement webhook_get{"webhook_get", "SELECT " VUTF_WEBHOOK_COLUMNS
                                           " FROM webhooks w WHERE w.id = $1 AND "
                                           "(w.owner_id = $2 OR $2 = '*')"};

const statement webhook_get_by_url{"webhook_get_by_url",
                                   "SELECT " VUTF_WEBHOOK_COLUMNS
                                   " FROM webhooks w WHERE w.owner_id = $1 AND w.url = $2"};

const statement webhook_delete{"webhook_delete",
                               "DELETE FROM webhooks WHERE id = $1 AND owner_id = $2"};

const statement webhook_rotate{"webhook_rotate",
                               "UPDATE webhooks SET secret = $3 WHERE id = $1 AND owner_id = $2"};

const statement webhook_count{"webhook_count", "SELECT COUNT(*) FROM webhooks WHERE owner_id = $1"};

// $2 limit, $3 offset: a range of webhooks_owner_created.
const statement webhook_list{"webhook_list",
                             "SELECT " VUTF_WEBHOOK_COLUMNS
                             " FROM webhooks w WHERE w.owner_id = $1 "
                             "ORDER BY w.created_at DESC, w.id DESC LIMIT $2 OFFSET $3"};

// $2 is a LIKE pattern for ",<event>," within ",<events>,"; $3 the scan's webhook_url ('' none).
// A deactivated or deleted owner's webhooks hear of nothing more.
const statement webhook_recipients{
    "webhook_recipients", "SELECT " VUTF_WEBHOOK_COLUMNS
                          " FROM webhooks w JOIN users u ON u.id = w.owner_id "
                          "WHERE w.owner_id = $1 AND u.deleted_at IS NULL AND u.is_active = 1 "
                          "AND ((',' || w.events || ',') LIKE $2 ESCAPE '\\' OR w.url = $3) "
                          "ORDER BY w.created_at, w.id"};

}  // namespace sql

namespace {

webhook from_row(const row& r) {
  webhook w;
  w.id = r[0].value_or("");
  w.owner_id = r[1].value_or("");
  w.url = r[2].value_or("");
  w.events = split(r[3].value_or(""));
  w.secret = r[4].value_or("");
  w.created_at_ms = as_int(r[5]);
  return w;
}

std::optional<webhook> first_of(const rows& r) {
  if (r.data.empty()) return std::nullopt;
  return from_row(r.data.front());
}

std::vector<webhook> all_of(const rows& r) {
  std::vector<webhook> out;
  out.reserve(r.data.size());
  for (const auto& x : r.data) out.push_back(from_row(x));
  return out;
}

}  // namespace

void insert_webhook(session& s, const webhook& w) {
  s.exec(sql::webhook_insert, {w.id, w.owner_id, w.url, join(w.events), w.secret, w.created_at_ms});
}

std::optional<webhook> find_webhook(session& s, const std::string& id, const std::string& owner) {
  return first_of(s.exec(sql::webhook_get, {id, owner}));
}

std::optional<webhook> find_webhook_by_url(session& s, const std::string& owner,
                                           const std::string& url) {
  return first_of(s.exec(sql::webhook_get_by_url, {owner, url}));
}

bool delete_webhook(session& s, const std::string& id, const std::string& owner) {
  return s.exec(sql::webhook_delete, {id, owner}).affected == 1;
}

bool set_webhook_secret(session& s, const std::string& id, const std::string& owner,
                        const std::string& secret) {
  return s.exec(sql::webhook_rotate, {id, owner, secret}).affected == 1;
}

int64_t count_webhooks(session& s, const std::string& owner) {
  return count_of(s, sql::webhook_count, {owner});
}

std::vector<webhook> list_webhooks(session& s, const std::string& owner, int64_t page,
                                   int64_t per_page) {
  return all_of(s.exec(sql::webhook_list, with_page({owner}, page, per_page)));
}

std::vector<webhook> webhook_recipients(session& s, const std::string& owner,
                                        const std::string& event, const std::string& url) {
  return all_of(s.exec(sql::webhook_recipients, {owner, like_pattern("," + event + ","), url}));
}

}  // namespace vutf::storage
