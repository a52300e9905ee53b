// Every SQL statement the service runs, by name. The name is also the `statement` label of the
// database metrics and appears in log lines; the SQL is portable (SQLite and PostgreSQL).
#pragma once

#include <string>

#include "storage/database.hpp"

namespace vutf::storage::sql {

#define VUTF_TARGET_COLUMNS                                                                 \
  "id, owner_id, name, description, kind, endpoint_url, model, headers, request_template, " \
  "response_path, timeout_seconds, max_concurrency, version, created_at, updated_at"

inline const statement target_insert{
    "target_insert", "INSERT INTO targets (" VUTF_TARGET_COLUMNS
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"};

// $2 is the owner, or '*' for any owner (admins).
inline const statement target_get{
    "target_get",
    "SELECT " VUTF_TARGET_COLUMNS
    " FROM targets WHERE id = $1 AND (owner_id = $2 OR $2 = '*') AND deleted_at IS NULL"};

// Optimistic update: only the version the caller read may be replaced.
inline const statement target_update{
    "target_update",
    "UPDATE targets SET name = $3, description = $4, kind = $5, endpoint_url = $6, model = $7, "
    "headers = $8, request_template = $9, response_path = $10, timeout_seconds = $11, "
    "max_concurrency = $12, version = version + 1, updated_at = $13 "
    "WHERE id = $1 AND version = $2 AND deleted_at IS NULL"};

inline const statement target_delete{
    "target_delete",
    "UPDATE targets SET deleted_at = $3, version = version + 1 "
    "WHERE id = $1 AND (owner_id = $2 OR $2 = '*') AND deleted_at IS NULL"};

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

inline const statement target_count{"target_count", "SELECT COUNT(*)" VUTF_TARGET_FILTER};
inline const statement target_count_all{"target_count_all",
                                        "SELECT COUNT(*)" VUTF_TARGET_FILTER_ALL};

inline const statement health_ping{"health_ping", "SELECT 1"};

// One page in the order of `sort` (a key of target_sort_keys with an optional '-'); $4 limit,
// $5 offset. Built only from whitelisted keys, never from client text.
const statement& target_list(const std::string& sort, bool all_owners);

}  // namespace vutf::storage::sql
