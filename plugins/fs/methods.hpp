// The fs.<root>.<Method> processes: gou's FS method set (names, argument order, result shapes)
// plus phost's own (ReadFileBytes, WriteFileBytes, List, Stat, Sandbox). plugins/fs/README.md.
#pragma once

#include "root.hpp"

#include <phost/plugin.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace fsplugin {

struct Config {
  std::map<std::string, std::unique_ptr<Root>, std::less<>> roots;  // lower-case name -> root
  int64_t max_read_bytes = int64_t{64} << 20;
};

phost::Value dispatch(const Config& config, phost::Call& call);

// "ReadFile, ReadFileBuffer, ...": every method, for descriptions and 404s.
std::string method_names();

}  // namespace fsplugin
