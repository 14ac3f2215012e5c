// What every isolate slot of a runtime shares: its options, scripts, code
// cache and watchdog, owned by the Runtime. Slots only borrow them.
#pragma once

#include "code_cache.hpp"
#include "options.hpp"
#include "script_store.hpp"
#include "task_pool.hpp"
#include "watchdog.hpp"

#include <phost/value.hpp>

namespace phost::v8rt {

struct Services {
  phost_plugin* self;
  const Options& options;
  ScriptStore& store;
  CodeCache& cache;
  Watchdog& watchdog;
  TaskPool& tasks;  // All/Any/Race

  void log(int32_t level, std::string_view message) const noexcept { api().log(self, level, to_str(message)); }
};

}  // namespace phost::v8rt
