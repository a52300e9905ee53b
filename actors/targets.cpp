#include "actors/targets.hpp"

#include <prometheus/counter.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/principals.hpp"
#include "config/time.hpp"
#include "domain/encoding.hpp"
#include "domain/ids.hpp"
#include "metrics/metrics.hpp"
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
using list_change = storage::list_index::change;

// What a write answers, the cache scopes it changed (its owner's lists first) and what it did to
// its owner's list, for the list index.
template <class T>
struct listed {
  T value{};
  std::vector<std::string> scopes;
  std::string owner;
  list_change change;
};

// What a write of a target of `owner` changes besides the record: the lists that hold it, whose
// version the list index follows (the first), and the statistics.
template <class T>
listed<T> listed_change(T value, const std::string& owner, list_change change,
                        std::vector<std::string> more) {
  std::vector<std::string> scopes = lists_of(owner);
  scopes.insert(scopes.end(), more.begin(), more.end());
  return {std::move(value), std::move(scopes), owner, std::move(change)};
}

list_change key_change(list_change::op what, const target& t) {
  return {what, {t.created_at_ms, t.id}};
}

// ---- the work of each message ----

// Inserts `t` unless its owner has `max` live targets already (MAX_TARGETS_PER_USER).
db_task<result<listed<target>>> insert(const target& t, int64_t max, clock::time_point deadline) {
  using answer = result<listed<target>>;
  return {
      "target_insert", storage::access::write, deadline, [t, max](storage::session& s) -> answer {
        if (!storage::insert_target(s, t, max))
          return answer::fail(errc::quota_exceeded,
                              "The quota MAX_TARGETS_PER_USER=" + std::to_string(max) +
                                  " is reached: delete a target first.");
        return answer{
            {}, listed_change(t, t.owner_id, key_change(list_change::op::add, t), {stats_scope})};
      }};
}

db_task<result<target>> task_for(const target_get& g) {
  return {"target_get", storage::access::read, g.deadline,
          [id = g.id, owner = owner_scope(g.who)](storage::session& s) {
            auto found = storage::find_target(s, id, owner);
            return found ? result<target>{{}, *found} : not_found<target>();
          }};
}

// A page of `q` by OFFSET (from the nearer end); `total` is read unless `known`.
result<target_page> offset_page(storage::session& s, const target_query& q,
                                std::optional<int64_t> known) {
  int64_t total = known ? *known : storage::count_targets(s, q);
  return result<target_page>{{},
                             read_page<target>(
                                 q.page, q.per_page, [&] { return total; },
                                 [&] { return storage::list_targets(s, q, total); })};
}

// A page of `q`; `known` is its total when the cache had it.
db_task<result<target_page>> read_list(const target_query& q, std::optional<int64_t> known,
                                       clock::time_point deadline) {
  return {"target_list", storage::access::read, deadline,
          [q, known](storage::session& s) { return offset_page(s, q, known); }};
}

// Whether the list index serves `q`: an owner's unfiltered list in created_at order (either way).
bool indexed(const target_query& q) {
  return q.owner_id != "*" && q.kind.empty() && q.q.empty() &&
         (q.sort == "-created_at" || q.sort == "created_at");
}

// A page of `q` (indexed) as of `version` of its list scope or later: where it starts comes from
// the list index (storage::indexed_start: keys whose chain holds `version`, waited for while own
// bumps catch up, or built with one read of the owner's keys); then the page is one range of
// targets_owner_created. A page the index cannot serve reads by OFFSET.
db_task<result<target_page>> read_indexed(const target_query& q, int64_t version,
                                          const near_link& near, clock::time_point deadline) {
  return {"target_list", storage::access::read, deadline,
          [q, version, lists = near.lists, m = near.m, deadline](storage::session& s) {
            int64_t offset = (q.page - 1) * q.per_page;
            bool newest_first = q.sort == "-created_at";
            bool built = false;
            auto at = storage::indexed_start(s, *lists, q.owner_id, version, offset, newest_first,
                                             deadline, built);
            if (built) m->list_index_builds_total.Increment();
            if (!at) return offset_page(s, q, std::nullopt);
            return result<target_page>{{},
                                       read_page<target>(
                                           q.page, q.per_page, [&] { return at->total; },
                                           [&] {
                                             return storage::list_targets_from(
                                                 s, q.owner_id, *at->first, newest_first,
                                                 q.per_page);
                                           })};
          }};
}

// A change of the target a target_update or target_delete `c` names, as the statement `name`:
// the target is read in the caller's scope (an admin's is every owner's), the change refused
// while it is missing or If-Match names another version, else made by `write` from what was read.
template <class T, class Change, class Write>
db_task<result<listed<T>>> change_task(const char* name, const Change& c, Write write) {
  return {name, storage::access::write, c.deadline,
          [id = c.id, if_match = c.if_match, owner = owner_scope(c.who),
           write = std::move(write)](storage::session& s) -> result<listed<T>> {
            auto current = storage::find_target(s, id, owner);
            if (auto refused = refuse_change<listed<T>>(current, if_match, "Target not found."))
              return *refused;
            return write(s, *current);
          }};
}

// Changes the target; the lists it invalidates are its owner's (an admin may change anyone's).
db_task<result<listed<target>>> task_for(const target_update& u) {
  using answer = result<listed<target>>;
  return change_task<target>(
      "target_update", u, [patch = u.patch](storage::session& s, const target& current) -> answer {
        target t = current;
        apply_patch(t, patch);
        if (auto errors = validate(t); !errors.empty())
          return answer::fail(errc::validation_error, "The target is invalid.", std::move(errors));
        t.version = current.version + 1;
        t.updated_at_ms = now_ms();
        if (!storage::update_target(s, t))
          return answer::fail(errc::precondition_failed,
                              "The target changed concurrently; read it again.");
        // The list's keys stay: created_at and id never change.
        return answer{{}, listed_change(t, t.owner_id, {}, {target_scope(t.id)})};
      });
}

db_task<result<listed<nothing>>> task_for(const target_delete& d) {
  using answer = result<listed<nothing>>;
  return change_task<nothing>(
      "target_delete", d,
      [owner = owner_scope(d.who)](storage::session& s, const target& current) -> answer {
        if (!storage::delete_target(s, current.id, owner, now_ms()))
          return not_found<listed<nothing>>();
        return answer{
            {},
            listed_change(nothing{}, current.owner_id, key_change(list_change::op::remove, current),
                          {target_scope(current.id), stats_scope})};
      });
}

// target_list: the cached page → on a miss, for an indexed query, the page from the list index
// keys serving the version the lookup saw (the total is the index's size) → otherwise the cached
// total of the query, then the page by OFFSET (and the total, unless cached) → cache what was
// read, in the scope of the owner whose list it is. A cold indexed page costs one index range; a
// filtered query's total is a COUNT(*) once per version of the list, not once per page.
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
    if (p.near.lists && indexed(q)) {
      if (page.version) {
        read_indexed_at(page, *page.version);
        return;
      }
      if (p.near.local) {
        // In-process the near cache answered alone: the list's version is the in-process
        // cache's, which every write bumps too.
        p.lookup_shared(list_scope(q.owner_id), rp, [f = *this, page](cache_entry& e) mutable {
          if (e.version) {
            f.read_indexed_at(page, *e.version);
          } else {
            f.count_then_read(page);
          }
        });
        return;
      }
    }
    count_then_read(page);
  }

  void read_indexed_at(const cache_entry& page, int64_t version) {
    // On the primary, never a replica: the keys read are carried forward by this instance's
    // writes, so keys a lagging replica missed (or still had) would stay wrong after the lag.
    p.run(read_indexed(q, version, p.near, deadline), rp, "",
          [f = *this, page](result<target_page> r) mutable {
            if (r.ok())
              f.p.store(list_scope(f.q.owner_id), f.keeping(page), list_suffix(f.q),
                        encode(r.value));
            f.rp.deliver(std::move(r));
          });
  }

  // Where what a miss of `e` read is kept: not in the shared cache when this instance knows the
  // list has moved past the version the lookup saw (under W6 a create moves it every
  // millisecond), as no reader would ask for it there again; the near cache refuses it anyway.
  cache_entry keeping(cache_entry e) const {
    if (e.version && p.near.lists && p.near.lists->moved_past(q.owner_id, *e.version))
      e.version.reset();
    return e;
  }

  void count_then_read(const cache_entry& page) {
    p.lookup(list_scope(q.owner_id), count_suffix(q), rp,
             [f = *this, page](cache_entry& count) mutable { f.read(page, count); });
  }

  void read(const cache_entry& page, const cache_entry& count) {
    std::optional<int64_t> known;
    if (count.value) known = std::stoll(*count.value);
    p.run(replica_read(read_list(q, known, deadline), caller), rp, "",
          [f = *this, page, count, known](result<target_page> r) mutable {
            if (r.ok()) {
              f.p.store(list_scope(f.q.owner_id), f.keeping(page), list_suffix(f.q),
                        encode(r.value));
              if (!known)
                f.p.store(list_scope(f.q.owner_id), f.keeping(count), count_suffix(f.q),
                          std::to_string(r.value.total));
            }
            f.rp.deliver(std::move(r));
          });
  }
};

// Runs the write `task`; once it committed, invalidates its scopes and carries its change into
// the list index by the version its owner's list moved to (so the writer's next list sees it,
// without a rebuild), then answers `rp` with its value.
template <class T>
void commit_listed(const plumbing<targets_pointer>& p, db_task<result<listed<T>>> task,
                   caf::typed_response_promise<result<T>> rp, std::string conflict_detail) {
  auto lists = p.near.lists;
  uint64_t before = lists ? lists->ticket() : 0;
  p.run(std::move(task), rp, std::move(conflict_detail),
        [p, lists, before, rp](result<listed<T>> r) mutable {
          if (!r.ok()) {
            rp.deliver(result<T>{r.error, {}});
            return;
          }
          listed<T> w = std::move(r.value);
          w.change.before = before;
          w.change.after = lists ? lists->ticket() : 0;
          std::vector<list_move> moves;
          if (lists) {
            lists->bumping(w.owner);
            moves.push_back(list_move{w.owner, w.change, 0});  // the list scope comes first
          }
          p.bump(
              std::move(w.scopes),
              [rp, value = std::move(w.value)](const cache_bumped&) mutable {
                rp.deliver(result<T>{{}, std::move(value)});
              },
              std::move(moves));
        });
}

template <class T>
caf::typed_response_promise<result<T>> commit_listed(const plumbing<targets_pointer>& p,
                                                     db_task<result<listed<T>>> task,
                                                     std::string conflict_detail = "") {
  auto rp = p.self->template make_response_promise<result<T>>();
  commit_listed(p, std::move(task), rp, std::move(conflict_detail));
  return rp;
}

// The list `l` asks for, of the targets its caller may see.
target_query owned_query(const target_list& l) {
  target_query q = l.query;
  q.owner_id = owner_scope(l.who);
  return q;
}

// The value held in the near cache under (scope, suffix), counted as a hit; nullopt when none.
template <class T>
std::optional<T> held(const near_link& near, const std::string& scope, const std::string& suffix) {
  if (!near.cache) return std::nullopt;
  auto value = near.cache->get(scope, suffix);
  T out;
  if (!value || !decode(*value, out)) return std::nullopt;
  near.count_hit();
  return out;
}

// A record as `who` sees it: one record per id is shared by every reader, so the owner is
// checked on each hit.
result<target> as_seen_by(const principal& who, target t) {
  std::string owner = owner_scope(who);
  return owner == "*" || t.owner_id == owner ? result<target>{{}, std::move(t)}
                                             : not_found<target>();
}

// One target as `who` sees it, handed to `done`.
template <class Done>
void read_target(const plumbing<targets_pointer>& p, const target_get& g, Done done) {
  p.read_through_then(
      target_scope(g.id), "record", task_for(g),
      [who = g.who](target t) { return as_seen_by(who, std::move(t)); }, std::move(done));
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
        // Concurrent creates of one owner share a transaction: each takes the owner's quota row
        // first, which is the lock order batched() asks for.
        return commit_listed(
            p,
            batched(written_by(insert(t, cfg.max_targets, c.deadline), c.who.user_id),
                    "targets:" + t.owner_id),
            name_taken(t.name));
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
        listing{p, owned_query(l), l.deadline, rp, l.who.user_id}.start();
        return rp;
      },
      [=](target_update& u) {
        return commit_listed(p, written_by(task_for(u), u.who.user_id),
                             name_taken(u.patch.name.value_or("")));
      },
      [=](target_delete& d) { return commit_listed(p, written_by(task_for(d), d.who.user_id)); },
  };
}

}  // namespace

targets_actor spawn_targets(caf::actor_system& sys, targets_config cfg, db_pool_actor pool,
                            cache_actor cache) {
  return sys.spawn(targets, cfg, std::move(pool), std::move(cache));
}

std::optional<result<target>> get_target_near(const near_link& near, const target_get& g) {
  auto t = held<target>(near, target_scope(g.id), "record");
  if (!t) return std::nullopt;
  return as_seen_by(g.who, std::move(*t));
}

std::optional<result<target_page>> list_targets_near(const near_link& near, const target_list& l) {
  target_query q = owned_query(l);
  auto page = held<target_page>(near, list_scope(q.owner_id), list_suffix(q));
  if (!page) return std::nullopt;
  return result<target_page>{{}, std::move(*page)};
}

}  // namespace vutf
