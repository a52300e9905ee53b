#include "storage/target_store.hpp"

#include <algorithm>
#include <deque>
#include <map>

namespace vutf::storage {

namespace sql {

#define VUTF_TARGET_COLUMNS                                                                 \
  "id, owner_id, name, description, kind, endpoint_url, model, headers, request_template, " \
  "response_path, timeout_seconds, max_concurrency, version, created_at, updated_at, "      \
  "system_prompt, rate_limit_rpm"

const statement target_insert{
    "target_insert",
    "INSERT INTO targets (" VUTF_TARGET_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
    "$17)"};

// PostgreSQL: the owner's place (as take_owner_slot) and the row in one statement, one round trip
// per create in a group commit instead of two. The slot is taken first (the lock order batched
// writes keep), and nothing is inserted when the quota ($18) is full. INSERT ... SELECT does not
// infer parameter types from the columns, hence the casts.
const statement target_insert_counted{
    "target_insert_counted",
    "WITH slot AS (INSERT INTO owner_counts (owner_id, kind, n) VALUES ($2, 'targets', 1) "
    "ON CONFLICT (owner_id, kind) DO UPDATE SET n = owner_counts.n + 1 "
    "WHERE owner_counts.n < $18 RETURNING n) "
    "INSERT INTO targets (" VUTF_TARGET_COLUMNS
    ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::integer, $12::integer, "
    "$13::integer, $14::bigint, $15::bigint, $16, $17::bigint FROM slot"};

// $2 is the owner, or '*' for any owner (admins).
const statement target_get{
    "target_get",
    "SELECT " VUTF_TARGET_COLUMNS
    " FROM targets WHERE id = $1 AND (owner_id = $2 OR $2 = '*') AND deleted_at IS NULL"};

// Optimistic update: only the version the caller read may be replaced.
const statement target_update{
    "target_update",
    "UPDATE targets SET name = $3, description = $4, kind = $5, endpoint_url = $6, model = $7, "
    "headers = $8, request_template = $9, response_path = $10, timeout_seconds = $11, "
    "max_concurrency = $12, version = version + 1, updated_at = $13, system_prompt = $14, "
    "rate_limit_rpm = $15 "
    "WHERE id = $1 AND version = $2 AND deleted_at IS NULL"};

const statement target_delete{
    "target_delete",
    "UPDATE targets SET deleted_at = $3, version = version + 1 "
    "WHERE id = $1 AND (owner_id = $2 OR $2 = '*') AND deleted_at IS NULL RETURNING owner_id"};

// Filters shared by the count and the page queries: $1 owner, $2 kind ('' = any),
// $3 LIKE pattern over name and description ('' = any). The owner-scoped family keeps
// `owner_id = $1` literal so a page is a range of targets_owner_created; admins ('*') use the
// family without it (targets_created). Both use every parameter, as PostgreSQL requires.
#define VUTF_TARGET_FILTER_REST                                                  \
  " AND ($2 = '' OR kind = $2) AND ($3 = '' OR lower(name) LIKE $3 ESCAPE '\\' " \
  "OR lower(COALESCE(description, '')) LIKE $3 ESCAPE '\\')"
#define VUTF_TARGET_FILTER \
  " FROM targets WHERE deleted_at IS NULL AND owner_id = $1" VUTF_TARGET_FILTER_REST
#define VUTF_TARGET_FILTER_ALL \
  " FROM targets WHERE deleted_at IS NULL AND $1 = '*'" VUTF_TARGET_FILTER_REST

const statement target_count{"target_count", "SELECT COUNT(*)" VUTF_TARGET_FILTER};
const statement target_count_all{"target_count_all", "SELECT COUNT(*)" VUTF_TARGET_FILTER_ALL};

// One page in the order of `sort` (a key of target_sort_keys with an optional '-'); $4 limit,
// $5 offset. Built only from whitelisted keys, never from client text.
const statement& target_list(const std::string& sort, bool all_owners) {
  using family = std::map<std::string, statement>;
  static const std::pair<family, family> families = [] {
    std::pair<family, family> f;
    // A deque never moves its strings, so each c_str() stays valid for good.
    static std::deque<std::string> names;
    for (bool all : {false, true}) {
      for (const auto& key : target_sort_keys()) {
        for (bool desc : {false, true}) {
          std::string dir = desc ? " DESC" : " ASC";
          names.push_back(std::string(all ? "target_list_all_" : "target_list_") + key +
                          (desc ? "_desc" : "_asc"));
          std::string from = all ? VUTF_TARGET_FILTER_ALL : VUTF_TARGET_FILTER;
          (all ? f.second : f.first)
              .emplace((desc ? "-" : "") + key,
                       statement{names.back().c_str(), "SELECT " VUTF_TARGET_COLUMNS + from +
                                                           " ORDER BY " + key + dir + ", id" + dir +
                                                           " LIMIT $4 OFFSET $5"});
        }
      }
    }
    return f;
  }();
  const family& by_sort = all_owners ? families.second : families.first;
  auto it = by_sort.find(sort);
  return it != by_sort.end() ? it->second : by_sort.at("-created_at");
}

// The keys of the owner's live targets, ascending: an index-only range of targets_owner_created.
const statement target_keys{"target_keys",
                            "SELECT created_at, id FROM targets WHERE owner_id = $1 AND deleted_at "
                            "IS NULL ORDER BY created_at, id"};

// A page of the owner's unfiltered list from the key ($2, $3) on, newest first or oldest first:
// one range of targets_owner_created, whatever the page.
const statement target_range_desc{
    "target_range_desc",
    "SELECT " VUTF_TARGET_COLUMNS
    " FROM targets WHERE owner_id = $1 AND deleted_at IS NULL AND (created_at, id) <= ($2, $3) "
    "ORDER BY created_at DESC, id DESC LIMIT $4"};
const statement target_range_asc{
    "target_range_asc",
    "SELECT " VUTF_TARGET_COLUMNS
    " FROM targets WHERE owner_id = $1 AND deleted_at IS NULL AND (created_at, id) >= ($2, $3) "
    "ORDER BY created_at, id LIMIT $4"};

}  // namespace sql

namespace {

target from_row(const row& r) {
  target t;
  t.id = r[0].value_or("");
  t.owner_id = r[1].value_or("");
  t.name = r[2].value_or("");
  t.description = r[3];
  t.kind = r[4].value_or("");
  t.endpoint_url = r[5].value_or("");
  t.model = r[6];
  t.headers_json = r[7].value_or("{}");
  t.request_template_json = r[8];
  t.response_path = r[9];
  t.timeout_seconds = as_int(r[10]);
  t.max_concurrency = as_int(r[11]);
  t.version = as_int(r[12]);
  t.created_at_ms = as_int(r[13]);
  t.updated_at_ms = as_int(r[14]);
  t.system_prompt = r[15];
  if (r[16]) t.rate_limit_rpm = as_int(r[16]);
  return t;
}

std::vector<value> filter_params(const target_query& q) {
  return {q.owner_id, q.kind, like_pattern(q.q)};
}

}  // namespace

bool insert_target(session& s, const target& t, int64_t max_live) {
  if (max_live <= 0) return false;
  std::vector<value> params{t.id,
                            t.owner_id,
                            t.name,
                            nullable(t.description),
                            t.kind,
                            t.endpoint_url,
                            nullable(t.model),
                            t.headers_json,
                            nullable(t.request_template_json),
                            nullable(t.response_path),
                            t.timeout_seconds,
                            t.max_concurrency,
                            t.version,
                            t.created_at_ms,
                            t.updated_at_ms,
                            nullable(t.system_prompt),
                            nullable(t.rate_limit_rpm)};
  if (on_postgres(s)) {
    params.emplace_back(max_live);
    return s.exec(sql::target_insert_counted, params).affected == 1;
  }
  // The place first: a full quota writes nothing; the count row stays locked only from here to
  // the commit.
  if (!take_owner_slot(s, t.owner_id, "targets", max_live)) return false;
  s.exec(sql::target_insert, params);
  return true;
}

std::optional<target> find_target(session& s, const std::string& id, const std::string& owner) {
  rows r = s.exec(sql::target_get, {id, owner});
  if (r.data.empty()) return std::nullopt;
  return from_row(r.data.front());
}

bool update_target(session& s, const target& t) {
  rows r = s.exec(sql::target_update,
                  {t.id, t.version - 1, t.name, nullable(t.description), t.kind, t.endpoint_url,
                   nullable(t.model), t.headers_json, nullable(t.request_template_json),
                   nullable(t.response_path), t.timeout_seconds, t.max_concurrency, t.updated_at_ms,
                   nullable(t.system_prompt), nullable(t.rate_limit_rpm)});
  return r.affected == 1;
}

bool delete_target(session& s, const std::string& id, const std::string& owner, int64_t at_ms) {
  rows deleted = s.exec(sql::target_delete, {id, owner, at_ms});
  if (deleted.data.empty()) return false;
  free_owner_slot(s, deleted.data.front()[0].value_or(""), "targets");
  return true;
}

int64_t count_targets(session& s, const target_query& q) {
  // An owner's whole list is counted in owner_counts, transactionally: no COUNT(*) over it.
  if (q.owner_id != "*" && q.kind.empty() && q.q.empty())
    return owner_count(s, q.owner_id, "targets");
  return count_of(s, q.owner_id == "*" ? sql::target_count_all : sql::target_count,
                  filter_params(q));
}

std::vector<list_index::key> target_keys(session& s, const std::string& owner) {
  rows r = s.exec(sql::target_keys, {owner});
  std::vector<list_index::key> out;
  out.reserve(r.data.size());
  for (const auto& x : r.data) out.push_back({as_int(x[0]), x[1].value_or("")});
  return out;
}

namespace {
// Ends the build list_index::prepare gave a read (for the reads waiting on it), however the read
// of the keys ends.
class build_guard {
 public:
  build_guard(list_index& lists, const std::string& owner) : lists_(lists), owner_(owner) {}
  build_guard(const build_guard&) = delete;
  build_guard& operator=(const build_guard&) = delete;
  ~build_guard() { lists_.built(owner_); }

 private:
  list_index& lists_;
  const std::string& owner_;
};
}  // namespace

std::optional<list_index::slice> indexed_start(session& s, list_index& lists,
                                               const std::string& owner, int64_t version,
                                               int64_t offset, bool newest_first,
                                               clock::time_point deadline, bool& built) {
  // How long a page waits for own bumps to be answered or another read's build, rather than
  // walk by OFFSET: a bump is a Redis round trip or two, a build one read of the owner's keys;
  // an OFFSET page under load took 40 ms (docs/performance.md). Never past the request's
  // deadline: the wait holds a database connection.
  constexpr std::chrono::milliseconds most{25};
  auto patience =
      std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()),
                 std::chrono::milliseconds{0}, most);
  built = false;
  auto at = lists.page(owner, version, offset, newest_first);
  if (!at) {
    auto next = lists.prepare(owner, version, patience);
    if (next == list_index::step::offset) return std::nullopt;
    if (next == list_index::step::build) {
      build_guard building{lists, owner};
      uint64_t read = lists.ticket();  // before the read begins: see list_index
      // Refused when the keys held reached the version meanwhile: then they may serve it.
      built = lists.install(owner, version, read, target_keys(s, owner));
    }
    at = lists.page(owner, version, offset, newest_first);
  }
  // Keys a create racing the read added unsure: their targets, looked up, settle them (rarely
  // more than once: only creates answered meanwhile add more).
  for (int round = 0; at && !at->unsure.empty() && round < 3; ++round) {
    std::vector<std::string> dead;
    for (const auto& k : at->unsure)
      if (!find_target(s, k.id, owner)) dead.push_back(k.id);
    lists.settle(owner, at->unsure, dead);
    at = lists.page(owner, version, offset, newest_first);
  }
  if (at && !at->unsure.empty()) return std::nullopt;
  return at;
}

std::vector<target> list_targets_from(session& s, const std::string& owner,
                                      const list_index::key& first, bool newest_first,
                                      int64_t limit) {
  rows r = s.exec(newest_first ? sql::target_range_desc : sql::target_range_asc,
                  {owner, first.created_at, first.id, limit});
  std::vector<target> out;
  out.reserve(r.data.size());
  for (const auto& x : r.data) out.push_back(from_row(x));
  return out;
}

std::vector<target> list_targets(session& s, const target_query& q, int64_t total) {
  // OFFSET walks every row it skips. A page past the middle is nearer the other end, so it is
  // read from there, in the opposite order, and turned around: the walk is at most half the
  // list. Every order ends with the id, so the opposite order is exactly the reverse. (PostgreSQL
  // reads run statement by statement: under a concurrent write the total may be a moment old,
  // and the page then as exact as any OFFSET page read while the list changes; it is cached
  // only under the list version that write invalidates.)
  int64_t offset = (q.page - 1) * q.per_page;
  int64_t end = std::min(offset + q.per_page, total);
  bool from_end = offset > total / 2 && offset < total;
  std::string sort = q.sort;
  if (from_end) sort = sort.rfind('-', 0) == 0 ? sort.substr(1) : "-" + sort;
  std::vector<value> params = filter_params(q);
  params.emplace_back(from_end ? end - offset : q.per_page);
  params.emplace_back(from_end ? total - end : offset);
  rows r = s.exec(sql::target_list(sort, q.owner_id == "*"), params);
  std::vector<target> out;
  out.reserve(r.data.size());
  for (const auto& x : r.data) out.push_back(from_row(x));
  if (from_end) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace vutf::storage
