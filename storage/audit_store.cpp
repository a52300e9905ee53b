#include "storage/audit_store.hpp"

#include "config/time.hpp"
#include "domain/audit.hpp"

namespace vutf::storage {
namespace sql {

#define VUTF_AUDIT_COLUMNS                                                                  \
  "id, ts, request_id, actor_id, actor_type, action, resource_type, resource_id, outcome, " \
  "status_code, ip, user_agent, duration_ms"

constexpr size_t audit_columns = 13;

// The largest INSERT: 64 rows of 13 parameters stay below SQLite's oldest limit of 999.
constexpr size_t audit_insert_max_rows = 64;

// INSERTs of 1, 2, 4, ... 64 records in one statement each ("audit_insert_N"): a batch is
// written in a few statements, one round trip each, instead of one per record.
// Never destroyed: a detached connection thread may still write a batch while the process
// exits, after function-local statics are gone (ASan caught it in a fuzz target's exit).
const statement& audit_insert(size_t rows) {
  struct sized {
    std::map<size_t, std::string> names;  // what each statement's name points into
    std::map<size_t, statement> by_rows;
  };
  static const sized* all = [] {
    auto* out = new sized;
    for (size_t n = 1; n <= audit_insert_max_rows; n *= 2) {
      std::string sql = "INSERT INTO audit_logs (" VUTF_AUDIT_COLUMNS ") VALUES ";
      for (size_t r = 0; r < n; ++r) {
        sql += r ? ", (" : "(";
        for (size_t c = 1; c <= audit_columns; ++c)
          sql += (c > 1 ? ", $" : "$") + std::to_string(r * audit_columns + c);
        sql += ")";
      }
      const std::string& name = out->names[n] = "audit_insert_" + std::to_string(n);
      out->by_rows.emplace(n, statement{name.c_str(), std::move(sql)});
    }
    return out;
  }();
  return all->by_rows.at(rows);
}

// $1..$5 exact filters ('' = any), $6 since, $7 until (inclusive bounds in ms).
#define VUTF_AUDIT_FILTER                                                               \
  " FROM audit_logs WHERE ($1 = '' OR actor_id = $1) AND ($2 = '' OR action = $2) AND " \
  "($3 = '' OR resource_type = $3) AND ($4 = '' OR resource_id = $4) AND ($5 = '' OR "  \
  "outcome = $5) AND ts >= $6 AND ts <= $7"
const statement audit_count{"audit_count", "SELECT COUNT(*)" VUTF_AUDIT_FILTER};
const statement audit_list_desc{"audit_list_desc", "SELECT " VUTF_AUDIT_COLUMNS VUTF_AUDIT_FILTER
                                                   " ORDER BY ts DESC, id DESC LIMIT $8 OFFSET $9"};
const statement audit_list_asc{"audit_list_asc", "SELECT " VUTF_AUDIT_COLUMNS VUTF_AUDIT_FILTER
                                                 " ORDER BY ts ASC, id ASC LIMIT $8 OFFSET $9"};
const statement audit_get{"audit_get",
                          "SELECT " VUTF_AUDIT_COLUMNS " FROM audit_logs WHERE id = $1"};
const statement audit_by_action{"audit_stats_action",
                                "SELECT action, COUNT(*) FROM audit_logs WHERE ts >= $1 AND ts "
                                "<= $2 GROUP BY action"};
const statement audit_by_outcome{"audit_stats_outcome",
                                 "SELECT outcome, COUNT(*) FROM audit_logs WHERE ts >= $1 AND "
                                 "ts <= $2 GROUP BY outcome"};
// Whole days since the epoch: portable integer arithmetic, turned into dates in C++.
const statement audit_by_day{"audit_stats_day",
                             "SELECT ts / 86400000, COUNT(*) FROM audit_logs WHERE ts >= $1 AND "
                             "ts <= $2 GROUP BY ts / 86400000"};
const statement audit_after{"audit_after",
                            "SELECT " VUTF_AUDIT_COLUMNS
                            " FROM audit_logs WHERE ts >= $1 AND ts <= $2 AND (ts > $3 OR (ts = "
                            "$3 AND id > $4)) ORDER BY ts ASC, id ASC LIMIT $5"};

// One batch of records older than $1, oldest first (an index range of audit_logs_ts), so a
// large purge is many short transactions instead of one long lock.
const statement audit_purge{"audit_purge",
                            "DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs WHERE "
                            "ts < $1 ORDER BY ts, id LIMIT $2)"};

}  // namespace sql

namespace {

int64_t upper(int64_t until_ms) {
  return until_ms > 0 ? until_ms : INT64_MAX;
}

audit_record from_row(const row& r) {
  audit_record a;
  a.id = r[0].value_or("");
  a.timestamp_ms = as_int(r[1]);
  a.request_id = r[2].value_or("");
  a.actor_id = r[3].value_or("");
  a.actor_type = r[4].value_or("");
  a.action = r[5].value_or("");
  a.resource_type = r[6].value_or("");
  a.resource_id = r[7].value_or("");
  a.outcome = r[8].value_or("");
  a.status_code = as_int(r[9]);
  a.ip = r[10].value_or("");
  a.user_agent = r[11].value_or("");
  a.duration_ms = as_int(r[12]);
  return a;
}

std::vector<value> filters(const audit_query& q) {
  return {q.actor_id, q.action,   q.resource_type,  q.resource_id,
          q.outcome,  q.since_ms, upper(q.until_ms)};
}

value opt(const std::string& s) {
  return s.empty() ? value(nullptr) : value(s);
}

}  // namespace

void insert_audit(session& s, const std::vector<audit_record>& batch) {
  size_t done = 0;
  for (size_t rows = sql::audit_insert_max_rows; rows > 0; rows /= 2) {
    while (batch.size() - done >= rows) {
      std::vector<value> params;
      params.reserve(rows * sql::audit_columns);
      for (size_t i = done; i < done + rows; ++i) {
        const audit_record& a = batch[i];
        for (value v : {value(a.id), value(a.timestamp_ms), value(a.request_id), opt(a.actor_id),
                        value(a.actor_type), value(a.action), opt(a.resource_type),
                        opt(a.resource_id), value(a.outcome), value(a.status_code), opt(a.ip),
                        opt(a.user_agent), value(a.duration_ms)})
          params.push_back(std::move(v));
      }
      s.exec(sql::audit_insert(rows), params);
      done += rows;
    }
  }
}

int64_t count_audit(session& s, const audit_query& q) {
  return count_of(s, sql::audit_count, filters(q));
}

std::vector<audit_record> list_audit(session& s, const audit_query& q) {
  const auto& list = q.newest_first ? sql::audit_list_desc : sql::audit_list_asc;
  std::vector<audit_record> out;
  for (const auto& r : s.exec(list, with_page(filters(q), q.page, q.per_page)).data)
    out.push_back(from_row(r));
  return out;
}

std::optional<audit_record> find_audit(session& s, const std::string& id) {
  rows r = s.exec(sql::audit_get, {id});
  if (r.data.empty()) return std::nullopt;
  return from_row(r.data.front());
}

audit_stats audit_statistics(session& s, int64_t since_ms, int64_t until_ms) {
  audit_stats st;
  std::vector<value> range = {since_ms, upper(until_ms)};
  for (const auto& r : s.exec(sql::audit_by_action, range).data) {
    st.by_action[r[0].value_or("")] = as_int(r[1]);
    st.total += as_int(r[1]);
  }
  for (const auto& r : s.exec(sql::audit_by_outcome, range).data)
    st.by_outcome[r[0].value_or("")] = as_int(r[1]);
  for (const auto& r : s.exec(sql::audit_by_day, range).data)
    st.by_day[format_timestamp(as_int(r[0]) * 86400000).substr(0, 10)] = as_int(r[1]);
  return st;
}

std::vector<audit_record> audit_after(session& s, int64_t since_ms, int64_t until_ms,
                                      int64_t after_ts, const std::string& after_id,
                                      int64_t limit) {
  std::vector<audit_record> out;
  for (const auto& r :
       s.exec(sql::audit_after, {since_ms, upper(until_ms), after_ts, after_id, limit}).data)
    out.push_back(from_row(r));
  return out;
}

int64_t purge_audit(session& s, int64_t before_ms, int64_t limit) {
  return s.exec(sql::audit_purge, {before_ms, limit}).affected;
}

}  // namespace vutf::storage
