// Process names: "group.id.Method" or a plain dotted name. Group and id are
// case-insensitive; the method keeps its case (JS names are case-sensitive).
#pragma once

#include <cstddef>
#include <string_view>

namespace phost {

inline constexpr size_t kMaxNameLength = 256;

struct ProcessName {
  std::string_view lower;   // the whole name, lower-cased (in the caller's buffer)
  std::string_view group;   // first segment, lower-cased
  std::string_view id;      // segments between group and method, lower-cased
  std::string_view method;  // last segment, case kept (from the original)
  size_t segments = 0;
};

// Validates name (segments of [A-Za-z0-9_$-], at most kMaxNameLength bytes)
// and lower-cases it into buffer. Throws Error(PHOST_E_INVALID_ARG) saying why.
ProcessName parse_process_name(std::string_view name, char (&buffer)[kMaxNameLength]);

}  // namespace phost
