// UTF-8 at the boundary: values refuse invalid text; text that only informs
// (descriptions, error messages) has its invalid sequences replaced instead,
// so one bad plugin string cannot break listing or JSON output.
#pragma once

#include <string>
#include <string_view>

namespace phost {

bool valid_utf8(std::string_view s) noexcept;

// s with each maximal ill-formed subsequence replaced by U+FFFD (the Unicode
// and WHATWG practice), so the result is the same whichever decoder reads it.
std::string replace_invalid_utf8(std::string_view s);

}  // namespace phost
