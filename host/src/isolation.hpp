// How a plugin is loaded: in the host's process (the default) or in
// supervised worker processes. Read from phost_load_options and from the
// keys "isolation", "workers", "worker_rss_mb", "worker_grace_ms",
// "worker_dir" and "worker_seccomp" of a plugin's config (taken out before the plugin sees it).
#pragma once

#include "value.hpp"

#include <phost/phost.h>

#include <cstdint>
#include <string>

namespace phost {

struct Isolation {
  bool process = false;
  uint32_t workers = 1;       // worker processes, each serving one call chain at a time
  uint64_t rss_limit_mb = 0;  // 0: no ceiling
  int64_t grace_ms = 1000;    // after a call's deadline or cancellation, before its worker is killed
  std::string directory;      // the workers' working directory; empty: the host's at load time
  bool seccomp = true;        // the workers' system call filter (worker/seccomp.hpp)
  std::string worker_key;     // the first worker_* key or "workers" the config set, if any
};

inline constexpr uint32_t kMaxWorkers = 256;

// When config (an object, or NULL) has any of the isolation keys: reads them
// into out and returns config without them; otherwise returns NULL. Throws
// Error (PHOST_E_INVALID_ARG, naming the key) on a bad value.
ValuePtr take_isolation(const phost_value* config, Isolation& out);
// Applies options (NULL: nothing) over out. Throws Error on a bad value.
void apply_load_options(const phost_load_options* options, Isolation& out);

}  // namespace phost
