#include "process_rules.hpp"

#include <stdexcept>

namespace phost::v8rt {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::vector<std::string> normalized(std::vector<std::string> patterns) {
  for (std::string& p : patterns) {
    if (p.empty() || p.size() > 256) throw std::invalid_argument("a pattern must have 1 to 256 characters");
    for (char& c : p) c = lower(c);
  }
  return patterns;
}

// Glob match with `*` only; iterative with one backtrack point, so linear-ish
// and never recursive however many stars a pattern has.
bool matches(std::string_view pattern, std::string_view name) noexcept {
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == lower(name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool any(const std::vector<std::string>& patterns, std::string_view name) noexcept {
  for (const std::string& p : patterns)
    if (matches(p, name)) return true;
  return false;
}

}  // namespace

ProcessRules::ProcessRules(std::optional<std::vector<std::string>> allow,
                           std::optional<std::vector<std::string>> deny)
    : deny_(normalized(deny.value_or(std::vector<std::string>{}))) {
  if (allow) {
    allow_ = normalized(std::move(*allow));
  } else {
    allow_ = {"*"};
    deny_.emplace_back("runtime.*");
  }
}

bool ProcessRules::allows(std::string_view name) const noexcept { return any(allow_, name) && !any(deny_, name); }

}  // namespace phost::v8rt
