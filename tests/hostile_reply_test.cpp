// Target replies are hostile by design. A megabyte of the worst a target can send goes through
// reading the reply (read_reply, json_path) and through every detector, which must answer with
// text, a verdict or an error, never crash or hang. Before these bounds, dump() overflowed the
// stack on deeply nested JSON, std::regex did on a run of digits, and lower() was quadratic in
// the number of U+2019 apostrophes.
#include <gtest/gtest.h>

#include "domain/detectors.hpp"
#include "domain/probes.hpp"
#include "outbound/target_client.hpp"

namespace vutf {
namespace {

constexpr size_t mib = 1 << 20;
// Hostile texts leave room for the envelope they are wrapped in, under the 1 MiB reply cap.
constexpr size_t hostile_size = mib - 256;

// `unit` repeated to at most `size` bytes.
std::string repeat(const std::string& unit, size_t size = hostile_size) {
  std::string out;
  out.reserve(size);
  while (out.size() + unit.size() <= size) out += unit;
  return out;
}

std::string nested(const std::string& open, const std::string& close, size_t levels,
                   const std::string& inner = "1") {
  return repeat(open, open.size() * levels) + inner + repeat(close, close.size() * levels);
}

// Deterministic noise: every byte value, no structure.
std::string binary() {
  std::string out(hostile_size, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xFF);
  }
  return out;
}

struct hostile {
  const char* name;
  std::string text;
};

const std::vector<hostile>& hostile_texts() {
  static const std::vector<hostile> all = {
      {"digit run", repeat("7")},
      {"digits and separators", repeat("4 ")},
      {"phone-like groups", repeat("(555) 123-")},
      {"plus signs and digits", repeat("+1")},
      {"local parts without a domain", repeat("a.b%c+d-")},
      {"at signs", repeat("a@b")},
      {"a domain that never ends", "x@" + repeat("b.")},
      {"deep arrays", nested("[", "]", hostile_size / 2 - 1)},
      {"deep objects", nested(R"({"a":)", "}", hostile_size / 6 - 1)},
      {"unclosed arrays", repeat("[")},
      {"unclosed strings in arrays", repeat("[\"")},
      {"invalid UTF-8", repeat("\xC3\x28\xFF\xFE\xED\xA0\x80\xF4\x90\x80\x80")},
      {"NUL bytes", std::string(hostile_size, '\0')},
      {"U+2019 flood", repeat("\xE2\x80\x99")},
      {"escaped NULs in a string", "\"" + repeat("\\u0000") + "\""},
      {"lone surrogates in a string", "\"" + repeat("\\ud800") + "\""},
      {"huge exponent", "1e999999"},
      {"huge exponents", "[" + repeat("1e999999,") + "1]"},
      {"400-digit integer", repeat("9", 400)},
      {"400-digit integers", "[" + repeat(repeat("9", 400) + ",") + "1]"},
      {"long fraction", "0." + repeat("1")},
      {"binary", binary()},
  };
  return all;
}

target openai_target() {
  target t;
  t.kind = "openai-chat";
  return t;
}

target http_json_target(const std::string& path) {
  target t;
  t.kind = "http-json";
  t.response_path = path;
  return t;
}

// The openai-chat envelope with `value` (JSON text, or not) where the reply text belongs.
std::string chat_reply(const std::string& value) {
  return R"({"choices":[{"message":{"content":)" + value + "}}]}";
}

void expect_answered(const reply_text& r, const std::string& what) {
  if (r.text) {
    EXPECT_LE(r.text->size(), mib) << what;
  } else {
    EXPECT_FALSE(r.error.empty()) << what;
  }
}

TEST(hostile_replies, reading_a_reply_answers_text_or_an_error) {
  for (const auto& h : hostile_texts()) {
    expect_answered(read_reply(openai_target(), h.text), std::string(h.name) + " as the body");
    expect_answered(read_reply(openai_target(), chat_reply(h.text)),
                    std::string(h.name) + " at the reply's path");
    expect_answered(read_reply(http_json_target("a.0"), R"({"a":[)" + h.text + "]}"),
                    std::string(h.name) + " in an http-json reply");
  }
}

TEST(hostile_replies, nesting_deeper_than_the_limit_is_refused) {
  std::string limit = std::to_string(max_reply_depth);
  // The envelope holds 4 levels: the value at the path may hold the rest.
  auto arrays = [](size_t levels) { return chat_reply(nested("[", "]", levels)); };
  auto deepest = read_reply(openai_target(), arrays(max_reply_depth - 4));
  ASSERT_TRUE(deepest.text) << deepest.error;
  EXPECT_EQ(*deepest.text, nested("[", "]", max_reply_depth - 4));
  auto over = read_reply(openai_target(), arrays(max_reply_depth - 3));
  EXPECT_FALSE(over.text);
  EXPECT_EQ(over.error, "the reply is nested deeper than " + limit + " levels");

  auto objects = [](size_t levels) { return chat_reply(nested(R"({"a":)", "}", levels)); };
  EXPECT_TRUE(read_reply(openai_target(), objects(max_reply_depth - 4)).text);
  EXPECT_FALSE(read_reply(openai_target(), objects(max_reply_depth - 3)).text);

  // 250 000 levels where the text belongs: re-serialising this value overflowed the stack.
  auto deep = read_reply(openai_target(), chat_reply(nested("[", "]", 250000)));
  EXPECT_FALSE(deep.text);
  EXPECT_EQ(deep.error, over.error);
  // Deep nesting anywhere refuses the reply, even beside a readable text.
  auto beside = read_reply(openai_target(), R"({"x":)" + nested("[", "]", 250000) +
                                                R"(,"choices":[{"message":{"content":"hi"}}]})");
  EXPECT_EQ(beside.error, over.error);
}

TEST(hostile_replies, numbers_json_cannot_hold_are_refused_and_others_written_back) {
  EXPECT_EQ(read_reply(openai_target(), chat_reply("1e999999")).error, "the reply is not JSON");
  EXPECT_EQ(read_reply(openai_target(), chat_reply(repeat("9", 400))).error,
            "the reply is not JSON");
  EXPECT_EQ(read_reply(openai_target(), chat_reply("1e308")).text, "1e+308");
  EXPECT_EQ(read_reply(openai_target(), chat_reply("-12345678901234567890")).text,
            "-1.2345678901234567e+19");
}

TEST(hostile_replies, strings_keep_their_bytes_and_bad_ones_are_refused) {
  EXPECT_EQ(read_reply(openai_target(), chat_reply("\"a\xFF\"")).error, "the reply is not JSON");
  EXPECT_EQ(read_reply(openai_target(), chat_reply(R"("\ud800")")).error, "the reply is not JSON");
  EXPECT_EQ(read_reply(openai_target(), chat_reply(R"("a\u0000b")")).text, std::string("a\0b", 3));
  EXPECT_EQ(read_reply(openai_target(), chat_reply(std::string("\"a\0b\"", 5))).error,
            "the reply is not JSON");  // a raw control character in a string
}

TEST(hostile_replies, replies_over_one_mebibyte_are_refused_unread) {
  std::string body = chat_reply("\"" + repeat("a", mib) + "\"");
  EXPECT_EQ(read_reply(openai_target(), body).error, "the reply is larger than 1 MiB");
  // Written back, a value may grow ("1E2" is "100.0"): that is bounded by 1 MiB too.
  std::string growing = "[" + repeat("1E2,", mib - 300) + "1]";
  auto grown = read_reply(openai_target(), chat_reply(growing));
  EXPECT_FALSE(grown.text);
  EXPECT_EQ(grown.error, "the value at choices.0.message.content is larger than 1 MiB");
}

TEST(hostile_replies, every_detector_answers_on_every_hostile_text) {
  for (const auto& set : probe_sets())
    for (const auto& h : hostile_texts()) {
      detection d = detect(set.detector, h.text);
      EXPECT_EQ(d.vulnerable, !d.evidence.empty()) << set.id << ": " << h.name;
    }
}

TEST(hostile_replies, detectors_stay_right_at_a_mebibyte) {
  // One number of a million digits is neither a card nor a phone number.
  EXPECT_FALSE(detect(find_probe_set("pii-leak")->detector, repeat("7")).vulnerable);
  // Matches are counted one by one however many there are.
  std::string card = "4111 1111 1111 1111, ";
  pii_found cards = find_pii(repeat(card));
  EXPECT_EQ(cards.cards, static_cast<int>(hostile_size / card.size()));
  EXPECT_EQ(cards.phones, 0);
  std::string email = "jane.doe@example.com ";
  EXPECT_EQ(find_pii(repeat(email)).emails, static_cast<int>(hostile_size / email.size()));
  std::string phone = "call +44 7700 900123; ";
  EXPECT_EQ(find_pii(repeat(phone)).phones, static_cast<int>(hostile_size / phone.size()));

  std::string flood = repeat("\xE2\x80\x99");
  EXPECT_EQ(lower(flood), std::string(flood.size() / 3, '\''));
  EXPECT_TRUE(looks_like_refusal(flood + "I can\xE2\x80\x99t help with that." + flood));
  EXPECT_FALSE(
      detect(find_probe_set("jailbreak")->detector, flood + "I can\xE2\x80\x99t.").vulnerable);
}

}  // namespace
}  // namespace vutf
