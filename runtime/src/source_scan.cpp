#include "source_scan.hpp"

#include <algorithm>

namespace phost::v8rt {
namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool ident_part(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

unsigned byte_at(std::string_view s, size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; }

// JavaScript's non-ASCII white space and line terminators, in UTF-8: the
// length of the one at s[i], or 0. They end an identifier as a space does
// (other bytes >= 0x80 are taken for identifier characters).
size_t unicode_space(std::string_view s, size_t i) {
  const unsigned b0 = byte_at(s, i), b1 = byte_at(s, i + 1), b2 = byte_at(s, i + 2);
  if (b0 == 0xC2 && b1 == 0xA0) return 2;                                      // U+00A0
  if (b0 == 0xE1 && b1 == 0x9A && b2 == 0x80) return 3;                        // U+1680
  if (b0 == 0xE2 && b1 == 0x80 && ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF))
    return 3;                                                                  // U+2000-200A, U+2028, U+2029, U+202F
  if (b0 == 0xE2 && b1 == 0x81 && b2 == 0x9F) return 3;                        // U+205F
  if (b0 == 0xE3 && b1 == 0x80 && b2 == 0x80) return 3;                        // U+3000
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return 3;                        // U+FEFF
  return 0;
}

// \n, \r, U+2028, U+2029: what ends a // comment.
bool line_terminator(std::string_view s, size_t i) {
  return s[i] == '\n' || s[i] == '\r' ||
         (byte_at(s, i) == 0xE2 && byte_at(s, i + 1) == 0x80 && (byte_at(s, i + 2) == 0xA8 || byte_at(s, i + 2) == 0xA9));
}

bool ascii(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool reserved(std::string_view w) {
  static constexpr std::string_view kReserved[] = {
      "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete",
      "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "implements",
      "import", "in", "instanceof", "interface", "let", "new", "null", "package", "private", "protected",
      "public", "return", "static", "super", "switch", "this", "throw", "true", "try", "typeof", "var",
      "void", "while", "with", "yield", "async", "of", "get", "set"};
  return std::find(std::begin(kReserved), std::end(kReserved), w) != std::end(kReserved);
}

class Scanner {
public:
  explicit Scanner(std::string_view s) : s_(s) {}

  SourceScan run() {
    SourceScan out;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '/' && next() == '/') {
        skip_line();
      } else if (c == '/' && next() == '*') {
        skip_block_comment();
      } else if (c == '"' || c == '\'') {
        skip_string(c);
        last_significant_ = 'a';
      } else if (c == '`') {
        skip_template();
        last_significant_ = 'a';
      } else if (c == '/' && regex_allowed()) {
        skip_regex();
        last_significant_ = 'a';
      } else if (c == '{' || c == '(' || c == '[') {
        ++depth_;
        ++i_;
        last_significant_ = c;
      } else if (c == '}' || c == ')' || c == ']') {
        if (depth_ > 0) --depth_;
        ++i_;
        last_significant_ = c;
      } else if (const size_t n = unicode_space(s_, i_)) {
        i_ += n;
      } else if (ident_start(c)) {
        const std::string_view word = read_ident();
        if (depth_ == 0) top_level_word(word, out);
        last_word_ = word;
        last_significant_ = 'a';
      } else {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          last_significant_ = c;
          last_word_ = {};
        }
        ++i_;
      }
    }
    std::sort(out.names.begin(), out.names.end());
    out.names.erase(std::unique(out.names.begin(), out.names.end()), out.names.end());
    return out;
  }

private:
  char next() const { return i_ + 1 < s_.size() ? s_[i_ + 1] : '\0'; }

  void skip_line() {
    while (i_ < s_.size() && !line_terminator(s_, i_)) ++i_;
  }
  void skip_block_comment() {
    const size_t end = s_.find("*/", i_ + 2);
    i_ = end == std::string_view::npos ? s_.size() : end + 2;
  }
  void skip_string(char quote) {
    for (++i_; i_ < s_.size() && s_[i_] != quote && s_[i_] != '\n'; ++i_)
      if (s_[i_] == '\\') ++i_;
    ++i_;
  }
  void skip_template() {
    // Nested ${} blocks are skipped as code of their own depth.
    int braces = 0;
    for (++i_; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (c == '\\') {
        ++i_;
      } else if (c == '`' && braces == 0) {
        ++i_;
        return;
      } else if (c == '$' && next() == '{') {
        ++braces;
        ++i_;
      } else if (c == '}' && braces > 0) {
        --braces;
      }
    }
  }
  bool regex_allowed() const {
    // After an operand a slash divides; after punctuation or a keyword it starts a regex.
    if (last_significant_ == 'a') {
      static constexpr std::string_view kKeywords[] = {"return", "typeof", "case", "do", "else", "in",
                                                       "instanceof", "new", "delete", "void", "throw"};
      return std::find(std::begin(kKeywords), std::end(kKeywords), last_word_) != std::end(kKeywords);
    }
    return last_significant_ != ')' && last_significant_ != ']' && last_significant_ != '}';
  }
  void skip_regex() {
    bool in_class = false;
    for (++i_; i_ < s_.size() && s_[i_] != '\n'; ++i_) {
      const char c = s_[i_];
      if (c == '\\') {
        ++i_;
      } else if (c == '[') {
        in_class = true;
      } else if (c == ']') {
        in_class = false;
      } else if (c == '/' && !in_class) {
        ++i_;
        break;
      }
    }
    while (i_ < s_.size() && ident_part(s_[i_])) ++i_;  // flags
  }
  std::string_view read_ident() {
    const size_t start = i_;
    while (i_ < s_.size() && ident_part(s_[i_]) && !unicode_space(s_, i_)) ++i_;
    return s_.substr(start, i_ - start);
  }
  void skip_space_and_comments() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i_;
      } else if (const size_t n = unicode_space(s_, i_)) {
        i_ += n;
      } else if (c == '/' && next() == '/') {
        skip_line();
      } else if (c == '/' && next() == '*') {
        skip_block_comment();
      } else {
        return;
      }
    }
  }
  std::string_view peek_ident() {
    skip_space_and_comments();
    if (i_ < s_.size() && s_[i_] == '*') {  // function* name
      ++i_;
      skip_space_and_comments();
    }
    return i_ < s_.size() && ident_start(s_[i_]) && !unicode_space(s_, i_) ? read_ident() : std::string_view();
  }

  void top_level_word(std::string_view word, SourceScan& out) {
    const bool statement_start = last_significant_ == ';' || last_significant_ == '}' ||
                                 last_significant_ == '{' || last_significant_ == '\0' ||
                                 last_word_ == "export" || last_word_ == "async" || last_word_ == "default";
    if (word == "function" || word == "class" || word == "const" || word == "let" || word == "var") {
      // Only ASCII names: a process name (scripts.<id>.<Method>) cannot call any other, and a
      // misread one (inside a regex the scan took for a division, say) must not reach the epilogue.
      if (const auto name = peek_ident(); !name.empty() && !reserved(name) && ascii(name)) out.names.emplace_back(name);
    } else if ((word == "import" || word == "export") && statement_start) {
      skip_space_and_comments();
      const char c = i_ < s_.size() ? s_[i_] : '\0';
      if (word == "export" || (c != '(' && c != '.')) out.module = true;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
  char last_significant_ = '\0';
  std::string_view last_word_;
};

}  // namespace

SourceScan scan_source(std::string_view source) { return Scanner(source).run(); }

std::string own_function(const std::string& name) {
  return "typeof " + name + " === 'function' && " + name + " !== globalThis[\"" + name + "\"] ? " + name + " : undefined";
}

std::string classic_epilogue(const std::vector<std::string>& names, std::string_view token_param) {
  // Returns [token, namespace]: the token tells a real end of the script from
  // a top-level return, and the namespace is made here, after the script's
  // own code, so the script never holds it. Each name is guarded (own_function).
  std::string out = "\n;return [";
  out += token_param;
  out += ", { __proto__: null";
  for (const std::string& name : names) {
    out += ",\n  ";
    out += name == "__proto__" ? "[\"__proto__\"]" : name;  // a literal `__proto__:` would set the prototype
    out += ": " + own_function(name);
  }
  out += " }];";
  return out;
}

}  // namespace phost::v8rt
