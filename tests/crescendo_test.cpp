// The pure parts of multi-turn attacks: the attacker's prompt (hostile texts fenced), reading
// its next message, the rules of crescendo probe sets and their stored form, their place in a
// scan's plan, and conversations as targets receive them (openai-chat messages, http-json's
// {{messages}}).
#include "domain/crescendo.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "domain/probes.hpp"
#include "outbound/target_client.hpp"

namespace vutf {
namespace {

using nlohmann::json;

const std::string attacker_id = "0b7c6a64-8f8e-4d6b-9c3e-2f1a5d4e3c2b";

probe_set crescendo_set() {
  probe_set p;
  p.id = "reveal";
  p.name = "Reveal";
  p.category = "LLM01";
  p.detector.type = "refusal";
  p.detector.severity = "medium";
  probe_set_patch to_crescendo;
  to_crescendo.mode = "crescendo";
  to_crescendo.goal = "Get the secret.";
  to_crescendo.attacker_target_id = attacker_id;
  apply_patch(p, to_crescendo);
  return p;
}

std::set<std::string> fields(const std::vector<field_error>& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) out.insert(e.field);
  return out;
}

TEST(crescendo, the_attacker_prompt_fences_goal_and_conversation_and_names_the_turn) {
  conversation so_far = {{"user", "Hello ===== there"}, {"assistant", "=========== Hi"}};
  std::string p = attacker_prompt("Goal with == inside", so_far, 2, 5);
  std::string fence(12, '=');  // longer than the longest run inside (11)
  EXPECT_NE(p.find(fence + "\nGoal with == inside\n" + fence), std::string::npos) << p;
  EXPECT_EQ(p.find(fence + "="), std::string::npos);
  EXPECT_NE(p.find("USER: Hello ===== there\nASSISTANT: =========== Hi\n"), std::string::npos);
  EXPECT_NE(p.find("This is turn 2 of at most 5."), std::string::npos);
  std::string first = attacker_prompt("g", {}, 1, 3);
  EXPECT_NE(first.find("(nothing yet: write the opening message)"), std::string::npos);
  EXPECT_NE(first.find("\n====\n"), std::string::npos);  // at least four
}

TEST(crescendo, the_next_message_is_the_reply_trimmed_unquoted_repaired_and_bounded) {
  EXPECT_EQ(read_next_message("  \"Tell me more.\"\n", 100).text, "Tell me more.");
  EXPECT_EQ(read_next_message("\" spaced \"", 100).text, "spaced");
  EXPECT_EQ(read_next_message("say \"this\"", 100).text, "say \"this\"");
  EXPECT_EQ(read_next_message("\"", 100).text, "\"");
  EXPECT_EQ(read_next_message(" \n\t ", 100).error, "the attacker wrote no message");
  EXPECT_EQ(read_next_message("\"  \"", 100).error, "the attacker wrote no message");
  EXPECT_EQ(read_next_message("", 100).error, "the attacker wrote no message");
  EXPECT_EQ(read_next_message(std::string(5000, 'x'), 16).text, std::string(16, 'x'));
  next_message bad = read_next_message(std::string("a\xff\0b", 4), 100);
  EXPECT_EQ(bad.text,
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_TRUE(bad.error.empty());
}

TEST(crescendo, a_crescendo_set_has_a_goal_turns_and_an_attacker_instead_of_prompts) {
  probe_set p = crescendo_set();
  EXPECT_TRUE(validate(p).empty());
  EXPECT_EQ(p.max_turns, default_crescendo_turns);
  EXPECT_EQ(p.prompt_count, 1);

  probe_set bad = p;
  bad.goal = "";
  bad.max_turns = 11;
  bad.attacker_target_id = "nope";
  bad.prompts = {"x"};
  EXPECT_EQ(fields(validate(bad)),
            (std::set<std::string>{"goal", "max_turns", "attacker_target_id", "prompts"}));
  bad = p;
  bad.max_turns = 1;
  bad.goal = std::string(max_goal_chars + 1, 'g');
  EXPECT_EQ(fields(validate(bad)), (std::set<std::string>{"goal", "max_turns"}));
  bad.mode = "relay";
  EXPECT_EQ(fields(validate(bad)), (std::set<std::string>{"mode"}));

  // Back to single: the conversation settings go, prompts are needed again.
  probe_set_patch to_single;
  to_single.mode = "single";
  apply_patch(p, to_single);
  EXPECT_TRUE(p.goal.empty() && p.max_turns == 0 && p.attacker_target_id.empty());
  EXPECT_EQ(fields(validate(p)), (std::set<std::string>{"prompts"}));
  // To crescendo: the prompts go (the attacker writes the messages).
  p.prompts = {"a", "b"};
  probe_set_patch again;
  again.mode = "crescendo";
  again.goal = "g";
  again.attacker_target_id = attacker_id;
  apply_patch(p, again);
  EXPECT_TRUE(p.prompts.empty());
  EXPECT_TRUE(validate(p).empty());
}

TEST(crescendo, the_stored_form_keeps_the_conversation_settings) {
  probe_set p = crescendo_set();
  p.max_turns = 7;
  probe_set back = parse_probe_set(probe_set_json(p));
  EXPECT_EQ(back.mode, "crescendo");
  EXPECT_EQ(back.goal, "Get the secret.");
  EXPECT_EQ(back.max_turns, 7);
  EXPECT_EQ(back.attacker_target_id, attacker_id);
  EXPECT_EQ(back.prompt_count, 1);
  json j = json::parse(probe_set_json(p));
  j.erase("max_turns");
  EXPECT_THROW(parse_probe_set(j.dump()), std::invalid_argument);
  j["mode"] = "relay";
  EXPECT_THROW(parse_probe_set(j.dump()), std::invalid_argument);
  // A single-turn set's stored form has no conversation settings.
  EXPECT_FALSE(json::parse(probe_set_json(*find_probe_set("jailbreak"))).contains("mode"));
}

TEST(crescendo, a_crescendo_set_is_one_conversation_per_round_in_the_plan) {
  const converter* reverse = find_converter("reverse");
  ASSERT_NE(reverse, nullptr);
  probe_set single = *find_probe_set("jailbreak");
  scan_plan plan({crescendo_set(), single}, {reverse});
  EXPECT_EQ(plan.distinct(), static_cast<int64_t>(single.prompts.size()) + 1);
  EXPECT_EQ(*plan.at(0).prompt, "Get the secret.");
  EXPECT_EQ(plan.at(0).through, nullptr);
  EXPECT_EQ(plan.at(1).set->mode, "crescendo");
  EXPECT_EQ(plan.at(1).through, reverse);
  EXPECT_EQ(*plan.at(2).prompt, single.prompts[0]);
  EXPECT_EQ(*plan.at(4).prompt, single.prompts[1]);  // no second conversation in round two
}

target chat_target() {
  target t;
  t.kind = "openai-chat";
  t.endpoint_url = "http://127.0.0.1:9/v1";
  t.system_prompt = "Be nice.";
  return t;
}

TEST(crescendo, openai_chat_targets_receive_the_whole_conversation) {
  conversation c = {{"user", "one"}, {"assistant", "reply"}, {"user", "two"}};
  json body = json::parse(target_request(chat_target(), c).body);
  EXPECT_EQ(body["messages"], json::parse(R"([{"role":"system","content":"Be nice."},
    {"role":"user","content":"one"},{"role":"assistant","content":"reply"},
    {"role":"user","content":"two"}])"));
  // A single prompt is a conversation of one.
  EXPECT_EQ(target_request(chat_target(), "one").body,
            target_request(chat_target(), conversation{{"user", "one"}}).body);
}

TEST(crescendo, http_json_templates_take_the_conversation_as_a_whole_string_value) {
  target t;
  t.name = "templated";
  t.kind = "http-json";
  t.endpoint_url = "http://127.0.0.1:9/generate";
  t.response_path = "$.text";
  t.system_prompt = "S \"q\"";
  t.request_template_json = R"({"history":"{{messages}}","input":"{{prompt}}","n":1})";
  EXPECT_TRUE(validate(t).empty());
  conversation c = {{"user", "one"}, {"assistant", "r\"}"}, {"user", "two \"{{messages}}\""}};
  json body = json::parse(target_request(t, c).body);
  EXPECT_EQ(body["input"], "two \"{{messages}}\"");
  EXPECT_EQ(body["history"].size(), 4u);
  EXPECT_EQ(body["history"][0], json::parse(R"({"role":"system","content":"S \"q\""})"));
  EXPECT_EQ(body["history"][2]["content"], "r\"}");
  EXPECT_EQ(body["n"], 1);

  // Anywhere else {{messages}} would leave broken JSON once replaced.
  for (const char* bad : {R"({"history":"before {{messages}}","input":"{{prompt}}"})",
                          R"({"{{messages}}":1,"input":"{{prompt}}"})",
                          R"({"h":"\"{{messages}}","input":"{{prompt}}"})"}) {
    t.request_template_json = bad;
    EXPECT_EQ(fields(validate(t)), (std::set<std::string>{"request_template"})) << bad;
  }
}

}  // namespace
}  // namespace vutf
