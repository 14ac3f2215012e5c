#include "gopath.hpp"

#include <vector>

namespace fsplugin::gopath {

std::string clean(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(begin, end - begin);
    if (segment == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.push_back(segment);  // ".." above a rooted path is "/"
    } else if (!segment.empty() && segment != ".") {
      parts.push_back(segment);
    }
    begin = end + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string base(std::string_view path) {
  if (path.empty()) return ".";
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return "/";
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string dir(std::string_view path) {
  const size_t slash = path.rfind('/');
  return clean(slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1));
}

std::string ext(std::string_view path) {
  for (size_t i = path.size(); i > 0 && path[i - 1] != '/'; --i)
    if (path[i - 1] == '.') return std::string(path.substr(i));
  return {};
}

bool has_meta(std::string_view pattern) { return pattern.find_first_of("*?[\\") != std::string_view::npos; }

bool well_formed(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (++i == pattern.size()) return false;  // escapes nothing
    } else if (pattern[i] == '[') {
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && (pattern[j] == ']' || pattern[j] == '-')) return false;  // an empty class, a bare '-'
      for (; j < pattern.size() && pattern[j] != ']'; ++j) {
        if (pattern[j] == '\\' && ++j == pattern.size()) return false;
        if (pattern[j] == '-' && j + 1 < pattern.size() && pattern[j + 1] == ']') return false;  // a range to nothing
      }
      if (j == pattern.size()) return false;  // never closed
      i = j;
    }
  }
  return true;
}

}  // namespace fsplugin::gopath
