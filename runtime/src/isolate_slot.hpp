// One isolate, its long-lived context and the scripts compiled in it. A
// calling thread leases a free slot and runs the call itself, under a
// v8::Locker (see Lease): handing each call to an isolate-owning thread
// cost 2-90 us per call on our VMs, several times a whole script call. A
// nested call made from JS (JS -> Process() -> scripts.*) runs in the slot
// its thread already holds. Only the watchdog touches an isolate without
// holding it, and only with TerminateExecution.
#pragma once

#include "outcome.hpp"
#include "script_store.hpp"

#include <phost/plugin_api.h>

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-locker.h>
#include <v8-persistent-handle.h>
#include <v8-script.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <optional>
#include <unordered_map>
#include <vector>

namespace phost::v8rt {

class Runtime;

// Maps keyed by std::string, searched by string_view without a temporary.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

class IsolateSlot {
public:
  IsolateSlot(Runtime& runtime, unsigned index);
  ~IsolateSlot();  // disposes the isolate; no call may be running
  IsolateSlot(const IsolateSlot&) = delete;
  IsolateSlot& operator=(const IsolateSlot&) = delete;

  // The slot this thread holds, if any.
  static IsolateSlot* current() noexcept;

  // Lock and enter the isolate and its context on this thread, and leave
  // them again. Only through Lease.
  void enter();
  void leave();

  // These run on the thread that holds the slot.
  Outcome call(std::string_view id, std::string_view method, const phost_value* args, phost_call_ctx* ctx);
  // Compiles a version about to be published (a classic script's top level
  // runs, under the deadline), so this slot needs no compile on its first call.
  Outcome load(const ScriptRef& script);
  Outcome stats(bool collect_garbage);

  // For the watchdog (any thread).
  void check_deadline(int64_t now_ns);
  // At shutdown (any thread): stops the running call, if any.
  void cancel_running_call();
  bool busy() const noexcept;

private:
  struct Compiled;
  friend class Bridge;
  friend struct BridgeCallbacks;

  void create_isolate();
  void dispose_isolate();
  v8::Local<v8::Context> make_context();

  template <class Body>
  Outcome guarded(phost_call_ctx* ctx, Body&& body);  // arms the watchdog around a top-level body
  Outcome call_on_stack(std::string_view id, std::string_view method, const phost_value* args,
                        phost_call_ctx* ctx);
  // Compiled scripts, per isolate.
  Compiled* compiled(std::string_view id, Outcome& error);
  Compiled* compile(const ScriptRef& script, Outcome& error);
  bool compile_classic(Compiled& c, Outcome& error);
  bool compile_module(Compiled& c, Outcome& error);
  bool module_ready(Compiled& c, Outcome& error);
  bool still_current(const Compiled& c);
  static v8::MaybeLocal<v8::Module> resolve_module(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                                   v8::Local<v8::FixedArray> assertions,
                                                   v8::Local<v8::Module> referrer);

  Outcome exception_outcome(v8::TryCatch& try_catch, std::string_view what);
  Outcome stopped_outcome();
  static size_t near_heap_limit(void* data, size_t current, size_t initial);

  Runtime& runtime_;
  unsigned index_;
  v8::Isolate* isolate_ = nullptr;
  std::optional<v8::Locker> locker_;  // while held
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Private> forwarded_key_;  // marks errors that came from a failed Process()
  StringMap<std::unique_ptr<Compiled>> compiled_;
  std::unordered_map<int, std::string> module_ids_;  // v8 script id -> script id
  std::vector<phost_call_ctx*> call_stack_;          // innermost last
  std::vector<std::string_view> script_stack_;       // script ids of the calls on the stack
  uint64_t calls_since_gc_ = 0;

  // Watchdog state, guarded by guard_.
  mutable std::mutex guard_;
  bool active_ = false;
  int64_t deadline_ns_ = 0;
  phost_call_ctx* active_ctx_ = nullptr;
  phost_status stop_reason_ = PHOST_OK;  // set when the watchdog terminated the call
  bool out_of_memory_ = false;           // set by near_heap_limit (holding thread)
};

class Runtime;

// Holds a slot for the current thread: the runtime's free slot (queueing
// when all are busy), or the one this thread already holds for a nested call.
class Lease {
public:
  explicit Lease(Runtime& runtime);
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  IsolateSlot* operator->() const noexcept { return slot_; }

private:
  Runtime& runtime_;
  IsolateSlot* slot_;
  bool owned_;  // false when re-using this thread's slot
};

}  // namespace phost::v8rt
