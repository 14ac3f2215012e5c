// Which processes scripts may call through Process(). Patterns are process
// names in which `*` stands for any run of characters; matching ignores case.
// With no allow list, everything but runtime.* is allowed (a script must not
// replace other scripts); an allow list replaces that default, so it may let
// runtime.* names in. A deny pattern always wins.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phost::v8rt {

class ProcessRules {
public:
  ProcessRules() : ProcessRules(std::nullopt, std::nullopt) {}
  // Throws std::invalid_argument for an empty or over-long pattern.
  ProcessRules(std::optional<std::vector<std::string>> allow, std::optional<std::vector<std::string>> deny);

  bool allows(std::string_view name) const noexcept;

private:
  std::vector<std::string> allow_;  // lower case
  std::vector<std::string> deny_;
};

}  // namespace phost::v8rt
