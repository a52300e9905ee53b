#include "actors/identity.hpp"

#include <caf/actor_system.hpp>
#include <map>

#include "actors/plumbing.hpp"
#include "storage/user_store.hpp"
#include "domain/ids.hpp"
#include "domain/crypto.hpp"
#include "domain/encoding.hpp"
#include "config/time.hpp"

namespace vutf {
namespace {

std::string session_scope(const std::string& sid) {
  return "session:" + sid;
}

int64_t now_s() {
  return now_ms() / 1000;
}

// Answers FORBIDDEN on `rp` and returns it (for handlers that need the admin role).
template <class T>
caf::typed_response_promise<result<T>> forbid(caf::typed_response_promise<result<T>> rp) {
  rp.deliver(result<T>::fail(errc::forbidden, "This needs the admin role."));
  return rp;
}

template <class T>
result<T> unauthorized(const char* detail = "Missing or invalid credentials.") {
  return result<T>::fail(errc::unauthorized, detail);
}

constexpr auto last_used_flush = std::chrono::seconds(5);

std::string key_scope(const std::string& hash) {
  return "apikey:" + hash;
}


api_key_created new_key(const std::string& user_id, const std::string& name,
                        const std::vector<std::string>& scopes,
                        std::optional<int64_t> expires_in_days) {
  api_key_created made;
  made.key = identity::make_api_key();
  api_key& k = made.record;
  k.id = make_uuid();
  k.user_id = user_id;
  k.name = name;
  k.prefix = made.key.substr(0, 12);
  k.key_hash = identity::sha256_hex(made.key);
  k.scopes = scopes;
  k.created_at_ms = now_ms();
  if (expires_in_days) k.expires_at_ms = k.created_at_ms + *expires_in_days * 86'400'000;
  return made;
}

std::optional<principal> session_principal(const std::optional<storage::session_state>& s) {
  if (!s) return std::nullopt;
  principal p;
  p.user_id = s->owner.id;
  p.roles = s->owner.roles;
  p.session_id = s->record.id;
  p.kind = "user";
  return p;
}

identity_actor::behavior_type identity_behavior(identity_actor::pointer self, identity_config cfg,
                                                db_pool_actor pool, cache_actor cache,
                                                hasher_actor hasher) {
  plumbing<identity_actor::pointer> p{self, std::move(pool), std::move(cache), cfg.cache_ttl};

  // A new session's token pair.
  auto issue = [cfg](const std::string& user_id, const std::string& sid, const std::string& jti) {
    int64_t now = now_s();
    identity::claims access{user_id,     sid, "access",
                            make_uuid(), now, now + std::chrono::seconds(cfg.access_ttl).count()};
    identity::claims refresh{user_id, sid, "refresh",
                             jti,     now, now + std::chrono::seconds(cfg.refresh_ttl).count()};
    return token_pair{identity::sign(access, cfg.secret_key),
                      identity::sign(refresh, cfg.secret_key),
                      std::chrono::seconds(cfg.access_ttl).count()};
  };

  // Keys whose last_used_at is due, written in one batch every few seconds: off the request path.
  auto last_used = std::make_shared<std::map<std::string, int64_t>>();
  self->delayed_send(self, last_used_flush, tick_atom::value);

  // Invalidates cache scopes, then runs `next` (whatever the cache said).
  auto bump = [=](std::vector<std::string> scopes, auto next) {
    self->request(p.cache, caf::infinite, cache_bump{std::move(scopes)})
        .then([next](bool) mutable { next(); }, [next](caf::error&) mutable { next(); });
  };
  auto session_scopes = [](const std::vector<std::string>& ids) {
    std::vector<std::string> scopes;
    for (const auto& id : ids) scopes.push_back(session_scope(id));
    return scopes;
  };

  return {
      [=](user_register& r) {
        auto rp = self->make_response_promise<result<user>>();
        if (auto errors = validate_registration(r.username, r.email, r.password); !errors.empty()) {
          rp.deliver(result<user>::fail(errc::validation_error, "The registration is invalid.",
                                        std::move(errors)));
          return rp;
        }
        self->request(hasher, caf::infinite, password_hash{r.password})
            .then(
                [=](std::string& encoded) mutable {
                  user u;
                  u.id = make_uuid();
                  u.username = r.username;
                  u.email = r.email;
                  u.full_name = r.full_name;
                  u.password_hash = encoded;
                  u.created_at_ms = u.updated_at_ms = now_ms();
                  db_call call{"user_insert", storage::access::write,
                               [u](storage::session& s) -> std::any {
                                 storage::insert_user(s, u);
                                 return result<user>{{}, u};
                               },
                               r.deadline};
                  p.template relay<user>(std::move(call), rp,
                                         "The username or email is already registered.");
                },
                p.on_error(rp));
        return rp;
      },
      [=](user_login& l) {
        auto rp = self->make_response_promise<result<token_pair>>();
        db_call find{
            "user_by_login", storage::access::read,
            [login = l.login](storage::session& s) -> std::any {
              return result<std::optional<user>>{{}, storage::find_user_by_login(s, login)};
            },
            l.deadline};
        p.template run<std::optional<user>>(
            std::move(find), rp, "", [=](result<std::optional<user>> found) mutable {
              // Unknown users cost the same Argon2 run as known ones.
              const std::optional<user>& u = found.value;
              std::string encoded = u ? u->password_hash : cfg.dummy_hash;
              self->request(hasher, caf::infinite, password_check{encoded, l.password})
                  .then(
                      [=](bool ok) mutable {
                        if (!ok || !u || !u->is_active) {
                          rp.deliver(unauthorized<token_pair>("Wrong username or password."));
                          return;
                        }
                        session_record sr;
                        sr.id = make_uuid();
                        sr.user_id = u->id;
                        sr.refresh_jti = make_uuid();
                        sr.created_at_ms = sr.last_seen_at_ms = now_ms();
                        sr.expires_at_ms =
                            sr.created_at_ms +
                            std::chrono::duration_cast<std::chrono::milliseconds>(cfg.refresh_ttl)
                                .count();
                        sr.ip = l.client.ip;
                        sr.user_agent = l.client.user_agent.substr(0, 512);
                        db_call open{"session_insert", storage::access::write,
                                     [sr](storage::session& s) -> std::any {
                                       storage::insert_session(s, sr);
                                       storage::record_login(s, sr.user_id, sr.created_at_ms);
                                       return result<nothing>{};
                                     },
                                     l.deadline};
                        p.template run<
                            nothing>(std::move(open), rp, "", [=](result<nothing>) mutable {
                          rp.deliver(result<token_pair>{{}, issue(u->id, sr.id, sr.refresh_jti)});
                        });
                      },
                      p.on_error(rp));
            });
        return rp;
      },
      [=](token_refresh& t) {
        auto rp = self->make_response_promise<result<token_pair>>();
        auto c = identity::verify(t.refresh_token, cfg.secret_key, "refresh", now_s());
        if (!c) {
          rp.deliver(unauthorized<token_pair>());
          return rp;
        }
        std::string next = make_uuid();
        db_call call{"session_rotate", storage::access::write,
                     [c = *c, next](storage::session& s) -> std::any {
                       auto live = storage::find_live_session(s, c.sid, now_ms());
                       if (!live || live->record.user_id != c.sub)
                         return result<bool>::fail(errc::unauthorized, "The session has ended.");
                       if (!storage::rotate_refresh(s, c.sid, c.jti, next, now_ms())) {
                         // A refresh token used twice: someone else may hold it. End the session.
                         storage::revoke_session(s, c.sid, now_ms());
                         return result<bool>{{}, false};
                       }
                       return result<bool>{{}, true};
                     },
                     t.deadline};
        p.template run<bool>(std::move(call), rp, "", [=, c = *c](result<bool> r) mutable {
          if (!r.ok()) {
            rp.deliver(result<token_pair>{r.error, {}});
          } else if (!r.value) {
            bump({session_scope(c.sid)}, [rp]() mutable {
              rp.deliver(unauthorized<token_pair>(
                  "The refresh token was already used; the session is revoked."));
            });
          } else {
            rp.deliver(result<token_pair>{{}, issue(c.sub, c.sid, next)});
          }
        });
        return rp;
      },
      [=](authenticate& a) {
        auto rp = self->make_response_promise<result<principal>>();
        // Either credential resolves to a cached principal under a scope its revocation bumps.
        std::string scope;
        db_call call{"", storage::access::read, {}, a.deadline};
        std::function<bool(const principal&)> matches = [](const principal&) { return true; };
        if (!a.presented.api_key.empty()) {
          std::string hash = identity::sha256_hex(a.presented.api_key);
          scope = key_scope(hash);
          call.statement = "api_key_principal";
          call.work = [hash](storage::session& s) -> std::any {
            return result<std::string>{
                {}, encode(storage::principal_for_key(s, hash, now_ms()))};
          };
        } else if (auto c =
                       identity::verify(a.presented.bearer, cfg.secret_key, "access", now_s())) {
          scope = session_scope(c->sid);
          call.statement = "session_live";
          call.work = [sid = c->sid](storage::session& s) -> std::any {
            return result<std::string>{
                {},
                encode(session_principal(storage::find_live_session(s, sid, now_ms())))};
          };
          matches = [sub = c->sub](const principal& p) { return p.user_id == sub; };
        } else {
          rp.deliver(unauthorized<principal>());
          return rp;
        }
        auto answer = [=](const std::string& state) mutable {
          std::optional<principal> who;
          if (!decode(state, who) || !who || !matches(*who)) {
            rp.deliver(unauthorized<principal>());
            return;
          }
          if (who->kind == "api_key") (*last_used)[who->key_id] = now_ms();
          rp.deliver(result<principal>{{}, *who});
        };
        p.template lookup<principal>(scope, "principal", rp, [=](cache_entry& e) mutable {
          if (e.value) {
            answer(*e.value);
            return;
          }
          p.template run<std::string>(std::move(call), rp, "", [=](result<std::string> r) mutable {
            p.store(scope, e, "principal", r.value);
            answer(r.value);
          });
        });
        return rp;
      },
      [=](session_logout& l) {
        db_call call{"session_revoke", storage::access::write,
                     [sid = l.who.session_id](storage::session& s) -> std::any {
                       storage::revoke_session(s, sid, now_ms());
                       return result<nothing>{};
                     },
                     l.deadline};
        return p.template write<nothing>(std::move(call), {session_scope(l.who.session_id)}, "");
      },
      [=](user_me& m) {
        db_call call{"user_get", storage::access::read,
                     [id = m.who.user_id](storage::session& s) -> std::any {
                       auto u = storage::find_user(s, id);
                       if (!u)
                         return result<user>::fail(errc::unauthorized, "The account is gone.");
                       return result<user>{{}, *u};
                     },
                     m.deadline};
        return p.template answer<user>(std::move(call));
      },
      [=](session_list& l) {
        db_call call{"sessions_of_user", storage::access::read,
                     [id = l.who.user_id](storage::session& s) -> std::any {
                       return result<std::vector<session_record>>{
                           {}, storage::live_sessions(s, id, now_ms())};
                     },
                     l.deadline};
        return p.template answer<std::vector<session_record>>(std::move(call));
      },
      [=](session_revoke& r) {
        db_call call{"session_revoke", storage::access::write,
                     [r](storage::session& s) -> std::any {
                       for (const auto& live : storage::live_sessions(s, r.who.user_id, now_ms()))
                         if (live.id == r.id && storage::revoke_session(s, r.id, now_ms()))
                           return result<nothing>{};
                       return result<nothing>::fail(errc::not_found, "Session not found.");
                     },
                     r.deadline};
        return p.template write<nothing>(std::move(call), {session_scope(r.id)}, "");
      },
      [=](sessions_revoke_others& r) {
        auto rp = self->make_response_promise<result<nothing>>();
        db_call call{
            "sessions_revoke_others", storage::access::write,
            [r](storage::session& s) -> std::any {
              return result<std::vector<std::string>>{
                  {},
                  storage::revoke_sessions_except(s, r.who.user_id, r.who.session_id, now_ms())};
            },
            r.deadline};
        p.template run<std::vector<std::string>>(std::move(call), rp, "", [=](auto out) mutable {
          bump(session_scopes(out.value), [rp]() mutable { rp.deliver(result<nothing>{}); });
        });
        return rp;
      },
      [=](user_update_me& u) {
        auto rp = self->make_response_promise<result<user>>();
        db_call call{"user_update", storage::access::write,
                     [u](storage::session& s) -> std::any {
                       auto current = storage::find_user(s, u.who.user_id);
                       if (!current) return unauthorized<user>("The account is gone.");
                       if (u.if_match && *u.if_match != current->version)
                         return result<user>::fail(errc::precondition_failed,
                                                   "If-Match does not match the current version " +
                                                       std::to_string(current->version) + ".");
                       user next = *current;
                       if (u.email) next.email = *u.email;
                       if (u.full_name) next.full_name = *u.full_name;
                       next.version = current->version + 1;
                       next.updated_at_ms = now_ms();
                       if (!storage::update_user(s, next))
                         return result<user>::fail(errc::precondition_failed,
                                                   "The account changed concurrently; retry.");
                       return result<user>{{}, next};
                     },
                     u.deadline};
        p.template relay<user>(std::move(call), rp, "The email is already registered.");
        return rp;
      },
      [=](password_change& c) {
        auto rp = self->make_response_promise<result<nothing>>();
        db_call find{"user_get", storage::access::read,
                     [id = c.who.user_id](storage::session& s) -> std::any {
                       auto u = storage::find_user(s, id);
                       if (!u) return unauthorized<user>("The account is gone.");
                       return result<user>{{}, *u};
                     },
                     c.deadline};
        p.template run<user>(std::move(find), rp, "", [=](result<user> found) mutable {
          if (!found.ok()) {
            rp.deliver(result<nothing>{found.error, {}});
            return;
          }
          user u = found.value;
          if (auto bad = check_password(c.new_password, u.username, "new_password")) {
            rp.deliver(result<nothing>::fail(errc::validation_error, "The new password is invalid.",
                                             {*bad}));
            return;
          }
          self->request(hasher, caf::infinite, password_check{u.password_hash, c.current_password})
              .then(
                  [=](bool ok) mutable {
                    if (!ok) {
                      rp.deliver(result<nothing>::fail(
                          errc::validation_error, "The current password is wrong.",
                          {{"current_password", "does not match the account's password"}}));
                      return;
                    }
                    self->request(hasher, caf::infinite, password_hash{c.new_password})
                        .then(
                            [=](std::string& encoded) mutable {
                              user next = u;
                              next.password_hash = encoded;
                              next.version = u.version + 1;
                              next.updated_at_ms = now_ms();
                              db_call save{
                                  "user_password", storage::access::write,
                                  [next, keep = c.who.session_id](storage::session& s) -> std::any {
                                    if (!storage::update_user(s, next))
                                      return result<std::vector<std::string>>::fail(
                                          errc::precondition_failed,
                                          "The account changed concurrently; retry.");
                                    return result<std::vector<std::string>>{
                                        {},
                                        storage::revoke_sessions_except(s, next.id, keep,
                                                                        now_ms())};
                                  },
                                  c.deadline};
                              p.template run<std::vector<std::string>>(
                                  std::move(save), rp, "", [=](auto out) mutable {
                                    if (!out.ok()) {
                                      rp.deliver(result<nothing>{out.error, {}});
                                      return;
                                    }
                                    bump(session_scopes(out.value),
                                         [rp]() mutable { rp.deliver(result<nothing>{}); });
                                  });
                            },
                            p.on_error(rp));
                  },
                  p.on_error(rp));
        });
        return rp;
      },
      [=](user_list& l) {
        auto rp = self->make_response_promise<result<user_page>>();
        if (!l.who.is_admin()) return forbid(rp);
        db_call call{"user_list", storage::access::read,
                     [q = l.query](storage::session& s) -> std::any {
                       return result<user_page>{
                           {},
                           read_page<user>(
                               q.page, q.per_page, [&] { return storage::count_users(s, q); },
                               [&] { return storage::list_users(s, q); })};
                     },
                     l.deadline};
        p.template relay<user_page>(std::move(call), rp);
        return rp;
      },
      [=](user_get& g) {
        auto rp = self->make_response_promise<result<user>>();
        if (!g.who.is_admin()) return forbid(rp);
        db_call call{"user_get", storage::access::read,
                     [id = g.id](storage::session& s) -> std::any {
                       auto u = storage::find_user(s, id);
                       if (!u) return result<user>::fail(errc::not_found, "User not found.");
                       return result<user>{{}, *u};
                     },
                     g.deadline};
        p.template relay<user>(std::move(call), rp);
        return rp;
      },
      [=](user_update& u) {
        auto rp = self->make_response_promise<result<user>>();
        if (!u.who.is_admin()) return forbid(rp);
        using changed = std::pair<user, std::vector<std::string>>;  // the user, scopes to bump
        db_call call{
            "user_update", storage::access::write,
            [u](storage::session& s) -> std::any {
              auto current = storage::find_user(s, u.id);
              if (!current) return result<changed>::fail(errc::not_found, "User not found.");
              if (u.if_match && *u.if_match != current->version)
                return result<changed>::fail(errc::precondition_failed,
                                             "If-Match does not match the current version " +
                                                 std::to_string(current->version) + ".");
              user next = *current;
              if (u.patch.email) next.email = *u.patch.email;
              if (u.patch.full_name) next.full_name = *u.patch.full_name;
              if (u.patch.is_active) next.is_active = *u.patch.is_active;
              if (u.patch.roles) next.roles = *u.patch.roles;
              next.version = current->version + 1;
              next.updated_at_ms = now_ms();
              if (!storage::update_user(s, next))
                return result<changed>::fail(errc::precondition_failed,
                                             "The user changed concurrently; retry.");
              return result<changed>{{}, {next, storage::credential_scopes(s, next.id, now_ms())}};
            },
            u.deadline};
        p.template run<changed>(std::move(call), rp, "The email is already registered.",
                                [=](result<changed> out) mutable {
                                  if (!out.ok()) {
                                    rp.deliver(result<user>{out.error, {}});
                                    return;
                                  }
                                  // Cached principals carry roles and activity: re-read them.
                                  bump(out.value.second, [rp, who = out.value.first]() mutable {
                                    rp.deliver(result<user>{{}, who});
                                  });
                                });
        return rp;
      },
      [=](user_delete& d) {
        auto rp = self->make_response_promise<result<nothing>>();
        if (!d.who.is_admin()) return forbid(rp);
        db_call call{"user_delete", storage::access::write,
                     [id = d.id](storage::session& s) -> std::any {
                       auto scopes = storage::delete_user(s, id, now_ms());
                       if (!scopes)
                         return result<std::vector<std::string>>::fail(errc::not_found,
                                                                       "User not found.");
                       return result<std::vector<std::string>>{{}, *scopes};
                     },
                     d.deadline};
        p.template run<std::vector<std::string>>(std::move(call), rp, "", [=](auto out) mutable {
          if (!out.ok()) {
            rp.deliver(result<nothing>{out.error, {}});
            return;
          }
          bump(out.value, [rp]() mutable { rp.deliver(result<nothing>{}); });
        });
        return rp;
      },
      [=](api_key_create& k) {
        api_key_created made = new_key(k.who.user_id, k.name, k.scopes, k.expires_in_days);
        db_call call{"api_key_insert", storage::access::write,
                     [made](storage::session& s) -> std::any {
                       storage::insert_api_key(s, made.record);
                       return result<api_key_created>{{}, made};
                     },
                     k.deadline};
        return p.template write<api_key_created>(std::move(call), {},
                                                 "An API key with this name already exists.");
      },
      [=](api_key_list& l) {
        db_call call{"api_key_list", storage::access::read,
                     [id = l.who.user_id](storage::session& s) -> std::any {
                       return result<std::vector<api_key>>{{}, storage::list_api_keys(s, id)};
                     },
                     l.deadline};
        return p.template answer<std::vector<api_key>>(std::move(call));
      },
      [=](api_key_revoke& r) {
        auto rp = self->make_response_promise<result<nothing>>();
        db_call call{"api_key_revoke", storage::access::write,
                     [r](storage::session& s) -> std::any {
                       auto k = storage::find_api_key(s, r.id, r.who.user_id);
                       if (!k || !storage::revoke_api_key(s, r.id, r.who.user_id, now_ms()))
                         return result<std::string>::fail(errc::not_found, "API key not found.");
                       return result<std::string>{{}, k->key_hash};
                     },
                     r.deadline};
        p.template run<std::string>(std::move(call), rp, "", [=](result<std::string> out) mutable {
          if (!out.ok()) {
            rp.deliver(result<nothing>{out.error, {}});
            return;
          }
          bump({key_scope(out.value)}, [rp]() mutable { rp.deliver(result<nothing>{}); });
        });
        return rp;
      },
      [=](api_key_rotate& r) {
        using rotated = std::pair<api_key_created, std::string>;  // the new key, the old hash
        auto rp = self->make_response_promise<result<api_key_created>>();
        db_call call{"api_key_rotate", storage::access::write,
                     [r](storage::session& s) -> std::any {
                       auto old = storage::find_api_key(s, r.id, r.who.user_id);
                       if (!old || !storage::revoke_api_key(s, r.id, r.who.user_id, now_ms()))
                         return result<rotated>::fail(errc::not_found, "API key not found.");
                       api_key_created made = new_key(r.who.user_id, old->name, old->scopes, {});
                       made.record.expires_at_ms = old->expires_at_ms;
                       storage::insert_api_key(s, made.record);
                       return result<rotated>{{}, {made, old->key_hash}};
                     },
                     r.deadline};
        p.template run<rotated>(std::move(call), rp, "", [=](result<rotated> out) mutable {
          if (!out.ok()) {
            rp.deliver(result<api_key_created>{out.error, {}});
            return;
          }
          bump({key_scope(out.value.second)}, [rp, made = out.value.first]() mutable {
            rp.deliver(result<api_key_created>{{}, made});
          });
        });
        return rp;
      },
      [=](tick_atom) {
        if (!last_used->empty()) {
          std::map<std::string, int64_t> batch;
          batch.swap(*last_used);
          db_call call{"api_key_touch", storage::access::write,
                       [batch](storage::session& s) -> std::any {
                         for (const auto& [id, at] : batch) storage::touch_api_key(s, id, at);
                         return result<nothing>{};
                       },
                       clock::now() + std::chrono::seconds(30)};
          self->request(p.pool, caf::infinite, std::move(call))
              .then([](db_result&) {}, [](caf::error&) {});
        }
        self->delayed_send(self, last_used_flush, tick_atom::value);
      },
  };
}

}  // namespace

identity_actor spawn_identity(caf::actor_system& sys, identity_config cfg, db_pool_actor pool,
                              cache_actor cache, hasher_actor hasher) {
  return sys.spawn(identity_behavior, std::move(cfg), std::move(pool), std::move(cache),
                   std::move(hasher));
}

}  // namespace vutf
