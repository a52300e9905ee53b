// Audit records fit for storage: text repaired to valid UTF-8 without NUL (PostgreSQL `text`
// rejects both, and one refused record used to block the batch insert for good) and bounded.
#include "domain/audit.hpp"

#include <gtest/gtest.h>

#include "config/json_escape.hpp"
#include "config/utf8.hpp"

namespace vutf {
namespace {

const std::string fffd = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER

TEST(valid_utf8, keeps_well_formed_text_as_it_is) {
  std::string text =
      "ascii \xC3\xA9 \xE2\x80\x99 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";  // to U+10FFFF
  EXPECT_EQ(valid_utf8(text), text);
  EXPECT_EQ(valid_utf8(""), "");
}

TEST(valid_utf8, replaces_each_byte_that_starts_no_sequence) {
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a" + fffd + "b");                                           // never valid in UTF-8
  EXPECT_EQ(valid_utf8("\x80\xBF"), fffd + fffd);                        // stray continuation bytes
  EXPECT_EQ(valid_utf8("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), fffd + fffd + fffd);             // overlong, 3 bytes
  EXPECT_EQ(valid_utf8("\xF0\x80\x80\xAF"), fffd + fffd + fffd + fffd);  // overlong, 4 bytes
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // surrogate U+D800
  EXPECT_EQ(valid_utf8("\xED\xBF\xBF"), fffd + fffd + fffd);             // surrogate U+DFFF
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
}

TEST(valid_utf8, replaces_sequences_cut_short) {
  EXPECT_EQ(valid_utf8("ab\xE2\x80"), "ab" + fffd + fffd);  // at the end
  EXPECT_EQ(valid_utf8("\xC3z"), fffd + "z");               // followed by ASCII
  EXPECT_EQ(valid_utf8("\xF0\x9F\x98"), fffd + fffd + fffd);
}

TEST(valid_utf8, removes_nul) {
  EXPECT_EQ(valid_utf8(std::string("a\0b\0", 4)), "ab");
  EXPECT_EQ(valid_utf8(std::string(3, '\0')), "");
}

TEST(valid_utf8, cuts_at_a_character_boundary) {
  std::string e_acute = "\xC3\xA9";
  EXPECT_EQ(valid_utf8("abc", 2), "ab");
  EXPECT_EQ(valid_utf8("a" + e_acute, 2), "a");  // the 2-byte character does not fit
  EXPECT_EQ(valid_utf8("a" + e_acute, 3), "a" + e_acute);
  EXPECT_EQ(valid_utf8("a\xFF", 3), "a");  // nor does its 3-byte replacement
  EXPECT_EQ(valid_utf8(std::string(10000, '\xFF'), 256).size(), 255u);
}

TEST(valid_utf8, json_strings_still_replace_what_is_invalid) {
  std::string out;
  append_json_string(out, "a\xFF\xED\xA0\x80");
  EXPECT_EQ(out, "\"a" + fffd + fffd + fffd + fffd + "\"");
}

TEST(sanitised, repairs_and_bounds_every_text_field) {
  audit_record r;
  r.id = "0190-id";
  r.request_id = std::string(1000, 'r');
  r.actor_id = std::string("user\0", 5);
  r.actor_type = "anonymous";
  r.action = "target.delete";
  r.resource_type = "target";
  r.resource_id = "\xFF" + std::string(8000, 'x');  // DELETE /targets/%FFxxxx...
  r.outcome = "failure";
  r.status_code = 401;
  r.ip = std::string(100, '1');
  r.user_agent = "curl\xFF" + std::string(8000, 'u');
  r.duration_ms = 3;
  audit_record s = sanitised(r);
  EXPECT_EQ(s.id, r.id);
  EXPECT_EQ(s.request_id, std::string(audit_limits::request_id, 'r'));
  EXPECT_EQ(s.actor_id, "user");
  EXPECT_EQ(s.action, r.action);
  EXPECT_EQ(s.resource_id.substr(0, 4), fffd + "x");
  EXPECT_EQ(s.resource_id.size(), audit_limits::resource_id);
  EXPECT_EQ(s.ip.size(), audit_limits::ip);
  EXPECT_EQ(s.user_agent.substr(0, 7), "curl" + fffd);
  EXPECT_EQ(s.user_agent.size(), audit_limits::user_agent);
  EXPECT_EQ(s.status_code, 401);
  EXPECT_EQ(s.duration_ms, 3);
  size_t text = 0;
  for (const std::string* f : {&s.id, &s.request_id, &s.actor_id, &s.actor_type, &s.action,
                               &s.resource_type, &s.resource_id, &s.outcome, &s.ip, &s.user_agent})
    text += f->size();
  EXPECT_LT(text, 1024u);  // was over 16 KB
  audit_record long_names = r;
  long_names.action = std::string(200, 'a');
  EXPECT_EQ(sanitised(long_names).action.size(), audit_limits::name);
}

}  // namespace
}  // namespace vutf
