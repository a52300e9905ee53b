// How a thread outside the actor system (an HTTP worker, a test) asks an actor and waits for the
// reply: through a scoped_actor of its own, never past a bound, so a caller never waits forever
// on an actor that fails to answer. service::impl asks through it. Internal to actors/ (it
// includes CAF).
#pragma once

#include <algorithm>
#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "actors/caf_types.hpp"
#include "actors/service.hpp"
#include "actors/waiting.hpp"
#include "config/log.hpp"

namespace vutf {

// The reply to a request whose deadline passed, whichever side noticed it.
inline failure request_timeout_failure() {
  return failure{errc::request_timeout, "The request took longer than REQUEST_TIMEOUT.", {}};
}

// What an ask returns when no reply came: the failure itself for a domain reply...
template <class R>
R failure_of(failure f) {
  return R{std::move(f), {}};
}
// ...the failure as the reply, with nobody authenticated, for a message carrying credentials...
template <>
inline target_as_caller failure_of<target_as_caller>(failure f) {
  return target_as_caller{std::nullopt, result<target>{std::move(f), {}}};
}
// ...and no count for a rate limit hit: the caller fails open.
template <>
inline rate_count failure_of<rate_count>(failure) {
  return rate_count{};
}

// The scoped_actors that threads outside the actor system ask through: one per calling thread,
// made on its first ask. They wait with a receive timeout rather than a request timeout: CAF 0.17
// implements request timeouts as timer messages that a reused scoped_actor collects and scans on
// every receive, while a receive timeout is only a condition variable wait.
class askers {
 public:
  explicit askers(caf::actor_system& sys) : sys_(sys) {}

  // Drops every thread's scoped_actor; it must happen before the actor system stops.
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    callers_.clear();
  }

  // Sends `xs` to `h` and waits for the reply until `give_up` (time_point::max(): no limit).
  // `failed` when the actor could not answer; `late`, and a log line naming `what`, when no
  // reply came by `give_up`.
  template <class T, class Handle, class... Ts>
  T query_until(const Handle& h, clock::time_point give_up, T failed, T late, const char* what,
                Ts&&... xs) {
    auto& self = caller();
    auto pending = self->request(h, caf::infinite, std::forward<Ts>(xs)...);
    std::optional<T> reply;
    bool answered = false;
    auto on_reply = [&](T& r) {
      reply = std::move(r);
      answered = true;
    };
    auto on_error = [&](caf::error&) { answered = true; };
    check_reply_type(pending, on_reply);
    caf::blocking_actor::accept_one_cond once;
    if (give_up == clock::time_point::max()) {
      self->varargs_receive(once, pending.id(), on_reply, on_error);
    } else {
      // CAF 0.17 times a blocking receive by high_resolution_clock, which is the system clock
      // here: a step of the wall clock ends the wait early (a CI run saw 9.5 ms). The steady
      // clock decides when it is over. At least one receive: a reply already there is taken
      // even when the time is up.
      auto left = give_up - clock::now();
      do {
        self->varargs_receive(
            once, pending.id(), on_reply, on_error,
            caf::after(std::chrono::ceil<std::chrono::microseconds>(
                std::max(left, clock::duration::zero()))) >>
                [] {});
        left = give_up - clock::now();
      } while (!answered && left > clock::duration::zero());
    }
    if (reply) return std::move(*reply);
    if (answered) return failed;
    log::error("an actor did not answer in time; the caller gave up", {{"message", what}});
    replace_caller();
    return late;
  }

  // Sends the request `msg` to `h` and waits until `deadline` plus service::reply_grace, then
  // REQUEST_TIMEOUT: the actors answer themselves at the deadline, so the wait only ends this
  // way on an actor that failed to answer. An actor that could not answer: INTERNAL_ERROR.
  template <class R, class Handle, class Msg>
  R ask(const Handle& h, Msg msg, clock::time_point deadline, const char* what) {
    return query_until(h, backstop(deadline), failure_of<R>(internal_failure()),
                       failure_of<R>(request_timeout_failure()), what, std::move(msg));
  }

  // When a wait for an answer due at `deadline` gives up; an ask sent after its deadline still
  // gets the grace, for the actor's own answer.
  static clock::time_point backstop(clock::time_point deadline) {
    return std::max(deadline, clock::now()) + service::reply_grace;
  }

 private:
  // What request(...).receive(...) checks at compile time: `F` takes the reply that the
  // receiver's interface declares.
  template <class Output, class F>
  static void check_reply_type(const caf::response_handle<caf::blocking_actor, Output, true>&,
                               const F&) {
    caf::detail::type_checker<Output, F>::check();
  }

  struct caller_slot {
    uint64_t owner = 0;  // the generation of the askers that made `self`
    caf::scoped_actor* self = nullptr;
  };
  static caller_slot& this_thread() {
    thread_local caller_slot slot;
    return slot;
  }
  // Tells apart the askers a thread has used: a slot made by another one is stale.
  static uint64_t next_generation() {
    static std::atomic<uint64_t> generations{0};
    return ++generations;
  }

  caf::scoped_actor& caller() {
    auto& slot = this_thread();
    if (slot.owner != generation_) {
      std::lock_guard<std::mutex> lock(mutex_);
      callers_.push_back(std::make_unique<caf::scoped_actor>(sys_));
      slot.self = callers_.back().get();
      slot.owner = generation_;
    }
    return *slot.self;
  }

  // Gives this thread a new caller after a wait gave up: the reply may still come, and a
  // scoped_actor keeps every message it does not receive. The old one's mailbox closes, so the
  // late reply is dropped.
  void replace_caller() {
    auto& slot = this_thread();
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& c : callers_)
      if (c.get() == slot.self) {
        c = std::make_unique<caf::scoped_actor>(sys_);
        slot.self = c.get();
      }
  }

  caf::actor_system& sys_;
  uint64_t generation_ = next_generation();
  std::mutex mutex_;
  std::vector<std::unique_ptr<caf::scoped_actor>> callers_;
};

}  // namespace vutf
