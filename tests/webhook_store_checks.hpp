// The webhook store's tests, written once for both databases: webhook_store_test.cpp runs them on
// SQLite, webhook_store_pgtest.cpp on a live PostgreSQL. Every statement, the per-owner URL
// uniqueness, paging, and who hears of an event.
#pragma once

#include <gtest/gtest.h>

#include "domain/crypto.hpp"
#include "domain/ids.hpp"
#include "storage/user_store.hpp"
#include "storage/webhook_store.hpp"
#include "tests/support/store_fixture.hpp"

namespace vutf {

// `Backend::url()` names a new, empty database.
template <class Backend>
class webhook_store : public test::store_fixture<Backend> {
 protected:
  using base = test::store_fixture<Backend>;
  using base::tx;
  using ids = std::vector<std::string>;

  void deactivate(const std::string& id) {
    tx([&](storage::session& s) {
      user u = *storage::find_user(s, id);
      u.is_active = false;
      ++u.version;
      ASSERT_TRUE(storage::update_user(s, u));
    });
  }

  // Inserts a webhook of `owner` at `url`, made at `at_ms`.
  webhook add(const std::string& owner, const std::string& url, std::vector<std::string> events,
              int64_t at_ms) {
    webhook w{make_uuid(), owner, url, std::move(events), identity::make_webhook_secret(), at_ms};
    tx([&](storage::session& s) { storage::insert_webhook(s, w); });
    return w;
  }

  ids recipients(const std::string& owner, const std::string& event, const std::string& url) {
    ids out;
    tx([&](storage::session& s) {
      for (const auto& w : storage::webhook_recipients(s, owner, event, url)) out.push_back(w.id);
    });
    return out;
  }
};

TYPED_TEST_SUITE_P(webhook_store);

TYPED_TEST_P(webhook_store, insert_find_rotate_delete) {
  const std::string& owner = this->owner_;
  const std::string& other = this->other_;
  webhook w = this->add(owner, "https://h.example.com/a", {"scan.completed", "scan.failed"}, 1000);
  this->tx([&](storage::session& s) {
    auto found = storage::find_webhook(s, w.id, owner);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->url, w.url);
    EXPECT_EQ(found->events, w.events);
    EXPECT_EQ(found->secret, w.secret);
    EXPECT_EQ(found->created_at_ms, 1000);
    EXPECT_FALSE(storage::find_webhook(s, w.id, other));
    EXPECT_TRUE(storage::find_webhook(s, w.id, "*"));
    EXPECT_TRUE(storage::find_webhook_by_url(s, owner, w.url));
    EXPECT_FALSE(storage::find_webhook_by_url(s, other, w.url));
    EXPECT_FALSE(storage::set_webhook_secret(s, w.id, other, "whsec_AAAA"));
    EXPECT_TRUE(storage::set_webhook_secret(s, w.id, owner, "whsec_AAAA"));
    EXPECT_EQ(storage::find_webhook(s, w.id, owner)->secret, "whsec_AAAA");
    EXPECT_FALSE(storage::delete_webhook(s, w.id, other));
    EXPECT_TRUE(storage::delete_webhook(s, w.id, owner));
    EXPECT_FALSE(storage::find_webhook(s, w.id, "*"));
  });
}

TYPED_TEST_P(webhook_store, a_url_is_unique_per_owner) {
  this->add(this->owner_, "https://h.example.com/a", {"scan.completed"}, 1000);
  this->add(this->other_, "https://h.example.com/a", {"scan.completed"}, 1000);
  try {
    this->add(this->owner_, "https://h.example.com/a", {"scan.failed"}, 2000);
    ADD_FAILURE() << "a second webhook at the same URL was stored";
  } catch (const storage::db_error& e) {
    EXPECT_EQ(e.code, errc::conflict);
  }
}

TYPED_TEST_P(webhook_store, pages_are_newest_first) {
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i)
    made.push_back(this->add(this->owner_, "https://h.example.com/" + std::to_string(i),
                             {"scan.failed"}, 1000 + i)
                       .id);
  this->add(this->other_, "https://h.example.com/x", {"scan.failed"}, 5000);
  this->tx([&](storage::session& s) {
    EXPECT_EQ(storage::count_webhooks(s, this->owner_), 5);
    auto page = storage::list_webhooks(s, this->owner_, 2, 2);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, made[2]);
    EXPECT_EQ(page[1].id, made[1]);
    EXPECT_EQ(storage::list_webhooks(s, this->owner_, 3, 2).size(), 1u);
  });
}

TYPED_TEST_P(webhook_store, recipients_are_the_subscribers_and_the_scans_url) {
  using ids = std::vector<std::string>;
  const std::string& owner = this->owner_;
  webhook a = this->add(owner, "https://h.example.com/a", {"scan.completed"}, 1000);
  webhook b = this->add(owner, "https://h.example.com/b", {"scan.failed", "scan.regressed"}, 2000);
  webhook c = this->add(owner, "https://h.example.com/c", {"scan.completed", "scan.failed"}, 3000);
  this->add(this->other_, "https://h.example.com/a", {"scan.completed"}, 500);
  EXPECT_EQ(this->recipients(owner, "scan.completed", ""), (ids{a.id, c.id}));
  EXPECT_EQ(this->recipients(owner, "scan.failed", a.url), (ids{a.id, b.id, c.id}));
  EXPECT_EQ(this->recipients(owner, "scan.completed", c.url), (ids{a.id, c.id}));  // each once
  EXPECT_EQ(this->recipients(owner, "scan.cancelled", b.url), (ids{b.id}));
  EXPECT_EQ(this->recipients(owner, "scan.cancelled", ""), ids{});
  EXPECT_EQ(this->recipients(owner, "scan", ""), ids{}) << "whole events only";
  EXPECT_EQ(this->recipients(owner, "scan_completed", ""), ids{}) << "_ is no wildcard";
  this->deactivate(owner);  // a deactivated owner's webhooks hear of nothing more
  EXPECT_EQ(this->recipients(owner, "scan.completed", b.url), ids{});
}

REGISTER_TYPED_TEST_SUITE_P(webhook_store, insert_find_rotate_delete, a_url_is_unique_per_owner,
                            pages_are_newest_first,
                            recipients_are_the_subscribers_and_the_scans_url);

}  // namespace vutf
