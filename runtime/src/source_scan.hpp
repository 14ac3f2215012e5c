// A cheap scan of a script's top level, done once per script version: which
// names it declares (to build the classic namespace) and whether it is an ES
// module. A hand-written scan, because std::regex costs more than the compile.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace phost::v8rt {

struct SourceScan {
  std::vector<std::string> names;  // candidate top-level declarations, unique, ASCII only
  bool module = false;             // has a top-level import or export statement
};

SourceScan scan_source(std::string_view source);

// A JS expression for name's function if the script declares one, else
// undefined: `typeof` never throws for an undeclared name, and a candidate
// that is only the global of the same name is not the script's.
std::string own_function(const std::string& name);

// The epilogue appended (after a newline) to a classic script compiled as a
// function body whose one parameter is token_param: returns [token, ns],
// ns a null-prototype object of the script's own top-level functions.
std::string classic_epilogue(const std::vector<std::string>& names, std::string_view token_param);

}  // namespace phost::v8rt
