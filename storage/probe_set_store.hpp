// Users' probe sets in the database, and the copies of them each scan keeps: each function runs
// inside a caller's transaction (session). `owner` is always the caller: sets are named by a
// slug unique per owner, so no one reaches another owner's set by its id.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/frameworks.hpp"
#include "domain/probes.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

// Inserts `p` unless its owner has `max_sets` sets already (MAX_PROBE_SETS_PER_USER): false
// then, nothing written (take_owner_slot). Throws db_error(conflict) when the owner already has
// a set with this id.
bool insert_probe_set(session& s, const probe_set& p, int64_t max_sets);
// The set with its prompts; nullopt when the owner has none of that id.
std::optional<probe_set> find_probe_set(session& s, const std::string& owner,
                                        const std::string& id);
// Replaces the set if its stored version is still `p.version - 1`; false when it changed.
bool update_probe_set(session& s, const probe_set& p);
// Deletes the set and frees its place in the owner's count.
bool delete_probe_set(session& s, const std::string& owner, const std::string& id);
int64_t count_probe_sets(session& s, const std::string& owner);
// `limit` sets from `offset` in id order, without their prompts (prompt_count says how many).
std::vector<probe_set> list_probe_sets(session& s, const std::string& owner, int64_t limit,
                                       int64_t offset);

// The framework tags of each of `owner`'s sets, by id.
set_tags probe_set_tags(session& s, const std::string& owner);
// Keeps the user sets scan `scan_id` runs, as they are now (see migration 011).
void keep_scan_probe_sets(session& s, const std::string& scan_id,
                          const std::vector<probe_set>& sets);
// The sets kept for the scan; a row that no longer parses is skipped (the scan then fails for
// want of prompts, or runs the others).
std::vector<probe_set> scan_probe_sets(session& s, const std::string& scan_id);

}  // namespace vutf::storage
