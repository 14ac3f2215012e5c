// The runtime plugin's configuration, read from the config object the
// application passes when loading it.
#pragma once

#include <phost/value.hpp>

#include <cstdint>
#include <filesystem>

namespace phost::v8rt {

struct Options {
  std::filesystem::path app_dir;    // "app_dir": scripts/**/*.js are loaded from here
  unsigned isolates = 0;            // "isolates": 0 = one per core
  int64_t timeout_ms = 30000;       // "timeout_ms": per top-level call, unless the call's deadline is sooner
  size_t heap_mb = 256;             // "heap_mb": per-isolate heap limit
  std::filesystem::path cache_dir;  // "cache_dir": persist the V8 code cache here
};

// Throws phost::Error(400) naming the bad key.
Options read_options(View config);

}  // namespace phost::v8rt
