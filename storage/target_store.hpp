// Targets in the database: each function runs inside a caller's transaction (session).
#pragma once

#include <optional>

#include "domain/target.hpp"
#include "storage/database.hpp"

namespace vutf::storage {

// Throws db_error(conflict) when the name is taken by a live target of the same owner.
void insert_target(session& s, const target& t);

// `owner` "*" finds the target whoever owns it (admins).
std::optional<target> find_target(session& s, const std::string& id, const std::string& owner);

// Replaces the target if its stored version is still `t.version - 1`; false when it changed.
bool update_target(session& s, const target& t);

bool delete_target(session& s, const std::string& id, const std::string& owner, int64_t at_ms);

int64_t count_targets(session& s, const target_query& q);
std::vector<target> list_targets(session& s, const target_query& q);

}  // namespace vutf::storage
