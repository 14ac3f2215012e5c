// How deep parentheses nest in a text. V8 10.2 compiles a regexp by
// recursion with no stack check: a pattern whose groups nest 3,000 deep
// overflowed a 512 KB stack (SIGSEGV), and 90,000 alternatives deep ran its
// compiler out of memory (an abort). Both end the process, so a regexp's
// source is refused before V8 sees it when its parentheses nest deeper than
// kMaxParenDepth: patterns given to RegExp, script files and eval'd code
// (for their regexp literals). Every '(' and ')' counts, wherever it stands:
// that over-counts (escaped ones, code, strings) but never misses a group.
#pragma once

#include <cstddef>

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

}  // namespace phost::v8rt
