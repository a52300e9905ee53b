#include "actors/targets.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/principals.hpp"
#include "config/time.hpp"
#include "domain/encoding.hpp"
#include "domain/ids.hpp"
#include "storage/target_store.hpp"

namespace vutf {
namespace {

// The list pages and totals of `owner`'s targets ("*": every owner's, as admins list them). A
// write invalidates its owner's lists and the admins', never another owner's.
std::string list_scope(const std::string& owner) {
  return "targets:" + owner;
}
std::string target_scope(const std::string& id) {
  return "target:" + id;
}
// What a write to a target of `owner` changes besides the record: the lists that hold it.
std::vector<std::string> lists_of(const std::string& owner) {
  return {list_scope(owner), list_scope("*")};
}

// Length-prefixed, so no client text can make two queries share a key.
std::string list_suffix(const target_query& q) {
  std::string out;
  for (const std::string* part : {&q.owner_id, &q.kind, &q.q, &q.sort})
    out += std::to_string(part->size()) + ":" + *part + "|";
  return out + std::to_string(q.page) + "|" + std::to_string(q.per_page);
}

// The total of a query is shared by all its pages.
std::string count_suffix(const target_query& q) {
  target_query all = q;
  all.page = 0;
  all.per_page = 0;
  all.sort.clear();
  return "count|" + list_suffix(all);
}

template <class T>
result<T> not_found() {
  return result<T>::fail(errc::not_found, "Target not found.");
}

std::string name_taken(const std::string& name) {
  return "A target named '" + name + "' already exists.";
}

using targets_pointer = targets_actor::pointer;

// ---- the work of each message ----

// Inserts `t` unless its owner has `max` live targets already (MAX_TARGETS_PER_USER).
db_task<result<target>> insert(const target& t, int64_t max, clock::time_point deadline) {
  return {"target_insert", storage::access::write, deadline,
          [t, max](storage::session& s) -> result<target> {
            if (!storage::insert_target(s, t, max))
              return result<target>::fail(errc::quota_exceeded,
                                          "The quota MAX_TARGETS_PER_USER=" + std::to_string(max) +
                                              " is reached: delete a target first.");
            return result<target>{{}, t};
          }};
}

db_task<result<target>> task_for(const target_get& g) {
  return {"target_get", storage::access::read, g.deadline,
          [id = g.id, owner = owner_scope(g.who)](storage::session& s) {
            auto found = storage::find_target(s, id, owner);
            return found ? result<target>{{}, *found} : not_found<target>();
          }};
}

// A page of `q`; `known` is its total when the cache had it.
db_task<result<target_page>> read_list(const target_query& q, std::optional<int64_t> known,
                                       clock::time_point deadline) {
  return {"target_list", storage::access::read, deadline, [q, known](storage::session& s) {
            int64_t total = known ? *known : storage::count_targets(s, q);
            return result<target_page>{{},
                                       read_page<target>(
                                           q.page, q.per_page, [&] { return total; },
                                           [&] { return storage::list_targets(s, q, total); })};
          }};
}

// Changes the target; the lists it invalidates are its owner's (an admin may change anyone's).
db_task<result<touched<target>>> task_for(const target_update& u) {
  using answer = result<touched<target>>;
  return {
      "target_update", storage::access::write, u.deadline,
      [u, owner = owner_scope(u.who)](storage::session& s) -> answer {
        auto current = storage::find_target(s, u.id, owner);
        if (auto refused = refuse_change<touched<target>>(current, u.if_match, "Target not found."))
          return *refused;
        target t = *current;
        apply_patch(t, u.patch);
        if (auto errors = validate(t); !errors.empty())
          return answer::fail(errc::validation_error, "The target is invalid.", std::move(errors));
        t.version = current->version + 1;
        t.updated_at_ms = now_ms();
        if (!storage::update_target(s, t))
          return answer::fail(errc::precondition_failed,
                              "The target changed concurrently; read it again.");
        std::vector<std::string> scopes = lists_of(t.owner_id);
        scopes.push_back(target_scope(t.id));
        return answer{{}, {t, std::move(scopes)}};
      }};
}

db_task<result<touched<nothing>>> task_for(const target_delete& d) {
  using answer = result<touched<nothing>>;
  return {"target_delete", storage::access::write, d.deadline,
          [d, owner = owner_scope(d.who)](storage::session& s) -> answer {
            auto current = storage::find_target(s, d.id, owner);
            if (auto refused =
                    refuse_change<touched<nothing>>(current, d.if_match, "Target not found."))
              return *refused;
            if (!storage::delete_target(s, d.id, owner, now_ms()))
              return not_found<touched<nothing>>();
            std::vector<std::string> scopes = lists_of(current->owner_id);
            scopes.push_back(target_scope(d.id));
            scopes.emplace_back(stats_scope);
            return answer{{}, {{}, std::move(scopes)}};
          }};
}

// target_list: the cached page → on a miss, the cached total of the query → read the page (and
// the total, unless cached) → cache both, in the scope of the owner whose list it is. A cold page
// costs one index range; the total is one owner_counts row, or for a filtered query a COUNT(*)
// once per version of the list, not once per page.
struct listing {
  plumbing<targets_pointer> p;
  target_query q;  // owner_id set from the caller
  clock::time_point deadline;
  caf::typed_response_promise<result<target_page>> rp;
  std::string caller;  // the user listing

  void start() {
    p.lookup(list_scope(q.owner_id), list_suffix(q), rp,
             [f = *this](cache_entry& page) mutable { f.page_looked_up(page); });
  }

  void page_looked_up(const cache_entry& page) {
    target_page cached;
    if (page.value && decode(*page.value, cached)) {
      rp.deliver(result<target_page>{{}, std::move(cached)});
      return;
    }
    p.lookup(list_scope(q.owner_id), count_suffix(q), rp,
             [f = *this, page](cache_entry& count) mutable { f.read(page, count); });
  }

  void read(const cache_entry& page, const cache_entry& count) {
    std::optional<int64_t> known;
    if (count.value) known = std::stoll(*count.value);
    p.run(replica_read(read_list(q, known, deadline), caller), rp, "",
          [f = *this, page, count, known](result<target_page> r) mutable {
            if (r.ok()) {
              f.p.store(list_scope(f.q.owner_id), page, list_suffix(f.q), encode(r.value));
              if (!known)
                f.p.store(list_scope(f.q.owner_id), count, count_suffix(f.q),
                          std::to_string(r.value.total));
            }
            f.rp.deliver(std::move(r));
          });
  }
};

// One target as `who` sees it, handed to `done`: one record per id, shared by every reader,
// so the owner is checked on each hit.
template <class Done>
void read_target(const plumbing<targets_pointer>& p, const target_get& g, Done done) {
  p.read_through_then(
      target_scope(g.id), "record", task_for(g),
      [owner = owner_scope(g.who)](target t) {
        return owner == "*" || t.owner_id == owner ? result<target>{{}, t} : not_found<target>();
      },
      std::move(done));
}

targets_actor::behavior_type targets(targets_pointer self, targets_config cfg, db_pool_actor pool,
                                     cache_actor cache) {
  plumbing<targets_pointer> p{self, std::move(pool), std::move(cache), cfg.cache_ttl, cfg.near};
  return {
      [=](target_create& c) -> caf::typed_response_promise<result<target>> {
        target t = std::move(c.value);
        t.created_at_ms = t.updated_at_ms = now_ms();
        t.id = make_time_ordered_uuid(t.created_at_ms);  // newest first, even in one millisecond
        t.owner_id = c.who.user_id;
        t.version = 1;
        if (t.timeout_seconds == 0) t.timeout_seconds = cfg.default_call_timeout.count();
        if (auto errors = validate(t); !errors.empty()) {
          auto rp = self->make_response_promise<result<target>>();
          rp.deliver(result<target>::fail(errc::validation_error, "The target is invalid.",
                                          std::move(errors)));
          return rp;
        }
        std::vector<std::string> scopes = lists_of(t.owner_id);
        scopes.emplace_back(stats_scope);
        // Concurrent creates of one owner share a transaction: each takes the owner's quota row
        // first, which is the lock order batched() asks for.
        return p.write(batched(written_by(insert(t, cfg.max_targets, c.deadline), c.who.user_id),
                               "targets:" + t.owner_id),
                       std::move(scopes), name_taken(t.name));
      },
      [=](target_get& g) {
        auto rp = self->make_response_promise<result<target>>();
        read_target(p, g, [rp](result<target> r) mutable { rp.deliver(std::move(r)); });
        return rp;
      },
      [=](target_fetch& f) {
        auto rp = self->make_response_promise<target_as_caller>();
        authenticate_then(
            p, cfg.auth, f.presented, f.deadline,
            [=, id = f.id, deadline = f.deadline](result<principal> who) mutable {
              if (!who.ok()) {
                rp.deliver(target_as_caller{std::nullopt, result<target>{who.error, {}}});
                return;
              }
              read_target(p, target_get{who.value, id, deadline},
                          [rp, who = who.value](result<target> r) mutable {
                            rp.deliver(target_as_caller{who, std::move(r)});
                          });
            });
        return rp;
      },
      [=](target_list& l) {
        auto rp = self->make_response_promise<result<target_page>>();
        target_query q = l.query;
        q.owner_id = owner_scope(l.who);
        listing{p, q, l.deadline, rp, l.who.user_id}.start();
        return rp;
      },
      [=](target_update& u) {
        return p.commit(written_by(task_for(u), u.who.user_id),
                        name_taken(u.patch.name.value_or("")));
      },
      [=](target_delete& d) { return p.commit(written_by(task_for(d), d.who.user_id)); },
  };
}

}  // namespace

targets_actor spawn_targets(caf::actor_system& sys, targets_config cfg, db_pool_actor pool,
                            cache_actor cache) {
  return sys.spawn(targets, cfg, std::move(pool), std::move(cache));
}

}  // namespace vutf
