// A loaded plugin: its library, its seat in the host (phost_plugin) and its
// logger. Resident until the host is destroyed.
#pragma once

#include "value.hpp"

#include <phost/plugin_api.h>

#include <memory>
#include <string>

namespace boost::dll {
class shared_library;
}
namespace spdlog {
class logger;
}

namespace phost {
class Host;
}

struct phost_plugin {
  phost_plugin(phost::Host& host, std::string path);
  ~phost_plugin();

  phost::Host& host;
  std::string path;          // "" for the application's own seat
  phost_plugin_info info{};  // as the plugin filled it
  phost::ValuePtr config;
  std::shared_ptr<spdlog::logger> logger;
  std::unique_ptr<boost::dll::shared_library> library;
};

namespace phost {
// "plugin 'fs' (/path/libfs.so)" or "the application", for messages.
std::string plugin_label(const phost_plugin* plugin);
}  // namespace phost
