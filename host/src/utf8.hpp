// UTF-8 at the boundary: values refuse invalid text; text that only informs
// (descriptions, error messages) has its invalid sequences replaced instead,
// so one bad plugin string cannot break listing or JSON output.
#pragma once

#include <string>
#include <string_view>

namespace phost {

// Whether s[from..] is valid UTF-8 (s[..from] is ASCII).
bool valid_utf8_from(std::string_view s, size_t from) noexcept;

// Inline for the short ASCII text most keys and strings are.
inline bool valid_utf8(std::string_view s) noexcept {
  size_t i = 0;
  for (const size_t n = s.size() < 16 ? s.size() : 16; i < n; ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) break;
  return i == s.size() || valid_utf8_from(s, i);
}

// s with each maximal ill-formed subsequence replaced by U+FFFD (the Unicode
// and WHATWG practice), so the result is the same whichever decoder reads it.
std::string replace_invalid_utf8(std::string_view s);

}  // namespace phost
