// The plumbing actors share to serve a request: database calls whose work returns result<T>,
// reads through the versioned cache, and writes that invalidate cache scopes before answering.
// Internal to actors/ (it includes CAF).
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/cache.hpp"
#include "actors/db_pool.hpp"
#include "domain/encoding.hpp"

namespace vutf {

// The cache scope of GET /stats/overview: every write that changes a figure in it bumps it.
constexpr const char* stats_scope = "stats";

// The plumbing every message shares: database calls whose work returns result<T>, reads
// through the cache, writes that invalidate their cache scopes before answering.
template <class Self>
struct plumbing {
  Self self;
  db_pool_actor pool;
  cache_actor cache;
  std::chrono::seconds ttl;

  template <class T>
  static auto on_error(caf::typed_response_promise<result<T>> rp) {
    return [rp](caf::error&) mutable {
      rp.deliver(result<T>::fail(errc::internal_error, "An internal error occurred."));
    };
  }

  // Runs `call` (whose work returns result<T>) and hands that result to `next`; an
  // infrastructure failure is answered on `rp` (the caller's promise, of any result type), with
  // `conflict_detail` for a unique-name clash.
  template <class T, class R, class Next>
  void run(db_call call, caf::typed_response_promise<result<R>> rp, std::string conflict_detail,
           Next next) const {
    self->request(pool, caf::infinite, std::move(call))
        .then(
            [rp, next, conflict_detail](db_result& r) mutable {
              if (r.error) {
                if (r.error->code == errc::conflict) r.error->detail = conflict_detail;
                rp.deliver(result<R>{r.error, {}});
                return;
              }
              next(std::any_cast<result<T>>(std::move(r.value)));
            },
            on_error(rp));
  }

  // Runs `call` and answers its result on `rp` as it is.
  template <class T>
  void relay(db_call call, caf::typed_response_promise<result<T>> rp,
             std::string conflict_detail = "") const {
    run<T>(std::move(call), rp, std::move(conflict_detail),
           [rp](result<T> r) mutable { rp.deliver(std::move(r)); });
  }

  // The whole of a handler that only runs `call`: answers with its result.
  template <class T>
  caf::typed_response_promise<result<T>> answer(db_call call) const {
    auto rp = self->template make_response_promise<result<T>>();
    relay<T>(std::move(call), rp);
    return rp;
  }

  // Looks (scope, suffix) up and hands the entry to `next`; a failing cache is a miss.
  template <class T, class Next>
  void lookup(const std::string& scope, const std::string& suffix,
              caf::typed_response_promise<result<T>> rp, Next next) const {
    self->request(cache, caf::infinite, cache_lookup{scope, suffix}).then(next, on_error(rp));
  }

  void store(const std::string& scope, const cache_entry& e, const std::string& suffix,
             std::string value) const {
    if (e.version) self->send(cache, cache_store{scope, *e.version, suffix, std::move(value), ttl});
  }

  // Serves (scope, suffix) from the cache when `accept` takes the cached value; otherwise runs
  // `call` and caches what it found under the version the lookup saw.
  template <class T, class Accept>
  caf::typed_response_promise<result<T>> read_through(std::string scope, std::string suffix,
                                                      db_call call, Accept accept) const {
    auto rp = self->template make_response_promise<result<T>>();
    auto p = *this;
    lookup(scope, suffix, rp, [=](cache_entry& e) mutable {
      T cached;
      if (e.value && decode(*e.value, cached)) {
        rp.deliver(accept(std::move(cached)));
        return;
      }
      p.template run<T>(std::move(call), rp, "", [=](result<T> r) mutable {
        if (r.ok()) p.store(scope, e, suffix, encode(r.value));
        rp.deliver(std::move(r));
      });
    });
    return rp;
  }

  // Runs the write `call`; on success invalidates `scopes` and only then answers, so the
  // caller's next read sees its own write.
  template <class T>
  caf::typed_response_promise<result<T>> write(db_call call, std::vector<std::string> scopes,
                                               std::string conflict_detail) const {
    auto rp = self->template make_response_promise<result<T>>();
    auto p = *this;
    run<T>(std::move(call), rp, std::move(conflict_detail), [=](result<T> r) mutable {
      if (!r.ok()) {
        rp.deliver(std::move(r));
        return;
      }
      p.self->request(p.cache, caf::infinite, cache_bump{scopes})
          .then([rp, r](bool) mutable { rp.deliver(r); },
                [rp, r](caf::error&) mutable { rp.deliver(r); });
    });
    return rp;
  }
};

}  // namespace vutf
