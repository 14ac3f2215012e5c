// One isolate and its long-lived context: creation, replacement after it hit
// its heap limit, and the calls run in it. The slot owns everything tied to
// its isolate (context, compiled scripts, call stack, deadline timer); the
// pool decides which thread holds it, and only the watchdog touches it from
// outside (TerminateExecution is thread-safe).
#pragma once

#include "bridge.hpp"
#include "call_stack.hpp"
#include "convert.hpp"
#include "js_error.hpp"
#include "key_cache.hpp"
#include "parked_lock.hpp"
#include "script_cache.hpp"
#include "shape_cache.hpp"
#include "services.hpp"
#include "watchdog.hpp"

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phost::v8rt {

class IsolateSlot {
public:
  IsolateSlot(const Services& services, unsigned index);
  ~IsolateSlot();  // no call may be running
  IsolateSlot(const IsolateSlot&) = delete;
  IsolateSlot& operator=(const IsolateSlot&) = delete;

  // The slot of an isolate we created.
  static IsolateSlot& of(v8::Isolate* isolate) noexcept;

  // Lock and enter the isolate on this thread, and leave it again (the pool).
  // Between calls the thread's locker stays parked (parked_lock.hpp).
  void enter();
  void leave() noexcept;
  // Whether this isolate is the one V8 takes as this thread's current: the
  // last one it entered. V8 keeps them as a stack; running another's JS, or
  // leaving one below the top, leaves V8 on the wrong isolate (or none).
  bool on_top() const noexcept { return v8::Isolate::TryGetCurrent() == isolate_; }
  // Enter and exit again, the lock held: for a call on a slot this thread
  // already holds when another isolate was entered after it.
  void push() noexcept { isolate_->Enter(); }
  void pop() noexcept { isolate_->Exit(); }
  LockAnchor& lock_anchor() noexcept { return *lock_; }
  // The isolate must be left after this call (it hit its heap limit), not kept.
  bool must_leave() const noexcept { return out_of_memory_; }
  void log(int32_t level, std::string_view message) const noexcept { services_.log(level, message); }
  // Any thread: stops whatever runs here.
  void stop(StopReason reason) noexcept;

  // These run on the thread that holds the slot. Each runs its JS under a
  // DeadlineGuard of deadline_ns (0 = none) and ctx's cancellation, and
  // throws phost::Error.
  Value call(std::string_view id, std::string_view method, const phost_value* args, phost_call_ctx* ctx,
             int64_t deadline_ns);
  // Versions not yet published, loaded together: each is compiled and its
  // top level run under its own deadline (deadline_for(), taken as it
  // starts); a module may import another of them. Then publish(results)
  // runs while this thread still holds the slot, and the slot keeps those
  // that loaded.
  struct Loaded {
    std::shared_ptr<ScriptVersion> version;
    std::optional<Error> error;  // empty: it loaded
  };
  // failed(l) runs as soon as one fails, before the others load (they may import it).
  void load(std::vector<Loaded>& batch, phost_call_ctx* ctx, const std::function<int64_t()>& deadline_for,
            const std::function<void(const Loaded&)>& failed, const std::function<void(std::vector<Loaded>&)>& publish);
  Value stats(bool collect_garbage);

  ValueLimits value_limits() const noexcept {
    return {services_.options.max_value_items, services_.options.max_value_bytes};
  }

private:
  void create_isolate();
  void dispose_isolate() noexcept;
  template <class Body>
  auto guarded(phost_call_ctx* ctx, int64_t deadline_ns, Body&& body);
  Error stop_error(StopReason reason, const phost_call_ctx* ctx) const;
  static size_t near_heap_limit(void* data, size_t current, size_t initial);
  // A small buffer V8 could not do without was given past the heap limit.
  static void buffers_over_limit(void* data) noexcept;
  bool over_heap_limit();
  // Whatever eval made on the global object since the last drop (Bridge::drop_eval_globals).
  void drop_eval_globals() {
    if (bridge_state_.evaled) Bridge::drop_eval_globals(isolate_->GetCurrentContext(), bridge_state_);
  }
  // The callable functions of a loaded script, in order: its namespace's,
  // then a module's others.
  std::vector<std::string> exported_functions(const CompiledScript& c);

  const Services& services_;
  unsigned index_;
  CallTimer timer_;
  v8::Isolate* isolate_ = nullptr;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  std::shared_ptr<LockAnchor> lock_ = std::make_shared<LockAnchor>();
  v8::Global<v8::Context> context_;
  std::optional<v8::HandleScope> lease_scope_;  // while leased, outside every call's own scope
  v8::Local<v8::Context> entered_;               // context_, entered while leased
  std::unique_ptr<JsErrors> errors_;
  std::unique_ptr<KeyCache> keys_;
  std::unique_ptr<ShapeCache> shapes_;
  CallStack calls_;
  BridgeState bridge_state_{services_, calls_, errors_, timer_, value_limits()};
  std::unique_ptr<ScriptCache> scripts_;
  size_t heap_grants_ = 0;            // near_heap_limit raised the limit this often
  int young_large_space_ = -1;        // V8's index of its young large-object space
  std::atomic<bool> out_of_memory_{false};
};

}  // namespace phost::v8rt
