// The plumbing actors share to serve a request: typed database calls whose work returns
// result<T>, reads through the versioned cache, writes that invalidate cache scopes before
// answering, and the caller checks every resource makes. Internal to actors/ (it includes CAF).
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/cache.hpp"
#include "actors/db_pool.hpp"
#include "actors/waiting.hpp"
#include "domain/encoding.hpp"

namespace vutf {

// The cache scope of GET /stats/overview and GET /coverage: every write that changes a figure in
// them bumps it.
constexpr const char* stats_scope = "stats";

// Whose records the caller may see: their own, or every owner's ("*") for an admin.
inline std::string owner_scope(const principal& who) {
  return who.is_admin() ? "*" : who.user_id;
}

// Answers FORBIDDEN on `rp` unless `who` is an admin; true when it did (the handler stops).
template <class T>
bool refuse_unless_admin(const principal& who, caf::typed_response_promise<result<T>>& rp) {
  if (who.is_admin()) return false;
  rp.deliver(result<T>::fail(errc::forbidden, "This needs the admin role."));
  return true;
}

// Why a change may not touch `current`: it does not exist (NOT_FOUND saying `missing`), or
// If-Match names another version (PRECONDITION_FAILED); nullopt when it may.
template <class T, class Record>
std::optional<result<T>> refuse_change(const std::optional<Record>& current,
                                       const std::optional<int64_t>& if_match,
                                       const char* missing) {
  if (!current) return result<T>::fail(errc::not_found, missing);
  if (if_match && *if_match != current->version)
    return result<T>::fail(
        errc::precondition_failed,
        "If-Match does not match the current version " + std::to_string(current->version) + ".");
  return std::nullopt;
}

// What a write answers and the cache scopes it changed, when only the work knows the scopes.
template <class T>
struct touched {
  T value{};
  std::vector<std::string> scopes;
};

// The plumbing every message shares: database calls whose work returns result<T>, reads
// through the cache, writes that invalidate their cache scopes before answering.
template <class Self>
struct plumbing {
  Self self;
  db_pool_actor pool;
  cache_actor cache;
  std::chrono::seconds ttl;
  near_link near{};  // reads go through the near cache first when it has one

  template <class T>
  static auto on_error(caf::typed_response_promise<result<T>> rp) {
    return [rp](caf::error&) mutable { rp.deliver(result<T>{internal_failure(), {}}); };
  }

  // Runs `task` and hands its result to `next`; an infrastructure failure is answered on `rp`
  // (the caller's promise, of any result type), with `conflict_detail` for a unique-name clash.
  template <class T, class R, class Next>
  void run(db_task<result<T>> task, caf::typed_response_promise<result<R>> rp,
           std::string conflict_detail, Next next) const {
    request_db(self, pool, std::move(task), std::move(next),
               [rp, conflict_detail](failure f) mutable {
                 if (f.code == errc::conflict) f.detail = conflict_detail;
                 rp.deliver(result<R>{std::move(f), {}});
               });
  }

  // Runs `task` and answers its result on `rp` as it is.
  template <class T>
  void relay(db_task<result<T>> task, caf::typed_response_promise<result<T>> rp,
             std::string conflict_detail = "") const {
    run(std::move(task), rp, std::move(conflict_detail),
        [rp](result<T> r) mutable { rp.deliver(std::move(r)); });
  }

  // The whole of a handler that only runs `task`: answers with its result.
  template <class T>
  caf::typed_response_promise<result<T>> answer(db_task<result<T>> task) const {
    auto rp = self->template make_response_promise<result<T>>();
    relay(std::move(task), rp);
    return rp;
  }

  // Looks (scope, suffix) up and hands the entry to `next`, or the cache actor's error to
  // `failed`; a failing cache is a miss. The near cache answers first: a hit there is served
  // on this thread (no message, no Redis call); a miss takes a ticket, so a value fetched from
  // the shared cache (here) or the database (store) enters it only if no write intervened.
  template <class Next, class Failed>
  void lookup_then(const std::string& scope, const std::string& suffix, Next next,
                   Failed failed) const {
    if (!near.cache) {
      self->request(cache, caf::infinite, cache_lookup{scope, suffix}).then(next, failed);
      return;
    }
    if (auto held = near.cache->get(scope, suffix)) {
      near.count_hit();
      cache_entry e;
      e.value = std::move(held);
      next(e);
      return;
    }
    near.count_miss();
    uint64_t ticket = near.cache->ticket();
    if (near.local) {  // the near cache is the cache: on to the database
      cache_entry e;
      e.tracked = near.cache->generation();
      e.near_ticket = ticket;
      next(e);
      return;
    }
    self->request(cache, caf::infinite, cache_lookup{scope, suffix})
        .then(
            [ticket, scope, suffix, cache = near.cache, next](cache_entry& e) mutable {
              e.near_ticket = ticket;
              if (e.value) cache->fill(ticket, e.tracked, scope, suffix, *e.value);
              next(e);
            },
            failed);
  }

  // Looks (scope, suffix) up and hands the entry to `next`; a failing cache is a miss.
  template <class T, class Next>
  void lookup(const std::string& scope, const std::string& suffix,
              caf::typed_response_promise<result<T>> rp, Next next) const {
    lookup_then(scope, suffix, std::move(next), on_error(rp));
  }

  // The scope's version as the shared cache has it, past the near cache (an entry without a
  // version when it cannot answer), handed to `next`.
  template <class T, class Next>
  void lookup_shared(const std::string& scope, caf::typed_response_promise<result<T>> rp,
                     Next next) const {
    self->request(cache, caf::infinite, cache_lookup{scope, "version"})
        .then(std::move(next), on_error(rp));
  }

  // Keeps what a miss of `e` read: in the near cache under the lookup's ticket, and in the
  // shared cache under the version the lookup saw.
  void store(const std::string& scope, const cache_entry& e, const std::string& suffix,
             std::string value) const {
    if (near.cache && e.near_ticket)
      near.cache->fill(e.near_ticket, e.tracked, scope, suffix, value);
    if (e.version) self->send(cache, cache_store{scope, *e.version, suffix, std::move(value), ttl});
  }

  // Invalidates `scopes` (and moves the list index by `lists`), then runs `next` with what the
  // cache said (versions of 0 when it could not answer).
  template <class Next>
  void bump(std::vector<std::string> scopes, Next next, std::vector<list_move> lists = {}) const {
    size_t n = scopes.size();
    self->request(cache, caf::infinite, cache_bump{std::move(scopes), lists})
        .then([next](cache_bumped& b) mutable { next(b); },
              [next, n, lists, index = near.lists](caf::error&) mutable {
                // The cache never saw them: their keys cannot stay.
                if (index) apply_moves(*index, lists, {});
                next(cache_bumped{std::vector<int64_t>(n, 0)});
              });
  }

  // Hands `done` the value of (scope, suffix) from the cache when `accept` takes it (what
  // accept returns); otherwise runs `task`, caches what it found under the version the lookup
  // saw and hands `done` its result. `done` is called once, with a failure too.
  template <class T, class Accept, class Done>
  void read_through_then(std::string scope, std::string suffix, db_task<result<T>> task,
                         Accept accept, Done done) const {
    auto p = *this;
    lookup_then(
        scope, suffix,
        [=](cache_entry& e) mutable {
          T cached;
          if (e.value && decode(*e.value, cached)) {
            done(accept(std::move(cached)));
            return;
          }
          request_db(
              p.self, p.pool, std::move(task),
              [=](result<T> r) mutable {
                if (r.ok()) p.store(scope, e, suffix, encode(r.value));
                done(std::move(r));
              },
              [done](failure f) mutable {
                done(result<T>{std::move(f), {}});
              });
        },
        [done](caf::error&) mutable {
          done(result<T>{internal_failure(), {}});
        });
  }

  // Serves (scope, suffix) from the cache on `rp` when `accept` takes the cached value;
  // otherwise runs `task` and caches what it found under the version the lookup saw.
  template <class T, class Accept>
  void read_through(std::string scope, std::string suffix, db_task<result<T>> task, Accept accept,
                    caf::typed_response_promise<result<T>> rp) const {
    read_through_then(std::move(scope), std::move(suffix), std::move(task), std::move(accept),
                      [rp](result<T> r) mutable { rp.deliver(std::move(r)); });
  }

  // The whole of a handler that only reads through the cache.
  template <class T, class Accept>
  caf::typed_response_promise<result<T>> read_through(std::string scope, std::string suffix,
                                                      db_task<result<T>> task,
                                                      Accept accept) const {
    auto rp = self->template make_response_promise<result<T>>();
    read_through(std::move(scope), std::move(suffix), std::move(task), std::move(accept), rp);
    return rp;
  }

  // Runs the write `task`; on success invalidates `scopes` and only then answers on `rp`, so the
  // caller's next read sees its own write.
  template <class T>
  void write(db_task<result<T>> task, std::vector<std::string> scopes, std::string conflict_detail,
             caf::typed_response_promise<result<T>> rp) const {
    auto p = *this;
    run(std::move(task), rp, std::move(conflict_detail), [=](result<T> r) mutable {
      if (!r.ok()) {
        rp.deliver(std::move(r));
        return;
      }
      p.bump(scopes, [rp, r](const cache_bumped&) mutable { rp.deliver(r); });
    });
  }

  // The whole of a handler that only runs such a write.
  template <class T>
  caf::typed_response_promise<result<T>> write(db_task<result<T>> task,
                                               std::vector<std::string> scopes,
                                               std::string conflict_detail) const {
    auto rp = self->template make_response_promise<result<T>>();
    write(std::move(task), std::move(scopes), std::move(conflict_detail), rp);
    return rp;
  }

  // Runs the write `task` whose work names the scopes it changed; on success invalidates them
  // and only then answers `rp` with the value.
  template <class T>
  void commit(db_task<result<touched<T>>> task, caf::typed_response_promise<result<T>> rp,
              std::string conflict_detail) const {
    auto p = *this;
    run(std::move(task), rp, std::move(conflict_detail), [=](result<touched<T>> r) mutable {
      if (!r.ok()) {
        rp.deliver(result<T>{r.error, {}});
        return;
      }
      p.bump(std::move(r.value.scopes),
             [rp, value = std::move(r.value.value)](const cache_bumped&) mutable {
               rp.deliver(result<T>{{}, value});
             });
    });
  }

  // The whole of a handler that only runs such a write.
  template <class T>
  caf::typed_response_promise<result<T>> commit(db_task<result<touched<T>>> task,
                                                std::string conflict_detail = "") const {
    auto rp = self->template make_response_promise<result<T>>();
    commit(std::move(task), rp, std::move(conflict_detail));
    return rp;
  }
};

}  // namespace vutf
