#include "actors/identity.hpp"

#include <caf/actor_system.hpp>

#include "actors/plumbing.hpp"
#include "storage/user_store.hpp"

namespace vutf {
namespace {

std::string session_scope(const std::string& sid) {
  return "session:" + sid;
}

int64_t now_s() {
  return now_ms() / 1000;
}

template <class T>
result<T> unauthorized(const char* detail = "Missing or invalid credentials.") {
  return result<T>::fail(errc::unauthorized, detail);
}

// The cached state of a live session: "<user id> <roles>"; "-" for a session that cannot act.
std::string encode_state(const std::optional<storage::session_state>& s) {
  if (!s) return "-";
  std::string roles;
  for (const auto& r : s->owner.roles) roles += (roles.empty() ? "" : ",") + r;
  return s->owner.id + " " + roles;
}

std::optional<principal> decode_state(const std::string& text, const std::string& sid) {
  size_t space = text.find(' ');
  if (text == "-" || space == std::string::npos) return std::nullopt;
  principal p;
  p.user_id = text.substr(0, space);
  p.session_id = sid;
  p.kind = "user";
  std::string roles = text.substr(space + 1);
  size_t start = 0;
  while (start < roles.size()) {
    size_t comma = roles.find(',', start);
    p.roles.push_back(roles.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
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
                  p.template run<user>(std::move(call), rp,
                                       "The username or email is already registered.",
                                       [rp](result<user> out) mutable { rp.deliver(out); });
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
            self->request(p.cache, caf::infinite, cache_bump{{session_scope(c.sid)}})
                .then(
                    [rp](bool) mutable {
                      rp.deliver(unauthorized<token_pair>(
                          "The refresh token was already used; the session is revoked."));
                    },
                    [rp](caf::error&) mutable {
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
        if (a.presented.bearer.empty()) {
          rp.deliver(unauthorized<principal>());
          return rp;
        }
        auto c = identity::verify(a.presented.bearer, cfg.secret_key, "access", now_s());
        if (!c) {
          rp.deliver(unauthorized<principal>());
          return rp;
        }
        std::string scope = session_scope(c->sid);
        p.template lookup<principal>(scope, "state", rp, [=, c = *c](cache_entry& e) mutable {
          auto answer = [rp, c](const std::string& state) mutable {
            auto who = decode_state(state, c.sid);
            if (!who || who->user_id != c.sub) {
              rp.deliver(unauthorized<principal>());
            } else {
              rp.deliver(result<principal>{{}, *who});
            }
          };
          if (e.value) {
            answer(*e.value);
            return;
          }
          db_call call{"session_live", storage::access::read,
                       [sid = c.sid](storage::session& s) -> std::any {
                         return result<std::string>{
                             {}, encode_state(storage::find_live_session(s, sid, now_ms()))};
                       },
                       a.deadline};
          p.template run<std::string>(std::move(call), rp, "", [=](result<std::string> r) mutable {
            if (!r.ok()) {
              rp.deliver(result<principal>{r.error, {}});
              return;
            }
            p.store(scope, e, "state", r.value);
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
        auto rp = self->make_response_promise<result<user>>();
        db_call call{"user_get", storage::access::read,
                     [id = m.who.user_id](storage::session& s) -> std::any {
                       auto u = storage::find_user(s, id);
                       if (!u)
                         return result<user>::fail(errc::unauthorized, "The account is gone.");
                       return result<user>{{}, *u};
                     },
                     m.deadline};
        p.template run<user>(std::move(call), rp, "",
                             [rp](result<user> r) mutable { rp.deliver(r); });
        return rp;
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
