// One runtime per host that loads the plugin: its options, scripts, code
// cache, isolate pool and watchdog.
#pragma once

#include "code_cache.hpp"
#include "options.hpp"
#include "script_store.hpp"
#include "isolate_slot.hpp"

#include <phost/plugin.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace phost::v8rt {

class Runtime {
public:
  Runtime(phost_plugin* self, Options options);
  ~Runtime();  // stops the pool and the watchdog
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  phost_plugin* self() const noexcept { return self_; }
  const Options& options() const noexcept { return options_; }
  ScriptStore& store() noexcept { return store_; }
  CodeCache& cache() noexcept { return cache_; }
  void log(int32_t level, std::string_view message) const noexcept;

  // The handler of the "scripts" group.
  phost_status call_script(phost_call_ctx* ctx, const phost_value* args, phost_value** out) noexcept;

  // Compiles source (a syntax check on one isolate), then publishes it as
  // the current version of id. Returns {id, version, module, file}.
  Value load(std::string id, std::string source, std::string file);
  // Loads app_dir/scripts/**/*.js; returns how many. Throws on the first error.
  size_t load_app_dir();
  // Heap and cache figures; collect_garbage runs a full GC first.
  Value stats(bool collect_garbage);

  void watchdog_wake() noexcept;

  // The pool, for Lease: a free slot, preferring the one this thread used
  // last (V8 switches an isolate between threads at a cost); waits while
  // every slot is busy.
  IsolateSlot* acquire();
  void release(IsolateSlot* slot);

private:
  void watchdog_main();

  phost_plugin* self_;
  Options options_;
  ScriptStore store_;
  CodeCache cache_;
  std::vector<std::unique_ptr<IsolateSlot>> slots_;
  std::mutex pool_mutex_;
  std::condition_variable slot_freed_;
  std::vector<IsolateSlot*> free_;

  std::mutex watchdog_mutex_;
  std::condition_variable watchdog_cv_;
  bool stopping_ = false;
  std::atomic<bool> watchdog_idle_{false};
  std::thread watchdog_;
};

}  // namespace phost::v8rt
