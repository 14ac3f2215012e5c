// A host with the fs plugin and one root, "data", for the fs test files.
#pragma once

#include "plugin_support.hpp"

#include <string>
#include <string_view>

namespace fs_test {

struct Fs {
  // openat2 false forces the fallback sandbox (user-space checks) even where the kernel has openat2.
  explicit Fs(const plugin_test::TempDir& root, const std::string& extra = "", bool openat2 = true)
      : host(plugin_test::quiet()) {
    host.load_plugin(PHOST_FS_PLUGIN, phost::Value::from_json(R"({"roots": {"data": ")" + root.str() + R"("}, "openat2": )" +
                                                              (openat2 ? "true" : "false") + extra + "}"));
  }
  std::string json(std::string_view name, const phost::Value& args = phost::args()) {
    return plugin_test::json(host, name, args);
  }
  plugin_test::Failure error(std::string_view name, const phost::Value& args = phost::args()) {
    return plugin_test::error_of(host, name, args);
  }
  phost::Host host;
};

inline phost::Value bytes(std::string_view b) { return phost::Value::bytes(b); }

}  // namespace fs_test
