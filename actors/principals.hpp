// Who presented credentials are, resolved the same way by every actor that authenticates (the
// authentication actor for `authenticate`, the targets actors for `target_fetch`, whose message
// carries the credentials: one round trip) and by service::ask on a near-cache hit (none). A bearer
// token is verified here (HMAC); its session, or an API key's SHA-256, resolves to a principal
// through the near cache, the shared cache and only on a miss the database. Every revocation bumps
// the scope the principal is cached under, so it is seen at once everywhere.
#pragma once

#include <functional>
#include <optional>

#include "actors/identity_scopes.hpp"
#include "actors/plumbing.hpp"

namespace vutf {

// How presented credentials resolve: the scope their principal is cached under (which their
// revocation bumps), the read that finds it on a miss (encoded, so "nobody" is cached too) and
// what the principal found must match.
struct resolution {
  std::string scope;
  db_task<result<std::string>> read;
  std::function<bool(const principal&)> matches = [](const principal&) { return true; };
};

// An API key by its SHA-256, else a verified access token by its session; nullopt for neither.
std::optional<resolution> resolve(const credentials& presented, const authenticator& a,
                                  clock::time_point deadline);

// The principal that `state` (cached under a resolution's scope) names, if the resolution
// `matches` it; else UNAUTHORIZED. An API key's use is noted in `used`.
result<principal> principal_of(const std::string& state,
                               const std::function<bool(const principal&)>& matches,
                               key_usage* used);

// `presented` resolved from this instance's near cache alone, on the calling thread (no message,
// no Redis call): the principal or UNAUTHORIZED, or nullopt when the near cache does not hold
// the principal (ask the actors, which count the miss).
std::optional<result<principal>> authenticate_near(const near_link& near, const authenticator& a,
                                                   const credentials& presented);

// Resolves `presented` and calls `done(result<principal>)` once: the principal, UNAUTHORIZED,
// or the failure that stopped the read.
template <class Self, class Done>
void authenticate_then(const plumbing<Self>& p, const authenticator& a,
                       const credentials& presented, clock::time_point deadline, Done done) {
  auto how = resolve(presented, a, deadline);
  if (!how) {
    done(unauthorized<principal>());
    return;
  }
  auto answer = [done, matches = how->matches, used = a.used](const std::string& state) mutable {
    done(principal_of(state, matches, used.get()));
  };
  p.lookup_then(
      how->scope, "principal",
      [p, answer, done, scope = how->scope, read = how->read](cache_entry& e) mutable {
        if (e.value) {
          answer(*e.value);
          return;
        }
        request_db(
            p.self, p.pool, std::move(read),
            [p, answer, scope, e](result<std::string> r) mutable {
              p.store(scope, e, "principal", r.value);
              answer(r.value);
            },
            [done](failure f) mutable {
              done(result<principal>{std::move(f), {}});
            });
      },
      [done](caf::error&) mutable {
        done(result<principal>{internal_failure(), {}});
      });
}

}  // namespace vutf
