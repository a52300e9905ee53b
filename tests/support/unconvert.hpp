// The inverses of the prompt converters that are encodings (domain/converters.hpp), for the
// round-trip checks of tests/converters_test.cpp and tests/fuzz/fuzz_converters.cpp. The service
// never decodes what it sends, so they live with the tests.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/utf8.hpp"
#include "domain/crypto.hpp"

namespace vutf::test {

// The characters of valid UTF-8 `text`, each as its bytes.
inline std::vector<std::string> chars_of(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    size_t n = std::max<size_t>(1, utf8_sequence(text, i));
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

inline std::optional<std::string> unhex(const std::string& text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = digit(text[i]), lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// base64 of "" is "", which the strict decoder refuses.
inline std::optional<std::string> unbase64(const std::string& text) {
  return text.empty() ? std::optional<std::string>("") : identity::unbase64(text);
}

// Tag characters U+E0020..U+E007E back to ASCII; everything else as it is.
inline std::string untag(const std::string& text) {
  std::string out;
  for (const auto& c : chars_of(text)) {
    auto b = [&](size_t i) { return static_cast<unsigned char>(c[i]); };
    bool tag = c.size() == 4 && b(0) == 0xF3 && b(1) == 0xA0 && (b(2) == 0x80 || b(2) == 0x81);
    out += tag ? std::string(1, static_cast<char>(((b(2) & 0x3F) << 6) | (b(3) & 0x3F))) : c;
  }
  return out;
}

// Every other character, starting with the first: undoes a separator put between characters.
inline std::string unspace(const std::string& text) {
  std::string out;
  auto chars = chars_of(text);
  for (size_t i = 0; i < chars.size(); i += 2) out += chars[i];
  return out;
}

inline std::string unreverse(const std::string& text) {
  auto chars = chars_of(text);
  std::string out;
  for (auto c = chars.rbegin(); c != chars.rend(); ++c) out += *c;
  return out;
}

// Morse back to text (letters in upper case): "/" is a space, a token without a meaning is
// itself (a character that had no code).
inline std::string unmorse(const std::string& text) {
  static const std::map<std::string, char> letters = [] {
    std::map<std::string, char> m;
    const char* codes[] = {".-",   "-...", "-.-.", "-..",  ".",   "..-.", "--.",  "....", "..",
                           ".---", "-.-",  ".-..", "--",   "-.",  "---",  ".--.", "--.-", ".-.",
                           "...",  "-",    "..-",  "...-", ".--", "-..-", "-.--", "--.."};
    for (int i = 0; i < 26; ++i) m[codes[i]] = static_cast<char>('A' + i);
    const char* digits[] = {"-----", ".----", "..---", "...--", "....-",
                            ".....", "-....", "--...", "---..", "----."};
    for (int i = 0; i < 10; ++i) m[digits[i]] = static_cast<char>('0' + i);
    const std::pair<const char*, char> punctuation[] = {
        {".-.-.-", '.'}, {"--..--", ','},  {"..--..", '?'}, {".----.", '\''}, {"-.-.--", '!'},
        {"-..-.", '/'},  {"-.--.", '('},   {"-.--.-", ')'}, {".-...", '&'},   {"---...", ':'},
        {"-.-.-.", ';'}, {"-...-", '='},   {".-.-.", '+'},  {"-....-", '-'},  {"..--.-", '_'},
        {".-..-.", '"'}, {"...-..-", '$'}, {".--.-.", '@'}};
    for (const auto& [code, ch] : punctuation) m[code] = ch;
    return m;
  }();
  std::string out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string token = text.substr(start, end - start);
    auto known = letters.find(token);
    out += token == "/"             ? std::string(" ")
           : known != letters.end() ? std::string(1, known->second)
                                    : token;
    start = end + 1;
  }
  return out;
}

// ASCII letters in upper case, as Morse code returns them.
inline std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

}  // namespace vutf::test
