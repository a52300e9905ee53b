#include "actors/accounts.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <memory>

#include "actors/identity_scopes.hpp"
#include "actors/plumbing.hpp"
#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

using accounts_pointer = accounts_actor::pointer;

// An account's failed logins are counted in a window this long from the first (the spec's
// "per 15 minutes"); past LOGIN_MAX_FAILURES its logins get 429 until the window ends.
constexpr std::chrono::seconds login_failure_window{15 * 60};

// The counter of an account's failed logins: by user id when the account exists (its username
// and email are one account), else by the name tried, hashed (unknown names are throttled
// alike, so a 429 tells nothing about whether an account exists; the key stays short).
std::string login_failure_key(const std::optional<user>& u, const std::string& login) {
  if (u) return "loginfail:" + u->id;
  std::string name = login;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return "loginfail:name:" + identity::sha256_hex(name);
}

// What every step of every handler needs.
struct accounts_env {
  plumbing<accounts_pointer> p;
  hasher_actor hasher;
  accounts_config cfg;

  // A new session's token pair.
  token_pair issue(const std::string& user_id, const std::string& sid,
                   const std::string& jti) const {
    int64_t now = now_s();
    auto access_s = std::chrono::seconds(cfg.access_ttl).count();
    auto refresh_s = std::chrono::seconds(cfg.refresh_ttl).count();
    identity::claims access{user_id, sid, "access", make_uuid(), now, now + access_s};
    identity::claims refresh{user_id, sid, "refresh", jti, now, now + refresh_s};
    return token_pair{identity::sign(access, cfg.secret_key),
                      identity::sign(refresh, cfg.secret_key), access_s, user_id, sid};
  }

  // Sends `msg` to the hasher pool and its answer to `next`; no answer by `deadline` is
  // answered on `rp` as an internal error.
  template <class Msg, class T, class Next>
  void ask_hasher(Msg msg, clock::time_point deadline, caf::typed_response_promise<result<T>> rp,
                  Next next) const {
    p.self->request(hasher, time_left(deadline), std::move(msg))
        .then(std::move(next), p.on_error(rp));
  }
};

using env_ptr = std::shared_ptr<const accounts_env>;

// ---- database work ----

// The caller's own account; UNAUTHORIZED once it is gone.
db_task<result<user>> read_own_account(const std::string& id, clock::time_point deadline) {
  return {"user_get", storage::access::read, deadline, [id](storage::session& s) {
            auto u = storage::find_user(s, id);
            if (!u) return unauthorized<user>("The account is gone.");
            return result<user>{{}, *u};
          }};
}

// Why a change may not touch `current`: If-Match names another version.
template <class T>
std::optional<result<T>> stale(const user& current, const std::optional<int64_t>& if_match) {
  if (if_match && *if_match != current.version)
    return result<T>::fail(
        errc::precondition_failed,
        "If-Match does not match the current version " + std::to_string(current.version) + ".");
  return std::nullopt;
}

// The work of each single-step message, by message type.

db_task<result<nothing>> task_for(const session_logout& l) {
  return {"session_revoke", storage::access::write, l.deadline,
          [sid = l.who.session_id](storage::session& s) {
            storage::revoke_session(s, sid, now_ms());
            return result<nothing>{};
          }};
}

db_task<result<std::vector<session_record>>> task_for(const session_list& l) {
  return {"sessions_of_user", storage::access::read, l.deadline,
          [id = l.who.user_id](storage::session& s) {
            return result<std::vector<session_record>>{{}, storage::live_sessions(s, id, now_ms())};
          }};
}

db_task<result<nothing>> task_for(const session_revoke& r) {
  return {"session_revoke", storage::access::write, r.deadline, [r](storage::session& s) {
            for (const auto& live : storage::live_sessions(s, r.who.user_id, now_ms()))
              if (live.id == r.id && storage::revoke_session(s, r.id, now_ms()))
                return result<nothing>{};
            return result<nothing>::fail(errc::not_found, "Session not found.");
          }};
}

db_task<result<touched<nothing>>> task_for(const sessions_revoke_others& r) {
  return {"sessions_revoke_others", storage::access::write, r.deadline, [r](storage::session& s) {
            auto ended =
                storage::revoke_sessions_except(s, r.who.user_id, r.who.session_id, now_ms());
            return result<touched<nothing>>{{}, {{}, session_scopes(ended)}};
          }};
}

db_task<result<user>> task_for(const user_update_me& u) {
  return {"user_update", storage::access::write, u.deadline,
          [u](storage::session& s) -> result<user> {
            auto current = storage::find_user(s, u.who.user_id);
            if (!current) return unauthorized<user>("The account is gone.");
            if (auto refused = stale<user>(*current, u.if_match)) return *refused;
            user next = *current;
            if (u.email) next.email = *u.email;
            if (u.full_name) next.full_name = *u.full_name;
            next.version = current->version + 1;
            next.updated_at_ms = now_ms();
            if (!storage::update_user(s, next))
              return result<user>::fail(errc::precondition_failed,
                                        "The account changed concurrently; retry.");
            return result<user>{{}, next};
          }};
}

db_task<result<user_page>> task_for(const user_list& l) {
  return {"user_list", storage::access::read, l.deadline, [q = l.query](storage::session& s) {
            return result<user_page>{
                {},
                read_page<user>(
                    q.page, q.per_page, [&] { return storage::count_users(s, q); },
                    [&] { return storage::list_users(s, q); })};
          }};
}

db_task<result<user>> task_for(const user_get& g) {
  return {"user_get", storage::access::read, g.deadline, [id = g.id](storage::session& s) {
            auto u = storage::find_user(s, id);
            if (!u) return result<user>::fail(errc::not_found, "User not found.");
            return result<user>{{}, *u};
          }};
}

// Cached principals carry roles and activity: the user's credential scopes are bumped.
db_task<result<touched<user>>> task_for(const user_update& u) {
  return {"user_update", storage::access::write, u.deadline,
          [u](storage::session& s) -> result<touched<user>> {
            auto current = storage::find_user(s, u.id);
            if (!current) return result<touched<user>>::fail(errc::not_found, "User not found.");
            if (auto refused = stale<touched<user>>(*current, u.if_match)) return *refused;
            user next = *current;
            if (u.patch.email) next.email = *u.patch.email;
            if (u.patch.full_name) next.full_name = *u.patch.full_name;
            if (u.patch.is_active) next.is_active = *u.patch.is_active;
            if (u.patch.roles) next.roles = *u.patch.roles;
            next.version = current->version + 1;
            next.updated_at_ms = now_ms();
            if (!storage::update_user(s, next))
              return result<touched<user>>::fail(errc::precondition_failed,
                                                 "The user changed concurrently; retry.");
            return {{}, {next, storage::credential_scopes(s, next.id, now_ms())}};
          }};
}

// The user's sessions and API keys: their cached principals stop working at once.
db_task<result<touched<nothing>>> task_for(const user_delete& d) {
  return {"user_delete", storage::access::write, d.deadline,
          [id = d.id](storage::session& s) -> result<touched<nothing>> {
            auto scopes = storage::delete_user(s, id, now_ms());
            if (!scopes) return result<touched<nothing>>::fail(errc::not_found, "User not found.");
            return {{}, {{}, *scopes}};
          }};
}

// ---- multi-step handlers: one named step per function ----

// user_register: validate → hash the password → insert the account.
struct registration {
  env_ptr env;
  user_register msg;
  caf::typed_response_promise<result<user>> rp;

  void start() {
    if (auto errors = validate_registration(msg.username, msg.email, msg.password);
        !errors.empty()) {
      rp.deliver(result<user>::fail(errc::validation_error, "The registration is invalid.",
                                    std::move(errors)));
      return;
    }
    env->ask_hasher(password_hash{msg.password}, msg.deadline, rp,
                    [f = *this](std::string& encoded) mutable { f.insert(encoded); });
  }

  void insert(const std::string& encoded) {
    user u;
    u.id = make_uuid();
    u.username = msg.username;
    u.email = msg.email;
    u.full_name = msg.full_name;
    u.password_hash = encoded;
    u.created_at_ms = u.updated_at_ms = now_ms();
    env->p.relay(db_task<result<user>>{"user_insert", storage::access::write, msg.deadline,
                                       [u](storage::session& s) {
                                         storage::insert_user(s, u);
                                         return result<user>{{}, u};
                                       }},
                 rp, "The username or email is already registered.");
  }
};

// user_login: find the user → count the attempt against the account (refused past
// LOGIN_MAX_FAILURES) → check the password (unknown users cost the same Argon2 run as known
// ones; a success takes its attempt back) → open a session → issue its tokens. The attempt is
// counted before the check, so parallel guesses cannot all slip in under the limit.
struct login {
  env_ptr env;
  user_login msg;
  caf::typed_response_promise<result<token_pair>> rp;

  void start() {
    db_task<result<std::optional<user>>> find{
        "user_by_login", storage::access::read, msg.deadline,
        [login = msg.login](storage::session& s) {
          return result<std::optional<user>>{{}, storage::find_user_by_login(s, login)};
        }};
    env->p.run(std::move(find), rp, "",
               [f = *this](result<std::optional<user>> found) mutable { f.check(found.value); });
  }

  void check(const std::optional<user>& u) {
    const auto& p = env->p;
    std::string key = login_failure_key(u, msg.login);
    p.self->request(p.cache, caf::infinite, rate_hit{key, login_failure_window})
        .then([f = *this, u, key](rate_count& attempts) mutable { f.verify(u, key, attempts); },
              p.on_error(rp));
  }

  // A cache that cannot count (rate_count without a count) fails open, like the rate limits.
  void verify(const std::optional<user>& u, const std::string& key, const rate_count& attempts) {
    if (attempts.count && *attempts.count > env->cfg.login_max_failures) {
      rp.deliver(
          result<token_pair>{failure{errc::rate_limited,
                                     "Too many failed logins for this account; try again in " +
                                         std::to_string(attempts.reset_s) + " s.",
                                     {},
                                     attempts.reset_s},
                             {}});
      return;
    }
    std::string encoded = u ? u->password_hash : env->cfg.dummy_hash;
    env->ask_hasher(
        password_check{encoded, msg.password}, msg.deadline, rp,
        [f = *this, u, key, counted = attempts.count.has_value()](bool ok) mutable {
          if (!ok || !u || !u->is_active) {
            f.rp.deliver(unauthorized<token_pair>("Wrong username or password."));
            return;
          }
          if (counted)  // nobody waits for the count: anonymous, so its reply goes nowhere
            caf::anon_send(f.env->p.cache, rate_hit{key, login_failure_window, -1});
          f.open_session(*u);
        });
  }

  void open_session(const user& u) {
    session_record sr;
    sr.id = make_uuid();
    sr.user_id = u.id;
    sr.refresh_jti = make_uuid();
    sr.created_at_ms = sr.last_seen_at_ms = now_ms();
    sr.expires_at_ms =
        sr.created_at_ms +
        std::chrono::duration_cast<std::chrono::milliseconds>(env->cfg.refresh_ttl).count();
    sr.ip = msg.client.ip;
    sr.user_agent = msg.client.user_agent.substr(0, 512);
    db_task<result<nothing>> open{"session_insert", storage::access::write, msg.deadline,
                                  [sr](storage::session& s) {
                                    storage::insert_session(s, sr);
                                    storage::record_login(s, sr.user_id, sr.created_at_ms);
                                    return result<nothing>{};
                                  }};
    env->p.run(std::move(open), rp, "", [f = *this, sr](result<nothing>) mutable {
      f.rp.deliver(result<token_pair>{{}, f.env->issue(sr.user_id, sr.id, sr.refresh_jti)});
    });
  }
};

// token_refresh: verify the token → rotate its session's refresh id → issue new tokens. A
// refresh token used twice revokes its session (someone else may hold it) and bumps its scope.
struct refresh {
  env_ptr env;
  token_refresh msg;
  caf::typed_response_promise<result<token_pair>> rp;

  void start() {
    auto c = identity::verify(msg.refresh_token, env->cfg.secret_key, "refresh", now_s());
    if (!c) {
      rp.deliver(unauthorized<token_pair>());
      return;
    }
    std::string next = make_uuid();
    // True: rotated; false: the token was already used and the session is revoked.
    db_task<result<bool>> rotate{"session_rotate", storage::access::write, msg.deadline,
                                 [c = *c, next](storage::session& s) {
                                   auto live = storage::find_live_session(s, c.sid, now_ms());
                                   if (!live || live->record.user_id != c.sub)
                                     return result<bool>::fail(errc::unauthorized,
                                                               "The session has ended.");
                                   if (!storage::rotate_refresh(s, c.sid, c.jti, next, now_ms())) {
                                     storage::revoke_session(s, c.sid, now_ms());
                                     return result<bool>{{}, false};
                                   }
                                   return result<bool>{{}, true};
                                 }};
    env->p.run(std::move(rotate), rp, "",
               [f = *this, c = *c, next](result<bool> r) mutable { f.rotated(r, c, next); });
  }

  void rotated(const result<bool>& r, const identity::claims& c, const std::string& next) {
    if (!r.ok()) {
      rp.deliver(result<token_pair>{r.error, {}});
    } else if (!r.value) {
      env->p.bump({session_scope(c.sid)}, [rp = rp](const cache_bumped&) mutable {
        rp.deliver(unauthorized<token_pair>(
            "The refresh token was already used; the session is revoked."));
      });
    } else {
      rp.deliver(result<token_pair>{{}, env->issue(c.sub, c.sid, next)});
    }
  }
};

// password_change: read the account → check the new password's rules → verify the current
// one → hash the new one → write it and revoke the other sessions and, unless the caller keeps
// them, the API keys (whoever learnt the old password may have made some) → bump their scopes.
struct password_update {
  env_ptr env;
  password_change msg;
  caf::typed_response_promise<result<nothing>> rp;

  void start() {
    env->p.run(read_own_account(msg.who.user_id, msg.deadline), rp, "",
               [f = *this](result<user> found) mutable { f.verify_current(found); });
  }

  void verify_current(const result<user>& found) {
    if (!found.ok()) {
      rp.deliver(result<nothing>{found.error, {}});
      return;
    }
    const user& u = found.value;
    if (auto bad = check_password(msg.new_password, u.username, "new_password")) {
      rp.deliver(
          result<nothing>::fail(errc::validation_error, "The new password is invalid.", {*bad}));
      return;
    }
    env->ask_hasher(password_check{u.password_hash, msg.current_password}, msg.deadline, rp,
                    [f = *this, u](bool ok) mutable {
                      if (!ok) {
                        f.rp.deliver(result<nothing>::fail(
                            errc::validation_error, "The current password is wrong.",
                            {{"current_password", "does not match the account's password"}}));
                        return;
                      }
                      f.hash_new(u);
                    });
  }

  void hash_new(const user& u) {
    env->ask_hasher(password_hash{msg.new_password}, msg.deadline, rp,
                    [f = *this, u](std::string& encoded) mutable { f.save(u, encoded); });
  }

  void save(const user& u, const std::string& encoded) {
    user next = u;
    next.password_hash = encoded;
    next.version = u.version + 1;
    next.updated_at_ms = now_ms();
    env->p.commit(
        db_task<result<touched<nothing>>>{
            "user_password", storage::access::write, msg.deadline,
            [next, keep = msg.who.session_id, keep_keys = msg.keep_api_keys](storage::session& s) {
              if (!storage::update_user(s, next))
                return result<touched<nothing>>::fail(errc::precondition_failed,
                                                      "The account changed concurrently; retry.");
              auto ended =
                  session_scopes(storage::revoke_sessions_except(s, next.id, keep, now_ms()));
              if (!keep_keys)
                for (auto& scope : storage::revoke_api_keys(s, next.id, now_ms()))
                  ended.push_back(std::move(scope));
              return result<touched<nothing>>{{}, {{}, std::move(ended)}};
            }},
        rp, "");
  }
};

accounts_actor::behavior_type accounts(accounts_pointer self, accounts_config cfg,
                                       db_pool_actor pool, cache_actor cache, hasher_actor hasher) {
  plumbing<accounts_pointer> p{self, std::move(pool), std::move(cache), {}};
  auto env = std::make_shared<const accounts_env>(accounts_env{p, std::move(hasher), cfg});
  return {
      [=](user_register& r) {
        auto rp = self->make_response_promise<result<user>>();
        registration{env, std::move(r), rp}.start();
        return rp;
      },
      [=](user_login& l) {
        auto rp = self->make_response_promise<result<token_pair>>();
        login{env, std::move(l), rp}.start();
        return rp;
      },
      [=](token_refresh& t) {
        auto rp = self->make_response_promise<result<token_pair>>();
        refresh{env, std::move(t), rp}.start();
        return rp;
      },
      [=](session_logout& l) {
        return p.write(task_for(l), {session_scope(l.who.session_id)}, "");
      },
      [=](user_me& m) { return p.answer(read_own_account(m.who.user_id, m.deadline)); },
      [=](session_list& l) { return p.answer(task_for(l)); },
      [=](session_revoke& r) { return p.write(task_for(r), {session_scope(r.id)}, ""); },
      [=](sessions_revoke_others& r) { return p.commit(task_for(r)); },
      [=](user_update_me& u) {
        auto rp = self->make_response_promise<result<user>>();
        p.relay(task_for(u), rp, "The email is already registered.");
        return rp;
      },
      [=](password_change& c) {
        auto rp = self->make_response_promise<result<nothing>>();
        password_update{env, std::move(c), rp}.start();
        return rp;
      },
      [=](user_list& l) {
        auto rp = self->make_response_promise<result<user_page>>();
        if (!refuse_unless_admin(l.who, rp)) p.relay(replica_read(task_for(l), l.who.user_id), rp);
        return rp;
      },
      [=](user_get& g) {
        auto rp = self->make_response_promise<result<user>>();
        if (!refuse_unless_admin(g.who, rp)) p.relay(task_for(g), rp);
        return rp;
      },
      [=](user_update& u) {
        auto rp = self->make_response_promise<result<user>>();
        if (!refuse_unless_admin(u.who, rp))
          p.commit(written_by(task_for(u), u.who.user_id), rp, "The email is already registered.");
        return rp;
      },
      [=](user_delete& d) {
        auto rp = self->make_response_promise<result<nothing>>();
        if (!refuse_unless_admin(d.who, rp))
          p.commit(written_by(task_for(d), d.who.user_id), rp, "");
        return rp;
      },
  };
}

}  // namespace

accounts_actor spawn_accounts(caf::actor_system& sys, accounts_config cfg, db_pool_actor pool,
                              cache_actor cache, hasher_actor hasher) {
  return sys.spawn(accounts, std::move(cfg), std::move(pool), std::move(cache), std::move(hasher));
}

}  // namespace vutf
