// The runtime plugin's configuration, read from the config object the
// application passes when loading it. Unknown keys are refused.
#pragma once

#include "process_rules.hpp"

#include <phost/value.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace phost::v8rt {

// An import alias from an app's tsconfig.json: `@lib/*` -> `scripts/lib/*`.
struct ImportAlias {
  std::string pattern;  // at most one '*'
  std::string target;   // relative to the app directory (baseUrl)
};

struct Options {
  std::filesystem::path app_dir;    // "app_dir": scripts/**/*.js are loaded from here
  unsigned isolates = 0;            // "isolates": 0 = one per core
  int64_t timeout_ms = 30000;       // "timeout_ms": per call, unless the call's deadline is sooner; 0 = none
  int64_t load_timeout_ms = 5000;   // "load_timeout_ms": for a script's top level; 0 = none
  size_t heap_mb = 256;             // "heap_mb": per-isolate heap limit (ArrayBuffers included)
  // The most heap_mb takes: with more, an array grown by push reaches V8's
  // 2^27 elements before the heap limit, and V8 aborts the process.
  static constexpr size_t kMaxHeapMb = 512;
  std::filesystem::path cache_dir;  // "cache_dir": persist the V8 code cache here
  ProcessRules rules;               // "process_allow" / "process_deny": what scripts may call
  size_t max_value_items = 1'000'000;    // "max_value_items": items and entries per converted value
  size_t max_value_bytes = 64u << 20;    // "max_value_mb": string and byte payload per converted value
  // "max_script_mb": the largest script source. V8 compiles a whole source
  // outside the heap limit and cannot be stopped meanwhile: a megabyte of
  // dense literals ({},{},...) took 2 s and 250 MB.
  size_t max_script_bytes = 2u << 20;
  bool strict = false;              // "strict": one script that fails to load fails the app's load
  bool gou_globals = true;          // "globals": "gou" (default) or "minimal" (Process, Exception, console, Context)
  bool watch = false;               // "watch": reload app_dir's scripts when they change (inotify)
  std::vector<ImportAlias> import_aliases;  // from app_dir/tsconfig.json, not the config
};

// Throws phost::Error(400) naming the bad key.
Options read_options(View config);

}  // namespace phost::v8rt
