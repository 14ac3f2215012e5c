// Standard base64 with padding (Go's base64.StdEncoding), for gou's *Base64 methods.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fsplugin::base64 {

std::string encode(std::string_view data);
// nullopt: not valid padded base64. Line breaks are skipped, as Go does; other whitespace is refused.
std::optional<std::string> decode(std::string_view text);

}  // namespace fsplugin::base64
