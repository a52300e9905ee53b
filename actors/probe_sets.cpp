#include "actors/probe_sets.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/plumbing.hpp"
#include "config/time.hpp"
#include "storage/probe_set_store.hpp"
#include "storage/target_store.hpp"

namespace vutf {
namespace {

template <class T>
result<T> not_found() {
  return result<T>::fail(errc::not_found, "Probe set not found.");
}

std::string id_taken(const std::string& id) {
  return "A probe set with id '" + id + "' already exists.";
}

// A judge detector's verdicts and a crescendo set's messages come from targets of the set's
// owner: any other id is refused.
std::optional<result<probe_set>> foreign_target(storage::session& s, const probe_set& p,
                                                const std::string& owner) {
  std::vector<field_error> errors;
  if (p.detector.type == "judge" && !storage::find_target(s, p.detector.judge_target_id, owner))
    errors.push_back({"detector.judge_target_id", "must be the id of one of your targets"});
  if (p.mode == "crescendo" && !storage::find_target(s, p.attacker_target_id, owner))
    errors.push_back({"attacker_target_id", "must be the id of one of your targets"});
  if (errors.empty()) return std::nullopt;
  return result<probe_set>::fail(errc::validation_error, "The probe set is invalid.",
                                 std::move(errors));
}

// Inserts `p` unless its owner has `max` sets already (MAX_PROBE_SETS_PER_USER).
db_task<result<probe_set>> insert(const probe_set& p, int64_t max, clock::time_point deadline) {
  return {"probe_set_insert", storage::access::write, deadline,
          [p, max](storage::session& s) -> result<probe_set> {
            if (auto refused = foreign_target(s, p, p.owner_id)) return *refused;
            if (!storage::insert_probe_set(s, p, max))
              return result<probe_set>::fail(
                  errc::quota_exceeded, "The quota MAX_PROBE_SETS_PER_USER=" + std::to_string(max) +
                                            " is reached: delete a probe set first.");
            return result<probe_set>{{}, p};
          }};
}

db_task<result<probe_set>> task_for(const probe_set_update& u) {
  return {
      "probe_set_update", storage::access::write, u.deadline,
      [u](storage::session& s) -> result<probe_set> {
        auto current = storage::find_probe_set(s, u.who.user_id, u.id);
        if (auto refused = refuse_change<probe_set>(current, u.if_match, "Probe set not found."))
          return *refused;
        probe_set p = *current;
        apply_patch(p, u.patch);
        auto errors = validate(p);
        // The id was valid when the set was made; a built-in added since does not lock it.
        errors.erase(std::remove_if(errors.begin(), errors.end(),
                                    [](const field_error& e) { return e.field == "id"; }),
                     errors.end());
        if (!errors.empty())
          return result<probe_set>::fail(errc::validation_error, "The probe set is invalid.",
                                         std::move(errors));
        if (auto refused = foreign_target(s, p, u.who.user_id)) return *refused;
        p.version = current->version + 1;
        p.updated_at_ms = now_ms();
        if (!storage::update_probe_set(s, p))
          return result<probe_set>::fail(errc::precondition_failed,
                                         "The probe set changed concurrently; read it again.");
        return result<probe_set>{{}, p};
      }};
}

db_task<result<nothing>> task_for(const probe_set_delete& d) {
  return {"probe_set_delete", storage::access::write, d.deadline,
          [d](storage::session& s) -> result<nothing> {
            auto current = storage::find_probe_set(s, d.who.user_id, d.id);
            if (auto refused = refuse_change<nothing>(current, d.if_match, "Probe set not found."))
              return *refused;
            if (!storage::delete_probe_set(s, d.who.user_id, d.id)) return not_found<nothing>();
            return result<nothing>{};
          }};
}

db_task<result<probe_set>> task_for(const probe_set_get& g) {
  return {"probe_set_get", storage::access::read, g.deadline, [g](storage::session& s) {
            auto found = storage::find_probe_set(s, g.who.user_id, g.id);
            return found ? result<probe_set>{{}, *found} : not_found<probe_set>();
          }};
}

db_task<result<probe_set_page>> task_for(const probe_set_list& l) {
  return {"probe_set_list", storage::access::read, l.deadline, [l](storage::session& s) {
            return result<probe_set_page>{
                {},
                read_page<probe_set>(
                    l.page, l.per_page, [&] { return storage::count_probe_sets(s, l.who.user_id); },
                    [&] {
                      return storage::list_probe_sets(s, l.who.user_id, l.per_page,
                                                      (l.page - 1) * l.per_page);
                    })};
          }};
}

// The built-in sets first (in id order), then the caller's own: one page across both.
db_task<result<probe_set_page>> task_for(const probe_catalog_get& g) {
  return {"probe_catalog", storage::access::read, g.deadline, [g](storage::session& s) {
            const auto& builtin = probe_sets();
            auto shipped = static_cast<int64_t>(builtin.size());
            int64_t from = (g.page - 1) * g.per_page;
            probe_set_page out;
            out.page = g.page;
            out.per_page = g.per_page;
            out.total = shipped + storage::count_probe_sets(s, g.who.user_id);
            for (int64_t i = from; i < shipped && i < from + g.per_page; ++i)
              out.items.push_back(builtin[static_cast<size_t>(i)]);
            int64_t room = g.per_page - static_cast<int64_t>(out.items.size());
            if (room > 0 && from + g.per_page > shipped)
              for (auto& p : storage::list_probe_sets(s, g.who.user_id, room,
                                                      std::max<int64_t>(0, from - shipped)))
                out.items.push_back(std::move(p));
            return result<probe_set_page>{{}, std::move(out)};
          }};
}

using probe_sets_pointer = probe_sets_actor::pointer;

probe_sets_actor::behavior_type probe_sets_behavior(probe_sets_pointer self, probe_sets_config cfg,
                                                    db_pool_actor pool, cache_actor cache) {
  plumbing<probe_sets_pointer> p{self, std::move(pool), std::move(cache), std::chrono::seconds(0)};
  return {
      [=](probe_set_create& c) {
        auto rp = self->make_response_promise<result<probe_set>>();
        probe_set set = std::move(c.value);
        set.owner_id = c.who.user_id;
        set.source = "user";
        set.version = 1;
        set.prompt_count = set.mode == "crescendo" ? 1 : static_cast<int64_t>(set.prompts.size());
        set.created_at_ms = set.updated_at_ms = now_ms();
        if (auto errors = validate(set); !errors.empty()) {
          rp.deliver(result<probe_set>::fail(errc::validation_error, "The probe set is invalid.",
                                             std::move(errors)));
          return rp;
        }
        std::string taken = id_taken(set.id);
        // GET /coverage counts the caller's sets and their tags: its cache entry goes.
        p.write(written_by(insert(set, cfg.max_probe_sets, c.deadline), c.who.user_id),
                {stats_scope}, std::move(taken), rp);
        return rp;
      },
      [=](probe_set_get& g) { return p.answer(task_for(g)); },
      [=](probe_set_list& l) { return p.answer(replica_read(task_for(l), l.who.user_id)); },
      [=](probe_set_update& u) {
        return p.write(written_by(task_for(u), u.who.user_id), {stats_scope}, "");
      },
      [=](probe_set_delete& d) {
        return p.write(written_by(task_for(d), d.who.user_id), {stats_scope}, "");
      },
      [=](probe_catalog_get& g) { return p.answer(task_for(g)); },
  };
}

}  // namespace

probe_sets_actor spawn_probe_sets(caf::actor_system& sys, probe_sets_config cfg, db_pool_actor pool,
                                  cache_actor cache) {
  return sys.spawn(probe_sets_behavior, cfg, std::move(pool), std::move(cache));
}

}  // namespace vutf
