#include "storage/target_store.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "storage/statements.hpp"

namespace vutf::storage {

namespace sql {

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
  return t;
}

std::vector<value> filter_params(const target_query& q) {
  return {q.owner_id, q.kind, like_pattern(q.q)};
}

}  // namespace

void insert_target(session& s, const target& t) {
  s.exec(
      sql::target_insert,
      {t.id, t.owner_id, t.name, nullable(t.description), t.kind, t.endpoint_url, nullable(t.model),
       t.headers_json, nullable(t.request_template_json), nullable(t.response_path),
       t.timeout_seconds, t.max_concurrency, t.version, t.created_at_ms, t.updated_at_ms});
}

std::optional<target> find_target(session& s, const std::string& id, const std::string& owner) {
  rows r = s.exec(sql::target_get, {id, owner});
  if (r.data.empty()) return std::nullopt;
  return from_row(r.data.front());
}

bool update_target(session& s, const target& t) {
  rows r = s.exec(sql::target_update, {t.id, t.version - 1, t.name, nullable(t.description), t.kind,
                                       t.endpoint_url, nullable(t.model), t.headers_json,
                                       nullable(t.request_template_json), nullable(t.response_path),
                                       t.timeout_seconds, t.max_concurrency, t.updated_at_ms});
  return r.affected == 1;
}

bool delete_target(session& s, const std::string& id, const std::string& owner, int64_t at_ms) {
  return s.exec(sql::target_delete, {id, owner, at_ms}).affected == 1;
}

int64_t count_targets(session& s, const target_query& q) {
  rows r = s.exec(q.owner_id == "*" ? sql::target_count_all : sql::target_count, filter_params(q));
  return r.data.empty() ? 0 : as_int(r.data.front()[0]);
}

std::vector<target> list_targets(session& s, const target_query& q) {
  auto params = filter_params(q);
  params.emplace_back(q.per_page);
  params.emplace_back((q.page - 1) * q.per_page);
  rows r = s.exec(sql::target_list(q.sort, q.owner_id == "*"), params);
  std::vector<target> out;
  out.reserve(r.data.size());
  for (const auto& x : r.data) out.push_back(from_row(x));
  return out;
}

}  // namespace vutf::storage
