#include "storage/probe_set_store.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace vutf::storage {
namespace sql {

#define VUTF_PROBE_SET_HEAD                                                         \
  "owner_id, id, name, description, category, frameworks, detector, prompt_count, " \
  "version, created_at, updated_at, attack"

const statement probe_set_insert{
    "probe_set_insert",
    "INSERT INTO probe_sets (" VUTF_PROBE_SET_HEAD
    ", prompts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"};
const statement probe_set_get{"probe_set_get",
                              "SELECT " VUTF_PROBE_SET_HEAD
                              ", prompts FROM probe_sets WHERE owner_id = $1 AND id = $2"};
// Optimistic update: only the version the caller read may be replaced.
const statement probe_set_update{
    "probe_set_update",
    "UPDATE probe_sets SET name = $4, description = $5, category = $6, frameworks = $7, "
    "detector = $8, prompt_count = $9, prompts = $10, version = version + 1, updated_at = $11, "
    "attack = $12 "
    "WHERE owner_id = $1 AND id = $2 AND version = $3"};
const statement probe_set_delete{"probe_set_delete",
                                 "DELETE FROM probe_sets WHERE owner_id = $1 AND id = $2"};
const statement probe_set_count{"probe_set_count",
                                "SELECT COUNT(*) FROM probe_sets WHERE owner_id = $1"};
// A page is a range of the primary key.
const statement probe_set_list{"probe_set_list",
                               "SELECT " VUTF_PROBE_SET_HEAD
                               " FROM probe_sets WHERE owner_id = $1 ORDER BY id LIMIT $2 "
                               "OFFSET $3"};

// The tags of every set of an owner (GET /coverage): small columns only, never the prompts.
const statement probe_set_tags{"probe_set_tags",
                               "SELECT id, frameworks FROM probe_sets WHERE owner_id = $1"};

const statement scan_probe_set_insert{
    "scan_probe_set_insert",
    "INSERT INTO scan_probe_sets (scan_id, probe_set_id, version, body) VALUES ($1, $2, $3, $4)"};
const statement scan_probe_set_list{"scan_probe_set_list",
                                    "SELECT body FROM scan_probe_sets WHERE scan_id = $1"};

}  // namespace sql

namespace {

// The columns of VUTF_PROBE_SET_HEAD, and the prompts when the row has them.
probe_set from_row(const row& r) {
  probe_set p;
  p.source = "user";
  p.owner_id = r[0].value_or("");
  p.id = r[1].value_or("");
  p.name = r[2].value_or("");
  p.description = r[3].value_or("");
  p.category = r[4].value_or("");
  p.frameworks = parse_frameworks(r[5].value_or("{}"));
  p.detector = parse_detector(r[6].value_or("{}"));
  p.prompt_count = as_int(r[7]);
  p.version = as_int(r[8]);
  p.created_at_ms = as_int(r[9]);
  p.updated_at_ms = as_int(r[10]);
  if (r[11]) {
    auto attack = nlohmann::json::parse(*r[11]);
    p.mode = "crescendo";
    p.goal = attack.at("goal").get<std::string>();
    p.max_turns = attack.at("max_turns").get<int64_t>();
    p.attacker_target_id = attack.at("attacker_target_id").get<std::string>();
  }
  if (r.size() > 12)
    p.prompts = nlohmann::json::parse(r[12].value_or("[]")).get<std::vector<std::string>>();
  return p;
}

std::string prompts_json(const probe_set& p) {
  return nlohmann::json(p.prompts).dump();
}

// The `attack` column: a crescendo set's conversation settings; NULL for a single-turn set.
value attack_column(const probe_set& p) {
  if (p.mode != "crescendo") return value(nullptr);
  return value(nlohmann::json{
      {"goal", p.goal}, {"max_turns", p.max_turns}, {"attacker_target_id", p.attacker_target_id}}
                   .dump());
}

}  // namespace

bool insert_probe_set(session& s, const probe_set& p, int64_t max_sets) {
  if (!take_owner_slot(s, p.owner_id, "probe_sets", max_sets)) return false;
  s.exec(sql::probe_set_insert,
         {p.owner_id, p.id, p.name, p.description, p.category, frameworks_json(p.frameworks),
          detector_json(p.detector), p.prompt_count, p.version, p.created_at_ms, p.updated_at_ms,
          attack_column(p), prompts_json(p)});
  return true;
}

std::optional<probe_set> find_probe_set(session& s, const std::string& owner,
                                        const std::string& id) {
  rows r = s.exec(sql::probe_set_get, {owner, id});
  if (r.data.empty()) return std::nullopt;
  return from_row(r.data.front());
}

bool update_probe_set(session& s, const probe_set& p) {
  rows r = s.exec(sql::probe_set_update,
                  {p.owner_id, p.id, p.version - 1, p.name, p.description, p.category,
                   frameworks_json(p.frameworks), detector_json(p.detector), p.prompt_count,
                   prompts_json(p), p.updated_at_ms, attack_column(p)});
  return r.affected == 1;
}

bool delete_probe_set(session& s, const std::string& owner, const std::string& id) {
  if (s.exec(sql::probe_set_delete, {owner, id}).affected != 1) return false;
  free_owner_slot(s, owner, "probe_sets");
  return true;
}

int64_t count_probe_sets(session& s, const std::string& owner) {
  return count_of(s, sql::probe_set_count, {owner});
}

std::vector<probe_set> list_probe_sets(session& s, const std::string& owner, int64_t limit,
                                       int64_t offset) {
  rows r = s.exec(sql::probe_set_list, {owner, limit, offset});
  std::vector<probe_set> out;
  out.reserve(r.data.size());
  for (const auto& x : r.data) out.push_back(from_row(x));
  return out;
}

set_tags probe_set_tags(session& s, const std::string& owner) {
  set_tags out;
  for (const auto& r : s.exec(sql::probe_set_tags, {owner}).data) {
    try {
      out[r[0].value_or("")] = parse_frameworks(r[1].value_or(""));
    } catch (const std::invalid_argument&) {
      continue;  // a row no writer made: the set counts under no framework
    }
  }
  return out;
}

void keep_scan_probe_sets(session& s, const std::string& scan_id,
                          const std::vector<probe_set>& sets) {
  for (const auto& p : sets)
    s.exec(sql::scan_probe_set_insert, {scan_id, p.id, p.version, probe_set_json(p)});
}

std::vector<probe_set> scan_probe_sets(session& s, const std::string& scan_id) {
  std::vector<probe_set> out;
  for (const auto& r : s.exec(sql::scan_probe_set_list, {scan_id}).data) {
    try {
      out.push_back(parse_probe_set(r[0].value_or("")));
    } catch (const std::invalid_argument&) {
      continue;  // not ours to repair; the runner reports the prompts it lacks
    }
  }
  return out;
}

}  // namespace vutf::storage
