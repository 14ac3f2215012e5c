#include "isolate_slot.hpp"

#include "bridge.hpp"
#include "limited_allocator.hpp"
#include "stack_limit.hpp"
#include "source_prep.hpp"
#include "v8_text.hpp"

#include <v8-container.h>

#include <v8-exception.h>
#include <v8-function.h>
#include <v8-locker.h>
#include <v8-microtask-queue.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-statistics.h>

#include <string>
#include <unordered_set>
#include <vector>

namespace phost::v8rt {
namespace {

[[noreturn]] void stopped() { throw Error(500, "stopped", PHOST_E_PROCESS); }

// After the heap limit: how often and by how much the limit is raised so
// that the call can unwind (the isolate is replaced afterwards). Bounded, so
// that a script cannot ratchet its heap up by catching its way through.
constexpr size_t kMaxHeapGrants = 3;

// import() is not offered (a script's imports are resolved and linked when it
// loads); without this callback V8 rejects it with a bare "Not supported".
v8::MaybeLocal<v8::Promise> refuse_dynamic_import(v8::Local<v8::Context> context, v8::Local<v8::Data>,
                                                  v8::Local<v8::Value>, v8::Local<v8::String> specifier,
                                                  v8::Local<v8::FixedArray>) {
  v8::Isolate* isolate = context->GetIsolate();
  const std::string message = "import('" + utf8_prefix(isolate, specifier, 200) +
                              "'): dynamic import() is not supported; use a static import at the top of a module";
  isolate->ThrowException(v8::Exception::TypeError(v8_string(isolate, message)));
  return {};
}

}  // namespace

IsolateSlot::IsolateSlot(const Services& services, unsigned index)
    : services_(services), index_(index), timer_(services.watchdog) {
  create_isolate();
}

IsolateSlot::~IsolateSlot() { dispose_isolate(); }

IsolateSlot& IsolateSlot::of(v8::Isolate* isolate) noexcept { return *static_cast<IsolateSlot*>(isolate->GetData(0)); }

void IsolateSlot::create_isolate() {
  const size_t heap_bytes = services_.options.heap_mb << 20;
  allocator_ = make_limited_allocator(heap_bytes, &IsolateSlot::buffers_over_limit, this);
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, heap_bytes);
  isolate_ = v8::Isolate::New(params);
  heap_grants_ = 0;
  out_of_memory_ = false;
  young_large_space_ = -1;
  for (size_t i = 0; i < isolate_->NumberOfHeapSpaces(); ++i)
    if (v8::HeapSpaceStatistics space; isolate_->GetHeapSpaceStatistics(&space, i) &&
                                       std::string_view(space.space_name()) == "new_large_object_space")
      young_large_space_ = static_cast<int>(i);
  lock_->replace(isolate_);
  v8::Locker lock(isolate_);
  v8::Isolate::Scope enter(isolate_);
  isolate_->SetData(0, this);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->SetCaptureStackTraceForUncaughtExceptions(true, 10);
  isolate_->AddNearHeapLimitCallback(&IsolateSlot::near_heap_limit, this);
  isolate_->SetAllowAtomicsWait(false);  // Atomics.wait would block the calling thread for good
  isolate_->SetPrepareStackTraceCallback(&Bridge::prepare_stack_trace);
  isolate_->SetModifyCodeGenerationFromStringsCallback(&Bridge::code_from_string);
  isolate_->SetHostImportModuleDynamicallyCallback(&refuse_dynamic_import);
  v8::HandleScope scope(isolate_);
  errors_ = std::make_unique<JsErrors>(isolate_);
  keys_ = std::make_unique<KeyCache>(isolate_);
  shapes_ = std::make_unique<ShapeCache>(isolate_);
  context_.Reset(isolate_, Bridge::new_context(isolate_, bridge_state_));
  scripts_ = std::make_unique<ScriptCache>(isolate_, services_, calls_, *errors_);
  timer_.attach(isolate_);
}

void IsolateSlot::dispose_isolate() noexcept {
  timer_.attach(nullptr);
  lock_->release_own();
  lock_->replace(nullptr);
  {
    v8::Locker lock(isolate_);
    v8::Isolate::Scope enter(isolate_);
    if (scripts_ && !out_of_memory_) scripts_->flush_code_caches();
    scripts_.reset();
    errors_.reset();
    keys_.reset();
    shapes_.reset();
    context_.Reset();
  }
  isolate_->Dispose();
  isolate_ = nullptr;
  allocator_.reset();
}

void IsolateSlot::enter() {
  const bool new_thread_state = lock_->lock();
  isolate_->Enter();
  if (new_thread_state) {
    // V8 keeps the limit with the thread's state, parked or not.
    uintptr_t limit = stack_limit_for_this_thread();
    if (!limit) {
      // The platform cannot tell: assume 256 KB of stack below this frame.
      char here;
      limit = reinterpret_cast<uintptr_t>(&here) - 256 * 1024;
    }
    isolate_->SetStackLimit(limit);
  }
  // One scope for the whole lease: the entered context's handle lives in it.
  lease_scope_.emplace(isolate_);
  entered_ = context_.Get(isolate_);
  entered_->Enter();
}

void IsolateSlot::leave() noexcept {
  entered_->Exit();
  entered_.Clear();
  lease_scope_.reset();
  isolate_->Exit();
  lock_->unlock(!out_of_memory_);
  if (out_of_memory_) {
    // The heap is near its limit: replace the isolate rather than trust it.
    services_.log(PHOST_LOG_WARN, "isolate " + std::to_string(index_) + " hit its heap limit; replacing it");
    dispose_isolate();
    create_isolate();
  }
}

void IsolateSlot::stop(StopReason reason) noexcept { timer_.stop(reason); }

Error IsolateSlot::stop_error(StopReason reason, const phost_call_ctx* ctx) const {
  if (out_of_memory_)
    return Error(507,
                 "script ran out of memory: heap limit of " + std::to_string(services_.options.heap_mb) +
                     " MB exceeded",
                 PHOST_E_NO_MEMORY);
  switch (reason) {
    case StopReason::cancelled:
      if (host_closing(ctx)) return Error(503, "the host is being destroyed: call stopped", PHOST_E_CANCELLED);
      return Error(499, "call cancelled", PHOST_E_CANCELLED);
    case StopReason::shutdown: return Error(503, "the script runtime is shutting down", PHOST_E_CANCELLED);
    default: return Error(408, "script timed out: deadline exceeded", PHOST_E_TIMEOUT);
  }
}

// Runs body (which takes the guard) inside a DeadlineGuard. A stopped chain
// fails with why it was stopped; the outermost guard drops any microtask a
// failed call left behind, so that it never runs in the next caller's call.
// A failed call's eval globals go at once, whichever guard: its caller may
// catch the error and go on.
template <class Body>
auto IsolateSlot::guarded(phost_call_ctx* ctx, int64_t deadline_ns, Body&& body) {
  DeadlineGuard guard(timer_, deadline_ns, ctx);
  auto is_stopped = [this] {
    return timer_.reason() != StopReason::none || out_of_memory_ || isolate_->IsExecutionTerminating();
  };
  auto drop_leftovers = [&] {
    if (guard.outermost()) {
      // A checkpoint while terminating clears the queue without running it.
      if (!isolate_->IsExecutionTerminating()) isolate_->TerminateExecution();
      isolate_->PerformMicrotaskCheckpoint();
      isolate_->CancelTerminateExecution();
    }
    if (!isolate_->IsExecutionTerminating()) drop_eval_globals();
  };
  try {
    auto result = body(guard);
    if (is_stopped()) stopped();
    return result;
  } catch (...) {
    const StopReason reason = timer_.reason();
    const bool was_stopped = is_stopped();
    drop_leftovers();
    if (!was_stopped) throw;
    Error error = stop_error(reason, ctx);
    guard.take_own_timeout();  // a task's own timeout: its caller runs on
    throw error;
  }
}

Value IsolateSlot::call(std::string_view id, std::string_view method, const phost_value* args, phost_call_ctx* ctx,
                        int64_t deadline_ns) {
  return guarded(ctx, deadline_ns, [&](const DeadlineGuard& guard) {
    v8::HandleScope scope(isolate_);
    v8::Local<v8::Context> context = isolate_->GetCurrentContext();
    drop_eval_globals();  // the caller's
    v8::TryCatch try_catch(isolate_);
    CompiledRef c = scripts_->get(id);
    ScriptFunction& f = scripts_->function(*c, method);
    v8::Local<v8::Function> fn = f.fn.Get(isolate_);

    const ValueLimits limits = value_limits();
    std::optional<CallArgs> argv;
    try {
      argv.emplace(context, args, limits, f.object_results);
    } catch (const Error& e) {
      throw Error(e.code() == 500 ? 400 : e.code(), "argument conversion failed: " + std::string(e.what()),
                  e.status() == PHOST_E_PROCESS ? PHOST_E_INVALID_ARG : e.status());
    }

    CallStack::Scope frame(calls_, {ctx, c->script->id, guard.deadline_ns()});
    std::optional<ResultReader::Fused> fused;  // the result encoded by the call itself, when it can be
    if (keys_ && limits.items && argv->through_trampoline())
      fused.emplace(keys_->reader(), context, kMaxDepth, double(limits.items - 1), double(limits.bytes));
    auto result_error = [&](const std::string& what) {
      return "result of '" + c->script->id + "." + std::string(method) + "': " + what;
    };
    v8::Local<v8::Value> result;
    if (!argv->call(context, fn, fused ? fused->function() : v8::Local<v8::Function>()).ToLocal(&result)) {
      if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
      if (!fused) throw errors_->translate(context, try_catch, "");
      ResultReader& reader = keys_->reader();
      if (fused->converting()) reader.release(context);  // what it handed over before the throw
      // The encoder's own failure (its stack overflowed) must not carry its
      // private context to a script; a getter's exception goes on.
      if (reader.own_exception(try_catch.Exception()))
        throw Error(500, result_error("cannot convert the value (its reader failed)"), PHOST_E_PROCESS);
      throw errors_->translate(context, try_catch, fused->converting() ? "converting the result" : "");
    }
    const bool promised = result->IsPromise();
    if (promised) {
      auto promise = result.As<v8::Promise>();
      // No event loop: whatever settles the promise is a microtask.
      calls_.run_jobs(isolate_);
      if (isolate_->IsExecutionTerminating()) stopped();
      switch (promise->State()) {
        case v8::Promise::kPending:
          throw Error(500, "script '" + c->script->id + "." + std::string(method) +
                               "' returned a promise that never settled",
                      PHOST_E_PROCESS);
        case v8::Promise::kRejected:
          isolate_->ThrowException(promise->Result());
          throw errors_->translate(context, try_catch, "");
        case v8::Promise::kFulfilled: result = promise->Result(); break;
      }
    }
    scripts_->after_call(*c);

    Value out;
    try {
      ResultReader::Stream stream;
      const bool encoded = fused && fused->encoded(context, result, stream);
      // A function that returns plain objects gets the trampoline from its next call on.
      f.object_results = encoded || (!promised && result->IsObject() &&
                                     ResultReader::kind(result.As<v8::Object>()) <= ResultReader::kList);
      out = encoded ? from_encoded(context, stream, limits) : from_v8(context, result, limits);
    } catch (const Error& e) {
      if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
      if (try_catch.HasCaught()) throw errors_->translate(context, try_catch, "converting the result");
      throw Error(e.code(), result_error(e.what()), e.status());
    }
    // This call's eval globals go before the jobs left in the queue run: they
    // may be another script's (a callee's promise callbacks).
    drop_eval_globals();
    // Jobs queued during this call (by getters, say) run inside it, with its context.
    if (guard.outermost()) {
      calls_.run_jobs(isolate_);
      if (over_heap_limit()) out_of_memory_ = true;  // the guard fails the call with 507
    }
    if (try_catch.HasCaught() && !isolate_->IsExecutionTerminating()) try_catch.Reset();
    drop_eval_globals();  // the jobs'
    return out;
  });
}

void IsolateSlot::load(std::vector<Loaded>& batch, phost_call_ctx* ctx, const std::function<int64_t()>& deadline_for,
                       const std::function<void(const Loaded&)>& failed,
                       const std::function<void(std::vector<Loaded>&)>& publish) {
  StringMap<ScriptRef> staged;
  for (const Loaded& l : batch) staged.emplace(l.version->id, l.version);
  scripts_->stage(&staged);
  struct Unstage {
    ScriptCache& scripts;
    ~Unstage() { scripts.stage(nullptr); }
  } unstage{*scripts_};

  std::vector<CompiledRef> compiled(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::shared_ptr<ScriptVersion>& version = batch[i].version;
    try {
      compiled[i] = guarded(ctx, deadline_for(), [&](const DeadlineGuard& guard) {
        v8::HandleScope scope(isolate_);
        CallStack::Scope frame(calls_, {ctx, version->id, guard.deadline_ns()});
        drop_eval_globals();
        CompiledRef c = scripts_->prepare(version);
        if (guard.outermost()) calls_.run_jobs(isolate_);
        drop_eval_globals();
        if (isolate_->IsExecutionTerminating()) stopped();
        version->functions = exported_functions(*c);
        return c;
      });
    } catch (const Error& e) {
      batch[i].error = e;
      staged.erase(version->id);  // importers of it now fail to load too, naming it
      failed(batch[i]);
    }
  }
  publish(batch);
  for (size_t i = 0; i < batch.size(); ++i)
    if (!batch[i].error && compiled[i]) scripts_->adopt(std::move(compiled[i]));
}

std::vector<std::string> IsolateSlot::exported_functions(const CompiledScript& c) {
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  std::vector<std::string> functions;
  std::unordered_set<std::string> seen;
  for (const v8::Global<v8::Object>* from : {&c.ns, &c.functions}) {
    if (from->IsEmpty()) continue;
    v8::Local<v8::Object> object = from->Get(isolate_);
    v8::Local<v8::Array> keys;
    if (!object->GetOwnPropertyNames(context).ToLocal(&keys)) continue;
    for (uint32_t k = 0; k < keys->Length(); ++k) {
      // A namespace of many thousands is walked in C++, which no termination
      // reaches: the deadline is looked at here.
      if (timer_.reason() != StopReason::none || out_of_memory_) stopped();
      v8::Local<v8::Value> key, value;
      if (!keys->Get(context, k).ToLocal(&key) || !key->IsString() ||
          !(from == &c.ns ? object->Get(context, key) : ModuleLinker::function_of(context, object, key.As<v8::String>()))
               .ToLocal(&value) ||
          !callable_export(context, value))
        continue;
      std::string name = utf8(isolate_, key.As<v8::String>());
      if (seen.insert(name).second) functions.push_back(std::move(name));
    }
  }
  return functions;
}

Value IsolateSlot::stats(bool collect_garbage) {
  if (collect_garbage) isolate_->LowMemoryNotification();
  v8::HeapStatistics heap;
  isolate_->GetHeapStatistics(&heap);
  Value out = Value::object();
  out.set("isolate", Value::integer(index_));
  out.set("used_heap_bytes", Value::integer(static_cast<int64_t>(heap.used_heap_size())));
  out.set("total_heap_bytes", Value::integer(static_cast<int64_t>(heap.total_heap_size())));
  out.set("heap_limit_bytes", Value::integer(static_cast<int64_t>(heap.heap_size_limit())));
  out.set("compiled_scripts", Value::integer(static_cast<int64_t>(scripts_->size())));
  // Other threads whose locker is parked here (parked_lock.hpp).
  out.set("parked_threads", Value::integer(static_cast<int64_t>(lock_->parked())));
  return out;
}

// V8 lets the first large object of the young generation be of any size: a
// flattened string of 1 GB in a 64 MB heap took no collection and no
// near_heap_limit, and its call succeeded. Looked at after each call: a young
// large-object space over a quarter of the limit has the whole heap weighed.
bool IsolateSlot::over_heap_limit() {
  v8::HeapSpaceStatistics space;
  if (young_large_space_ < 0 || !isolate_->GetHeapSpaceStatistics(&space, static_cast<size_t>(young_large_space_)) ||
      space.space_used_size() <= (services_.options.heap_mb << 20) / 4)
    return false;
  v8::HeapStatistics heap;
  isolate_->GetHeapStatistics(&heap);
  return heap.used_heap_size() > heap.heap_size_limit();
}

void IsolateSlot::buffers_over_limit(void* data) noexcept {
  auto* slot = static_cast<IsolateSlot*>(data);
  slot->out_of_memory_ = true;
  if (slot->isolate_) slot->isolate_->TerminateExecution();
}

size_t IsolateSlot::near_heap_limit(void* data, size_t current, size_t initial) {
  auto* slot = static_cast<IsolateSlot*>(data);
  slot->out_of_memory_ = true;
  slot->isolate_->TerminateExecution();
  if (slot->heap_grants_ >= kMaxHeapGrants) return current;
  // Room to unwind: V8 needs a limit above the current one or it aborts. The
  // first grant is large enough for the largest single object V8 makes (a
  // string of 2^29 two-byte characters), the next ones small.
  const size_t room = slot->heap_grants_++ == 0 ? std::max<size_t>(initial, size_t{1536} << 20) : size_t{16} << 20;
  return current + room;
}

}  // namespace phost::v8rt
