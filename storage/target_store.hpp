// Targets in the database: each function runs inside a caller's transaction (session).
#pragma once

#include <optional>

#include "domain/target.hpp"
#include "storage/database.hpp"
#include "storage/list_index.hpp"

namespace vutf::storage {

// Inserts `t` unless its owner has `max_live` live targets already (MAX_TARGETS_PER_USER):
// false then, and nothing is written. Throws db_error(conflict) when the name is taken by a live
// target of the same owner. The owner's count is one row (owner_counts), incremented only below
// the limit and locked until the transaction ends: concurrent creates cannot pass it together.
bool insert_target(session& s, const target& t, int64_t max_live);

// `owner` "*" finds the target whoever owns it (admins).
std::optional<target> find_target(session& s, const std::string& id, const std::string& owner);

// Replaces the target if its stored version is still `t.version - 1`; false when it changed.
bool update_target(session& s, const target& t);

// Deletes the live target (`owner` "*": whoever owns it) and frees its place in its owner's count.
bool delete_target(session& s, const std::string& id, const std::string& owner, int64_t at_ms);

// The query's total; an owner's unfiltered total is one key lookup (owner_counts).
int64_t count_targets(session& s, const target_query& q);
// The query's page; `total` is the query's total, read in the same transaction.
std::vector<target> list_targets(session& s, const target_query& q, int64_t total);

// The keys of `owner`'s live targets, oldest first: what the list index is built from.
std::vector<list_index::key> target_keys(session& s, const std::string& owner);
// Where the page at `offset` of `owner`'s list starts, per `lists` exact for `version` of the
// list scope (read before this is called): the keys are read first (one index range; `built`
// set) when `lists` holds none for that version, unless it is catching up with this instance's
// own writes (for a few milliseconds, never past `deadline`); keys it holds unsure are settled by
// looking their targets up. nullopt when the page cannot come from the index now (read it by
// OFFSET).
std::optional<list_index::slice> indexed_start(session& s, list_index& lists,
                                               const std::string& owner, int64_t version,
                                               int64_t offset, bool newest_first,
                                               clock::time_point deadline, bool& built);
// Up to `limit` of `owner`'s live targets from `first` on (inclusive), newest first or oldest
// first: the page of the unfiltered created_at-ordered list that starts there.
std::vector<target> list_targets_from(session& s, const std::string& owner,
                                      const list_index::key& first, bool newest_first,
                                      int64_t limit);

}  // namespace vutf::storage
