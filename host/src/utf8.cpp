#include "utf8.hpp"

#include <cstdint>
#include <cstring>

namespace phost {
namespace {

struct Step {
  size_t length;  // of the well-formed sequence, or of the maximal ill-formed subpart (>= 1)
  bool valid;
};

// The sequence starting at p, by the table of well-formed byte sequences
// (Unicode 3.9, table 3-7): no overlong forms, surrogates or values past U+10FFFF.
Step step(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char c = *p;
  if (c < 0x80) return {1, true};
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return {1, false};
  }
  for (size_t k = 1; k < n; ++k) {
    if (p + k == end || p[k] < lo || p[k] > hi) return {k, false};
    lo = 0x80;
    hi = 0xBF;
  }
  return {n, true};
}

}  // namespace

bool valid_utf8_from(std::string_view s, size_t from) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + from;
  const auto* end = reinterpret_cast<const unsigned char*>(s.data()) + s.size();
  while (p < end) {
    // ASCII eight bytes at a time.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if (word & 0x8080808080808080u) break;
      p += 8;
    }
    if (p == end) break;
    const Step st = step(p, end);
    if (!st.valid) return false;
    p += st.length;
  }
  return true;
}

std::string replace_invalid_utf8(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = begin + s.size();
  for (const auto* p = begin; p < end;) {
    const Step st = step(p, end);
    if (st.valid) out.append(s.substr(static_cast<size_t>(p - begin), st.length));
    else out += "\xEF\xBF\xBD";
    p += st.length;
  }
  return out;
}

}  // namespace phost
