// phost_host: one registry, its plugins and their logs.
#pragma once

#include "call_context.hpp"
#include "fast_tls.hpp"
#include "plugin.hpp"
#include "registry.hpp"
#include "striped.hpp"

#include <phost/phost.h>

#include <spdlog/logger.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace phost {

struct Isolation;

class Host {
public:
  explicit Host(const phost_host_config& config);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  Registry& registry() noexcept { return registry_; }
  // Never reused: a ref of a destroyed host never passes for one made at its address.
  uint64_t id() const noexcept { return id_; }
  spdlog::logger& logger() noexcept { return *logger_; }
  phost_plugin& application() noexcept { return *application_; }
  // The plugin loaded last, or NULL (a worker's host loads exactly one).
  const phost_plugin* last_loaded();

  // Throws Error; see phost_load_plugin and phost_load_plugin_ex for the cases.
  void load_plugin(std::string_view path, const phost_value* config, const phost_load_options* options = nullptr);

  // Calls name with args (an array or NULL) in scope. parent: the handler
  // ctx making a nested call, or NULL. Throws Error on any failure.
  phost_value* call(phost_call_ctx* parent, const CallScope& scope, std::string_view name,
                    const phost_value* args);
  // The same through a ref of this host (process_ref.hpp): no name parsing,
  // and no registry search while the registry has not changed.
  phost_value* call(phost_call_ctx* parent, const CallScope& scope, phost_ref& ref, const phost_value* args);
  // A new ref for name. Throws Error: 400 malformed, 404 nothing takes it,
  // 503 the host is being destroyed.
  std::unique_ptr<phost_ref> lookup(std::string_view name);

  std::shared_ptr<spdlog::logger> make_plugin_logger(std::string_view plugin_name) const;

  // Told when a handler brings its call's deadline forward (ctx_set_deadline):
  // a worker process passes it on to its host, which supervises the call.
  using DeadlineHook = void (*)(void* data, const phost_call_ctx* ctx, int64_t deadline_ns);
  void set_deadline_hook(DeadlineHook hook, void* data) noexcept {
    deadline_hook_ = hook;
    deadline_hook_data_ = data;
  }
  void deadline_set(const phost_call_ctx* ctx, int64_t deadline_ns) const noexcept {
    if (deadline_hook_) deadline_hook_(deadline_hook_data_, ctx, deadline_ns);
  }

  // In a worker process: the process that runs a PHOST_PROCESS_SHARED_STATE
  // call instead of the plugin's own (the link to the host, which records the
  // call and sends it back), or nullptr to run it here (its host sent it).
  using SharedStateRoute = Process* (*)(void* data, const phost_call_ctx* parent, const CallScope& scope);
  void set_shared_state_route(SharedStateRoute route, void* data) noexcept {
    shared_state_route_ = route;
    shared_state_route_data_ = data;
  }

  // Why this thread must not destroy the host now, or nullptr: from inside
  // one of its calls, destruction would wait for that call forever.
  const char* cannot_destroy() const noexcept;
  bool closing() const noexcept { return closing_.load(); }

private:
  // What a call by name and a call through a ref share, after the name is
  // parsed: ref NULL resolves parsed, else ref.
  class InFlight;
  phost_value* dispatch(InFlight& counted, phost_call_ctx* parent, const CallScope& scope,
                        std::string_view name, const ProcessName& parsed, phost_ref* ref, const phost_value* args);

  // Loads a plugin into worker processes (isolated_loader.cpp).
  void load_isolated(std::string_view path, const phost_value* config, const Isolation& isolation);

  // Counts one call in flight; refuses it (throws) once destruction began.
  // A nested call is not counted: its parent's count already holds the host
  // (a ctx is valid only while its handler runs), and each count is a locked
  // instruction on every call (issue 14). The calls a thread is inside form
  // a chain through its stack.
  class InFlight {
  public:
    InFlight(Host& host, const phost_call_ctx* parent, std::string_view name);
    ~InFlight();
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

    static thread_local constinit const InFlight* innermost PHOST_FAST_TLS;
    const Host& host() const noexcept { return host_; }
    const InFlight* outer() const noexcept { return outer_; }
    size_t stripe() const noexcept { return stripe_; }
    // The process this call runs (dispatch sets it while holding it), swept as the call ends.
    void ran(const Process* process) noexcept {
      process_ = process;
      identity_ = process->identity;
    }

  private:
    Host& host_;
    const InFlight* outer_ = nullptr;
    const size_t stripe_;  // where this call counted itself
    const bool counted_;
    const Process* process_ = nullptr;
    uint64_t identity_ = 0;
  };

  const uint64_t id_;
  uint32_t max_depth_;
  spdlog::level::level_enum level_;
  std::vector<spdlog::sink_ptr> sinks_;
  std::shared_ptr<spdlog::logger> logger_;
  Registry registry_;
  std::unique_ptr<phost_plugin> application_;
  std::mutex plugins_mutex_;
  std::vector<std::unique_ptr<phost_plugin>> plugins_;  // in load order
  std::atomic<bool> closing_{false};    // set when destruction begins
  StripedCount in_flight_;  // top-level calls running
  DeadlineHook deadline_hook_ = nullptr;  // set before any call
  void* deadline_hook_data_ = nullptr;
  SharedStateRoute shared_state_route_ = nullptr;  // set before any call
  void* shared_state_route_data_ = nullptr;
};

}  // namespace phost

struct phost_host {
  explicit phost_host(const phost_host_config& config) : impl(config) {}
  phost::Host impl;
};
