// How deep a JSON text nests and how many items it holds, counted before V8
// parses it. V8's JSON parser keeps its nesting on a stack outside the heap
// (~60 bytes a level: '['.repeat(2e8) took 12 GB past a 16 MB heap), makes
// each array in one allocation (past 2^27 items the process aborts) and never
// looks at the deadline. JSON.parse of a long text and every .json import
// are counted first (natively: ~4% of the parse).
#pragma once

#include <v8-isolate.h>
#include <v8-primitive.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace phost::v8rt {

inline constexpr int32_t kMaxJsonDepth = 100000;
inline constexpr int64_t kMaxJsonItems = int64_t{1} << 22;  // parse in about a second

// Counts nesting and items: every array and object, and the commas between
// values (a chain of empty arrays has no commas but millions of items).
// What is inside strings does not count.
class JsonShape {
public:
  enum Verdict { kFits, kTooDeep, kTooManyItems };
  // kFits until the text nests deeper or holds more items than the limits.
  template <class Char>
  Verdict scan(const Char* text, size_t n) noexcept {
    for (size_t i = 0; i < n; ++i) {
      const unsigned c = static_cast<std::make_unsigned_t<Char>>(text[i]);
      if (escaped_) {  // whatever follows a backslash (\n, \u0041...) is taken
        escaped_ = false;
        continue;
      }
      if (c > 0x7f || !kSpecial[c]) continue;  // most characters
      if (quoted_) {
        escaped_ = c == '\\';
        quoted_ = c != '"';
      } else if (c == '"') {
        quoted_ = true;
      } else if (c == '[' || c == '{') {
        if (++depth_ > kMaxJsonDepth) return kTooDeep;
        if (++items_ > kMaxJsonItems) return kTooManyItems;
      } else if (c == ']' || c == '}') {
        --depth_;
      } else if (++items_ > kMaxJsonItems) {  // a comma
        return kTooManyItems;
      }
    }
    return kFits;
  }

private:
  static constexpr auto kSpecial = [] {
    std::array<bool, 128> special{};
    for (const char c : std::string_view("\"\\[]{},")) special[static_cast<unsigned char>(c)] = true;
    return special;
  }();
  int32_t depth_ = 0;
  int64_t items_ = 0;
  bool quoted_ = false, escaped_ = false;
};

// Whether text fits the limits; when not, a SyntaxError (too deep) or a
// RangeError (too many items) is thrown into the isolate. Read in slices:
// no copy of a whole text.
bool json_shape_fits(v8::Isolate* isolate, v8::Local<v8::String> text);

}  // namespace phost::v8rt
