#include "process_name.hpp"

#include "error.hpp"

#include <string>

namespace phost {
namespace {

bool name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '$';
}

[[noreturn]] void malformed(std::string_view name, const char* why) {
  std::string shown(name.substr(0, 80));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  throw Error(PHOST_E_INVALID_ARG, "malformed process name '" + shown + (name.size() > 80 ? "...'" : "'") +
                                       ": " + why);
}

}  // namespace

ProcessName parse_process_name(std::string_view name, char (&buffer)[kMaxNameLength]) {
  if (name.empty()) malformed(name, "empty");
  if (name.size() > kMaxNameLength) malformed(name, "longer than 256 bytes");
  size_t first_dot = std::string_view::npos, last_dot = std::string_view::npos, segments = 1;
  char previous = '.';
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (previous == '.') malformed(name, "empty segment");
      if (first_dot == std::string_view::npos) first_dot = i;
      last_dot = i;
      ++segments;
    } else if (!name_char(c)) {
      malformed(name, "only letters, digits, '_', '-', '$' and '.' are allowed");
    }
    buffer[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
    previous = c;
  }
  if (previous == '.') malformed(name, "empty segment");

  ProcessName parsed;
  parsed.lower = std::string_view(buffer, name.size());
  parsed.segments = segments;
  parsed.group = parsed.lower.substr(0, first_dot);
  if (segments >= 3) {
    parsed.id = parsed.lower.substr(first_dot + 1, last_dot - first_dot - 1);
    parsed.method = name.substr(last_dot + 1);
  }
  return parsed;
}

}  // namespace phost
