// A plugin loaded into worker processes, seen from its host: its processes
// are registered in the host under the names the worker announced, and each
// call is sent to a worker. A worker serves one call chain at a time; a call
// nested in a chain that is already inside a worker goes back to that same
// worker (re-entrant, never waiting for a free one). Supervision: a worker
// that dies is replaced (with a backoff when it keeps dying), one that
// outlives a call's deadline or cancellation by the grace period, or grows
// past the memory ceiling, is killed and replaced. Linux only.
#pragma once

#include "../call_context.hpp"
#include "../error.hpp"
#include "../isolation.hpp"
#include "../value.hpp"
#include "child.hpp"
#include "state_journal.hpp"

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

struct phost_plugin;

namespace phost {
class Host;
}

namespace phost::worker {

class Pool {
public:
  Pool(Host& host, std::string plugin_path, const phost_value* config, Isolation isolation);
  ~Pool();  // stops every worker
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Starts the first worker (throws Error when the plugin does not load
  // there) and returns what it announced.
  const Ready& start();
  // Logs as the plugin from now on.
  void set_logger(std::shared_ptr<spdlog::logger> logger);

  // The user_data of a process registered for the worker's: the name the
  // worker knows it by (an alias made in the host is unknown there), or
  // empty for a group (the name as called says which member).
  struct Proxy {
    Pool* pool;
    std::string name;
    bool shared_state;  // PHOST_PROCESS_SHARED_STATE: recorded and replayed into every worker
  };
  Proxy* proxy(const Ready::Entry& entry);

  static phost_status PHOST_CALL handle(void* proxy, phost_call_ctx* ctx, const phost_value* args,
                                        phost_value** out) noexcept;
  static void PHOST_CALL unload(void* pool);

private:
  struct Active {
    std::shared_ptr<Child> child;
    uint64_t via = 0;  // the worker's call this host thread serves right now
  };

  // The worker died before it read the call: it never ran.
  struct Undelivered : Error {
    explicit Undelivered(Error e) : Error(std::move(e)) {}
  };

  std::shared_ptr<Child> spawn();
  void spawn_in_background();
  void load_new_worker() noexcept;
  std::shared_ptr<Child> lease(const phost_call_ctx* ctx);
  // Runs a proxy's call on child (leased for it, or re-entered by a nested call).
  phost_value* serve_on(std::shared_ptr<Child> child, phost_call_ctx* ctx, const Proxy& proxy, uint64_t via,
                        const phost_value* args, bool leased);
  phost_value* call_on(Child& child, phost_call_ctx* ctx, std::string_view name, uint64_t via,
                       const phost_value* args);
  void catch_up(Child& child, phost_call_ctx* ctx);
  void recorded(Child& child, std::string_view name, const phost_value* args, size_t bytes);
  void serve_nested(Child& child, phost_call_ctx* ctx, std::string frame);
  void serve_top_level(Child& child, std::string frame);
  void died(Child& child);
  void log(int32_t level, std::string_view message);
  void watch_memory();

  Host& host_;
  const std::string plugin_path_;
  const ValuePtr config_;
  const Isolation isolation_;
  std::string label_;

  std::mutex mutex_;
  std::condition_variable cv_;  // a worker became free, died or finished loading; stopping
  std::vector<std::shared_ptr<Child>> children_;
  size_t spawning_ = 0;
  // Threads loading the plugin into new workers; joined once done, or at the end.
  struct Spawner {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Spawner> spawners_;
  std::atomic<bool> abandon_spawns_{false};  // the pool is going: loads in progress stop
  uint64_t spawn_failures_ = 0;              // new workers that could not start
  std::string last_spawn_failure_;
  std::unordered_map<const phost_call_ctx*, Active> active_;  // the proxy calls in flight
  std::atomic<uint32_t> deaths_in_a_row_{0};
  int64_t last_death_ns_ = 0;
  std::string last_death_;
  bool stopping_ = false;
  Ready ready_;
  std::vector<std::unique_ptr<Proxy>> proxies_;
  StateJournal journal_;
  std::thread memory_watch_;

  std::mutex log_mutex_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace phost::worker
