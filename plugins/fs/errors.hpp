// Errors of the fs plugin: HTTP-like codes with messages that name the call
// and the path as the caller gave it ("fs.data.ReadFile: 'a.txt' not found").
#pragma once

#include <phost/plugin.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace fsplugin {

// A path as shown in messages: control bytes (NUL among them) as '?', long ones cut, quoted.
std::string shown(std::string_view path);

// An errno as an HTTP-like code.
int32_t code_of_errno(int err) noexcept;

// Where a call is ("fs.data.ReadFile"), for its messages.
struct Scope {
  std::string where;

  [[noreturn]] void fail(int32_t code, const std::string& why) const;
  [[noreturn]] void fail_path(int32_t code, std::string_view path, const std::string& why) const;
  // what: "remove" words ENOTEMPTY for Remove.
  [[noreturn]] void fail_errno(std::string_view path, int err, std::string_view what = {}) const;
};

}  // namespace fsplugin
