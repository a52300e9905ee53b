#include "domain/converters.hpp"

#include <array>
#include <iterator>

#include "config/utf8.hpp"
#include "domain/crypto.hpp"

namespace vutf {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Calls f(character) with the bytes of each character of `text`; a byte that does not start a
// well-formed UTF-8 sequence is passed as U+FFFD.
template <class F>
void for_each_char(std::string_view text, F f) {
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    f(n == 0 ? replacement : text.substr(i, n));
    i += n == 0 ? 1 : n;
  }
}

// Appends the UTF-8 form of the code point `cp` (at most U+10FFFF, not a surrogate).
void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Each character of `text` through `map`, which appends its replacement for one character.
template <class Map>
std::string per_char(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for_each_char(text, [&](std::string_view c) { map(out, c); });
  return out;
}

// The characters of `text` with `separator` between each two.
std::string interleaved(std::string_view text, std::string_view separator) {
  std::string out;
  out.reserve(text.size() * (1 + separator.size()));
  for_each_char(text, [&](std::string_view c) {
    if (!out.empty()) out += separator;
    out += c;
  });
  return out;
}

std::string to_base64(std::string_view p) {
  return identity::base64(std::string(p));
}

std::string to_hex(std::string_view p) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(p.size() * 2);
  for (unsigned char b : p) {
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  return out;
}

std::string rot13(std::string_view p) {
  return per_char(p, [](std::string& out, std::string_view c) {
    char x = c[0];
    if (c.size() == 1 && ((x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z'))) {
      char base = x >= 'a' ? 'a' : 'A';
      out += static_cast<char>(base + (x - base + 13) % 26);
    } else {
      out += c;
    }
  });
}

std::string leetspeak(std::string_view p) {
  return per_char(p, [](std::string& out, std::string_view c) {
    static constexpr std::string_view from = "aeiostbgAEIOSTBG", to = "4310578943105789";
    size_t at = c.size() == 1 ? from.find(c[0]) : std::string_view::npos;
    if (at == std::string_view::npos) {
      out += c;
    } else {
      out += to[at];
    }
  });
}

// Latin letters and the Cyrillic letters drawn the same in most fonts.
std::string homoglyph(std::string_view p) {
  static constexpr std::string_view latin = "acehijopsxyABCEHIJKMOPSTXY";
  static constexpr char32_t cyrillic[] = {0x0430, 0x0441, 0x0435, 0x04BB, 0x0456, 0x0458, 0x043E,
                                          0x0440, 0x0455, 0x0445, 0x0443, 0x0410, 0x0412, 0x0421,
                                          0x0415, 0x041D, 0x0406, 0x0408, 0x041A, 0x041C, 0x041E,
                                          0x0420, 0x0405, 0x0422, 0x0425, 0x04AE};
  static_assert(std::size(cyrillic) == latin.size());
  return per_char(p, [](std::string& out, std::string_view c) {
    size_t at = c.size() == 1 ? latin.find(c[0]) : std::string_view::npos;
    if (at == std::string_view::npos) {
      out += c;
    } else {
      append_utf8(out, cyrillic[at]);
    }
  });
}

// Printable ASCII as the invisible Unicode tag characters U+E0020..U+E007E ("ASCII smuggling");
// other characters stay as they are.
std::string unicode_tags(std::string_view p) {
  return per_char(p, [](std::string& out, std::string_view c) {
    auto b = static_cast<unsigned char>(c[0]);
    if (c.size() == 1 && b >= 0x20 && b <= 0x7E) {
      append_utf8(out, 0xE0000 + b);
    } else {
      out += c;
    }
  });
}

std::string zero_width(std::string_view p) {
  return interleaved(p, "\xE2\x80\x8B");  // U+200B ZERO WIDTH SPACE
}

std::string char_spacing(std::string_view p) {
  return interleaved(p, " ");
}

// By code point: a combining mark ends up before the letter it followed.
std::string reverse(std::string_view p) {
  std::vector<std::string_view> chars;
  for_each_char(p, [&](std::string_view c) { chars.push_back(c); });
  std::string out;
  out.reserve(p.size());
  for (auto c = chars.rbegin(); c != chars.rend(); ++c) out += *c;
  return out;
}

// International Morse code for ASCII letters (either case), digits and punctuation; a character
// without a code is written as it is.
const char* morse_code(char c) {
  static const std::array<const char*, 128> codes = [] {
    std::array<const char*, 128> t{};
    const char* letters[] = {".-",   "-...", "-.-.", "-..",  ".",   "..-.", "--.",  "....", "..",
                             ".---", "-.-",  ".-..", "--",   "-.",  "---",  ".--.", "--.-", ".-.",
                             "...",  "-",    "..-",  "...-", ".--", "-..-", "-.--", "--.."};
    for (int i = 0; i < 26; ++i) t['A' + i] = t['a' + i] = letters[i];
    const char* digits[] = {"-----", ".----", "..---", "...--", "....-",
                            ".....", "-....", "--...", "---..", "----."};
    for (int i = 0; i < 10; ++i) t['0' + i] = digits[i];
    const std::pair<char, const char*> punctuation[] = {
        {'.', ".-.-.-"}, {',', "--..--"},  {'?', "..--.."}, {'\'', ".----."}, {'!', "-.-.--"},
        {'/', "-..-."},  {'(', "-.--."},   {')', "-.--.-"}, {'&', ".-..."},   {':', "---..."},
        {';', "-.-.-."}, {'=', "-...-"},   {'+', ".-.-."},  {'-', "-....-"},  {'_', "..--.-"},
        {'"', ".-..-."}, {'$', "...-..-"}, {'@', ".--.-."}};
    for (const auto& [ch, code] : punctuation) t[static_cast<unsigned char>(ch)] = code;
    return t;
  }();
  auto u = static_cast<unsigned char>(c);
  return u < codes.size() ? codes[u] : nullptr;
}

// Characters separated by spaces, a space between words written as "/".
std::string morse(std::string_view p) {
  return per_char(p, [](std::string& out, std::string_view c) {
    if (!out.empty()) out += ' ';
    const char* code = c.size() == 1 ? morse_code(c[0]) : nullptr;
    if (c == " ") {
      out += '/';
    } else if (code) {
      out += code;
    } else {
      out += c;
    }
  });
}

}  // namespace

const std::vector<converter>& converters() {
  static const std::vector<converter> table = {
      {"base64", "The prompt's bytes in standard base64 (RFC 4648, padded).", to_base64},
      {"rot13", "Each ASCII letter shifted 13 places in the alphabet.", rot13},
      {"leetspeak", "Letters written as look-alike digits: a=4 e=3 i=1 o=0 s=5 t=7 b=8 g=9.",
       leetspeak},
      {"homoglyph",
       "Latin letters replaced by the Cyrillic letters drawn the same (a, c, e, o, p, x...).",
       homoglyph},
      {"unicode-tags",
       "Printable ASCII as invisible Unicode tag characters (U+E0020..U+E007E): ASCII smuggling.",
       unicode_tags},
      {"zero-width", "A zero-width space (U+200B) between every two characters.", zero_width},
      {"reverse", "The characters in reverse order.", reverse},
      {"hex", "The prompt's bytes as lowercase hexadecimal, two digits a byte.", to_hex},
      {"morse",
       "International Morse code: characters separated by spaces, words by ' / ', characters "
       "without a code kept as they are.",
       morse},
      {"char-spacing", "A space between every two characters.", char_spacing},
  };
  return table;
}

const converter* find_converter(std::string_view id) {
  for (const auto& c : converters())
    if (id == c.id) return &c;
  return nullptr;
}

}  // namespace vutf
