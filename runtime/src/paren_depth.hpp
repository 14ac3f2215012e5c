// How deep parentheses nest in a text. V8 10.2 compiles a regexp by
// recursion with no stack check: a pattern whose groups nest 3,000 deep
// overflowed a 512 KB stack (SIGSEGV), and 90,000 alternatives deep ran its
// compiler out of memory (an abort). Both end the process, so a regexp's
// source is refused before V8 sees it when its parentheses nest deeper than
// kMaxParenDepth: patterns given to RegExp, script files and eval'd code
// (for their regexp literals). Every '(' and ')' counts, wherever it stands:
// that over-counts (escaped ones, code, strings) but never misses a group.
#pragma once

#include "v8_text.hpp"

#include <cstddef>
#include <string_view>

namespace phost::v8rt {

inline constexpr int kMaxParenDepth = 1000;

class ParenDepth {
public:
  template <typename Char>
  void scan(const Char* text, size_t n) noexcept {
    for (size_t i = 0; i < n; ++i) {
      if (text[i] == '(') {
        if (++depth_ > most_) most_ = depth_;
      } else if (text[i] == ')' && depth_ > 0) {
        --depth_;
      }
    }
  }
  bool too_deep() const noexcept { return most_ > kMaxParenDepth; }

private:
  int depth_ = 0, most_ = 0;
};

inline bool parens_too_deep(std::string_view text) noexcept {
  ParenDepth depth;
  depth.scan(text.data(), text.size());
  return depth.too_deep();
}

// Read in slices, stopping once too deep: no copy of a whole string.
inline bool parens_too_deep(v8::Isolate* isolate, v8::Local<v8::String> text) {
  ParenDepth depth;
  for_each_slice(isolate, text, [&](const auto* units, size_t n) {
    depth.scan(units, n);
    return !depth.too_deep();
  });
  return depth.too_deep();
}

}  // namespace phost::v8rt
