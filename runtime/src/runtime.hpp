// One runtime per host that loads the plugin: its options, scripts, code
// cache, watchdog and isolate pool, and the handlers' entry points.
#pragma once

#include "app_watcher.hpp"
#include "code_cache.hpp"
#include "delayed_calls.hpp"
#include "isolate_pool.hpp"
#include "options.hpp"
#include "script_store.hpp"
#include "services.hpp"
#include "source_prep.hpp"
#include "watchdog.hpp"

#include <phost/plugin.hpp>

namespace phost::v8rt {

class Runtime {
public:
  Runtime(phost_plugin* self, Options options);
  ~Runtime();  // stops running calls and waits for them
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const Options& options() const noexcept { return options_; }
  ScriptStore& store() noexcept { return store_; }
  DelayedCalls& delayed_calls() noexcept { return delayed_; }
  void log(int32_t level, std::string_view message) const noexcept { services_.log(level, message); }

  // The handler of the "scripts" group: scripts.<id>.<Function>(...args);
  // of the "services" group with kServicePrefix (services.<id>.<Function> is
  // the script __yao_service.<id>, as in gou). Throws phost::Error.
  Value call_script(Call& call, std::string_view id_prefix = {});

  // Compiles source and runs its top level (under ctx's deadline and the
  // load timeout), then publishes it as the current version of id. Returns
  // {id, version, module, file}. Throws phost::Error.
  Value load(std::string id, std::string source, std::string file, phost_call_ctx* ctx);
  // Loads app_dir/scripts/**/*.js together, so modules may import each other
  // in any order; returns how many loaded. A script that fails is logged and
  // remembered (a call to it gets its load error); with the strict option
  // any failure fails the whole load and nothing is published. settling (the
  // watch's reloads): a file written within the watch's settle time is left
  // as it is, its own change brings it (an editor may be half-way through it).
  size_t load_app_dir(phost_call_ctx* ctx, bool settling = false);
  // Heap and cache figures; collect_garbage runs a full GC first.
  Value stats(bool collect_garbage, phost_call_ctx* ctx);
  // Whether the calling thread keeps its isolate between its calls
  // (IsolatePool::keep); only for a call the application makes itself.
  void keep_isolate(bool on, const Call& call);

private:
  // Loads versions together in one isolate and publishes those that loaded
  // (none if all_or_nothing and one failed); each result says how it went.
  // An app's failures are remembered: a call to one gets its load error.
  void load_batch(std::vector<IsolateSlot::Loaded>& batch, phost_call_ctx* ctx, bool app,
                  bool all_or_nothing = false);
  // The watch option's reload: drops the scripts of removed files, then
  // loads the app directory again as runtime.reload does (a file that fails
  // keeps its previous version); failures are logged.
  void reload_changed(const std::vector<std::filesystem::path>& removed) noexcept;
  // The earlier of ctx's deadline and now + timeout_ms (0 = none).
  static int64_t deadline_for(const phost_call_ctx* ctx, int64_t timeout_ms) noexcept;
  // The same for a call whose deadline (0 = none) was already read.
  static int64_t deadline_for(int64_t ctx_deadline_ns, int64_t timeout_ms) noexcept;
  // A version of source, prepared for V8 (SourcePrep). Throws phost::Error.
  // ctx's deadline (or load_timeout_ms) bounds the source's preparation too.
  std::shared_ptr<ScriptVersion> make(std::string id, std::string source, std::string file, const phost_call_ctx* ctx);

  Options options_;
  CodeCache cache_;
  SourcePrep prep_;
  ScriptStore store_;
  Watchdog watchdog_;
  TaskPool tasks_;
  Services services_;
  DelayedCalls delayed_;
  IsolatePool pool_;
  std::unique_ptr<AppWatcher> watcher_;  // with the watch option; stopped first
};

}  // namespace phost::v8rt
