#include "isolate_slot.hpp"

#include "bridge.hpp"
#include "limited_allocator.hpp"
#include "convert.hpp"
#include "runtime.hpp"

#include <phost/value.hpp>

#include <v8-exception.h>
#include <v8-external.h>
#include <v8-message.h>
#include <v8-microtask-queue.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-statistics.h>

#include <cstdlib>
#include <cstring>

namespace phost::v8rt {
namespace {

thread_local IsolateSlot* tls_slot = nullptr;

v8::Local<v8::String> v8_str(v8::Isolate* isolate, std::string_view s) {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal, static_cast<int>(s.size()))
      .ToLocalChecked();
}

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> v) {
  v8::String::Utf8Value text(isolate, v);
  return *text ? std::string(*text, static_cast<size_t>(text.length())) : std::string("<unprintable>");
}

// "scripts/orders/total.js" style paths resolve relative to the importing script.
std::string resolve_specifier(std::string_view referrer_id, std::string_view specifier) {
  std::vector<std::string> parts;
  auto split_into = [&parts](std::string_view text, char sep) {
    size_t start = 0;
    while (start <= text.size()) {
      const size_t end = std::min(text.find(sep, start), text.size());
      const std::string_view part = text.substr(start, end - start);
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.emplace_back(part);
      }
      start = end + 1;
    }
  };
  if (specifier.ends_with(".js")) specifier.remove_suffix(3);
  if (specifier.starts_with("./") || specifier.starts_with("../")) {
    split_into(referrer_id, '.');
    if (!parts.empty()) parts.pop_back();  // the referrer's own name
    split_into(specifier, '/');
  } else {
    if (specifier.starts_with("scripts/")) specifier.remove_prefix(8);
    split_into(specifier, specifier.find('/') != std::string_view::npos ? '/' : '.');
  }
  std::string id;
  for (const auto& p : parts) {
    if (!id.empty()) id += '.';
    for (char c : p) id += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return id;
}

// A compile input wired to the shared code cache: consumes a cached entry
// when there is one, drops it when V8 rejects it, and stores a fresh one.
class CachedSource {
public:
  CachedSource(v8::Isolate* isolate, CodeCache& cache, const ScriptVersion& script, bool module)
      : cache_(cache),
        key_(script.cache_key),
        bytes_(cache.find(key_)),
        origin_(isolate, v8_str(isolate, script.file), 0, 0, false, -1, v8::Local<v8::Value>(), false, false, module),
        // Source takes ownership of the CachedData wrapper, not of the bytes.
        source_(v8_str(isolate, script.body), origin_,
                bytes_ ? std::make_unique<v8::ScriptCompiler::CachedData>(bytes_->data(),
                                                                          static_cast<int>(bytes_->size()))
                             .release()
                       : nullptr) {}

  v8::ScriptCompiler::Source* source() { return &source_; }
  v8::ScriptCompiler::CompileOptions options() const {
    return bytes_ ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
  }
  // After a successful compile: whether a new entry should be produced.
  bool wants_fresh_cache() {
    if (!bytes_) return true;
    if (!source_.GetCachedData()->rejected) return false;
    cache_.reject(key_);
    return true;
  }

private:
  CodeCache& cache_;
  uint64_t key_;
  CacheBytes bytes_;
  v8::ScriptOrigin origin_;
  v8::ScriptCompiler::Source source_;
};

}  // namespace

// A script version compiled in this isolate: its namespace and the functions
// looked up so far.
struct IsolateSlot::Compiled {
  ScriptRef script;
  v8::Global<v8::Object> ns;
  v8::Global<v8::Module> module;
  std::vector<ScriptRef> imports;  // modules: what it linked against
  // Classic scripts compiled without a cache: the code cache is made after
  // the first call, so the functions V8 compiled lazily are in it too.
  v8::Global<v8::Function> uncached;
  uint64_t epoch = 0;              // modules: store epoch when last checked
  StringMap<v8::Global<v8::Function>> methods;
};

IsolateSlot::IsolateSlot(Runtime& runtime, unsigned index) : runtime_(runtime), index_(index) { create_isolate(); }

IsolateSlot::~IsolateSlot() { dispose_isolate(); }

IsolateSlot* IsolateSlot::current() noexcept { return tls_slot; }

bool IsolateSlot::busy() const noexcept {
  std::lock_guard lock(guard_);
  return active_;
}

void IsolateSlot::create_isolate() {
  const size_t heap_bytes = runtime_.options().heap_mb << 20;
  allocator_ = make_limited_allocator(heap_bytes);
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, heap_bytes);
  isolate_ = v8::Isolate::New(params);
  v8::Locker lock(isolate_);
  v8::Isolate::Scope enter(isolate_);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->SetCaptureStackTraceForUncaughtExceptions(true, 10);
  isolate_->AddNearHeapLimitCallback(&IsolateSlot::near_heap_limit, this);
  isolate_->SetData(0, this);
  v8::HandleScope scope(isolate_);
  forwarded_key_.Reset(isolate_, v8::Private::ForApi(isolate_, v8_str(isolate_, "phost.forwarded")));
  context_.Reset(isolate_, make_context());
}

void IsolateSlot::dispose_isolate() {
  {
    v8::Locker lock(isolate_);
    v8::Isolate::Scope enter(isolate_);
    compiled_.clear();
    module_ids_.clear();
    context_.Reset();
    forwarded_key_.Reset();
  }
  isolate_->Dispose();
  isolate_ = nullptr;
  allocator_.reset();
}

void IsolateSlot::enter() {
  locker_.emplace(isolate_);
  isolate_->Enter();
  v8::HandleScope scope(isolate_);
  context_.Get(isolate_)->Enter();  // stays entered after the scope closes
  tls_slot = this;
}

void IsolateSlot::leave() {
  tls_slot = nullptr;
  {
    v8::HandleScope scope(isolate_);
    context_.Get(isolate_)->Exit();
  }
  isolate_->Exit();
  locker_.reset();
  if (out_of_memory_) {
    // The heap is near its limit: replace the isolate rather than trust it.
    runtime_.log(PHOST_LOG_WARN, "isolate " + std::to_string(index_) + " hit its heap limit; replacing it");
    dispose_isolate();
    out_of_memory_ = false;
    create_isolate();
  }
}

v8::Local<v8::Context> IsolateSlot::make_context() {
  v8::EscapableHandleScope scope(isolate_);
  v8::Local<v8::Context> context = Bridge::new_context(isolate_, *this);
  return scope.Escape(context);
}

Outcome IsolateSlot::call(std::string_view id, std::string_view method, const phost_value* args,
                          phost_call_ctx* ctx) {
  return guarded(ctx, [&] { return call_on_stack(id, method, args, ctx); });
}

Outcome IsolateSlot::load(const ScriptRef& script) {
  return guarded(nullptr, [&] {
    Outcome error;
    return compile(script, error) ? Outcome{} : error;
  });
}

template <class Body>
Outcome IsolateSlot::guarded(phost_call_ctx* ctx, Body&& body) {
  if (!call_stack_.empty()) return body();  // nested: same isolate, same deadline

  int64_t deadline = api().clock_ns() + runtime_.options().timeout_ms * 1'000'000;
  if (ctx) {
    phost_call_info info{};
    info.struct_size = sizeof info;
    api().ctx_info(ctx, &info);
    if (info.deadline_ns && info.deadline_ns < deadline) deadline = info.deadline_ns;
  }
  {
    std::lock_guard lock(guard_);
    active_ = true;
    deadline_ns_ = deadline;
    active_ctx_ = ctx;
    stop_reason_ = PHOST_OK;
  }
  runtime_.watchdog_wake();

  Outcome outcome = body();

  phost_status stopped;
  {
    // Disarm before cancelling, so the watchdog cannot terminate again.
    std::lock_guard lock(guard_);
    active_ = false;
    active_ctx_ = nullptr;
    stopped = stop_reason_;
  }
  if (stopped != PHOST_OK || out_of_memory_ || isolate_->IsExecutionTerminating()) {
    isolate_->CancelTerminateExecution();
    if (outcome.status == PHOST_OK) api().value_release(outcome.value);
    outcome = stopped_outcome();
  }
  return outcome;  // after an out-of-memory, leave() replaces the isolate
}

Outcome IsolateSlot::stopped_outcome() {
  if (out_of_memory_)
    return Outcome::failure(PHOST_E_NO_MEMORY, 507,
                            "script ran out of memory: heap limit of " + std::to_string(runtime_.options().heap_mb) +
                                " MB exceeded");
  std::lock_guard lock(guard_);
  if (stop_reason_ == PHOST_E_CANCELLED) return Outcome::failure(PHOST_E_CANCELLED, 499, "call cancelled");
  return Outcome::failure(PHOST_E_TIMEOUT, 408, "script timed out: deadline exceeded");
}

Outcome IsolateSlot::call_on_stack(std::string_view id, std::string_view method, const phost_value* args,
                              phost_call_ctx* ctx) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::TryCatch try_catch(isolate_);

  Outcome error;
  Compiled* c = compiled(id, error);
  if (!c) return error;

  v8::Local<v8::Function> fn;
  if (auto it = c->methods.find(method); it != c->methods.end()) {
    fn = it->second.Get(isolate_);
  } else {
    v8::Local<v8::Value> found;
    if (!c->ns.Get(isolate_)->Get(context, v8_str(isolate_, method)).ToLocal(&found))
      return exception_outcome(try_catch, "looking up " + std::string(method));
    if (!found->IsFunction())
      return Outcome::failure(PHOST_E_NOT_FOUND, 404,
                              "script '" + std::string(id) + "' has no function '" + std::string(method) + "'");
    fn = found.As<v8::Function>();
    c->methods.emplace(std::string(method), v8::Global<v8::Function>(isolate_, fn));
  }

  // Arguments straight from the ABI values; the common few without a heap vector.
  const size_t argc = api().value_len(args);
  v8::Local<v8::Value> inline_argv[8];
  std::vector<v8::Local<v8::Value>> heap_argv(argc > 8 ? argc : 0);
  v8::Local<v8::Value>* argv = argc > 8 ? heap_argv.data() : inline_argv;
  try {
    for (size_t i = 0; i < argc; ++i) argv[i] = to_v8(context, api().value_at(args, i, nullptr));
  } catch (const ConversionError& e) {
    return Outcome::failure(PHOST_E_INVALID_ARG, e.code, "argument conversion failed: " + std::string(e.what()));
  }

  call_stack_.push_back(ctx);
  script_stack_.emplace_back(id);
  v8::MaybeLocal<v8::Value> maybe = fn->Call(context, v8::Undefined(isolate_), static_cast<int>(argc), argv);
  v8::Local<v8::Value> result;
  const bool ok = maybe.ToLocal(&result);
  if (ok && result->IsPromise()) {
    auto promise = result.As<v8::Promise>();
    // No event loop: whatever settles the promise is a microtask.
    isolate_->PerformMicrotaskCheckpoint();
    script_stack_.pop_back();
    call_stack_.pop_back();
    if (isolate_->IsExecutionTerminating()) return stopped_outcome();
    switch (promise->State()) {
      case v8::Promise::kPending:
        return Outcome::failure(PHOST_E_PROCESS, 500,
                                "script '" + std::string(id) + "." + std::string(method) +
                                    "' returned a promise that never settled");
      case v8::Promise::kRejected: {
        isolate_->ThrowException(promise->Result());
        return exception_outcome(try_catch, "");
      }
      case v8::Promise::kFulfilled: result = promise->Result(); break;
    }
  } else {
    if (call_stack_.size() == 1) isolate_->PerformMicrotaskCheckpoint();
    script_stack_.pop_back();
    call_stack_.pop_back();
  }
  if (!ok) return exception_outcome(try_catch, "");
  if (auto it = compiled_.find(id); it != compiled_.end() && !it->second->uncached.IsEmpty()) {
    Compiled& done = *it->second;
    runtime_.cache().store(done.script->cache_key,
                           v8::ScriptCompiler::CreateCodeCacheForFunction(done.uncached.Get(isolate_)));
    done.uncached.Reset();
  }

  try {
    Outcome outcome;
    outcome.value = from_v8(context, result);
    return outcome;
  } catch (const ConversionError& e) {
    if (try_catch.HasCaught()) return exception_outcome(try_catch, "converting the result");
    return Outcome::failure(PHOST_E_PROCESS, e.code,
                            "result of '" + std::string(id) + "." + std::string(method) + "': " + e.what());
  }
}

Outcome IsolateSlot::exception_outcome(v8::TryCatch& try_catch, std::string_view what) {
  if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) return stopped_outcome();
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::Local<v8::Value> exception = try_catch.Exception();
  int32_t code = 500;
  std::string message;
  bool forwarded = false;
  if (exception->IsObject()) {
    auto object = exception.As<v8::Object>();
    v8::Local<v8::Value> value;
    if (object->Get(context, v8_str(isolate_, "code")).ToLocal(&value) && value->IsInt32()) {
      const int32_t c = value.As<v8::Int32>()->Value();
      if (c >= 100 && c <= 599) code = c;
    }
    forwarded = object->HasPrivate(context, forwarded_key_.Get(isolate_)).FromMaybe(false);
    if (exception->IsNativeError() || forwarded) {
      if (object->Get(context, v8_str(isolate_, "message")).ToLocal(&value) && value->IsString())
        message = to_utf8(isolate_, value);
      v8::Local<v8::Value> name;
      if (!forwarded && object->Get(context, v8_str(isolate_, "name")).ToLocal(&name) && name->IsString()) {
        const std::string n = to_utf8(isolate_, name);
        if (n != "Exception") message = n + ": " + message;
      }
    }
  }
  if (message.empty() && !forwarded) message = to_utf8(isolate_, exception);
  if (!what.empty()) message = std::string(what) + ": " + message;
  // Where it was thrown, in the script's own file; a forwarded error keeps
  // the message of the process that failed.
  v8::Local<v8::Message> where = try_catch.Message();
  if (!forwarded && !where.IsEmpty()) {
    message += " (at " + to_utf8(isolate_, where->GetScriptResourceName()) + ":" +
               std::to_string(where->GetLineNumber(context).FromMaybe(0)) + ":" +
               std::to_string(where->GetStartColumn(context).FromMaybe(0) + 1) + ")";
  }
  try_catch.Reset();
  return Outcome::failure(PHOST_E_PROCESS, code, std::move(message));
}

bool IsolateSlot::still_current(const Compiled& c) {
  if (c.script->superseded.load(std::memory_order_acquire)) return false;
  if (c.imports.empty()) return true;
  for (const ScriptRef& dep : c.imports) {
    if (dep->superseded.load(std::memory_order_acquire)) return false;
    auto it = compiled_.find(dep->id);
    if (it == compiled_.end() || it->second->script != dep || !still_current(*it->second)) return false;
  }
  return true;
}

IsolateSlot::Compiled* IsolateSlot::compiled(std::string_view id, Outcome& error) {
  auto it = compiled_.find(id);
  if (it != compiled_.end()) {
    Compiled& c = *it->second;
    const uint64_t epoch = runtime_.store().module_epoch();
    const bool fresh = !c.script->superseded.load(std::memory_order_acquire) &&
                       (c.imports.empty() || c.epoch == epoch || still_current(c));
    if (fresh) {
      c.epoch = epoch;
      return c.module.IsEmpty() || module_ready(c, error) ? &c : nullptr;
    }
  }
  ScriptRef script = runtime_.store().find(id);
  if (!script) {
    error = Outcome::failure(PHOST_E_NOT_FOUND, 404, "no script '" + std::string(id) + "'");
    return nullptr;
  }
  Compiled* c = compile(script, error);
  if (c && !c->module.IsEmpty() && !module_ready(*c, error)) return nullptr;
  return c;
}

IsolateSlot::Compiled* IsolateSlot::compile(const ScriptRef& script, Outcome& error) {
  auto fresh = std::make_unique<Compiled>();
  fresh->script = script;
  fresh->epoch = runtime_.store().module_epoch();
  Compiled& c = *fresh;
  // Replacing the entry drops the old version's handles so V8 can collect it.
  auto& slot = compiled_[script->id];
  auto previous = std::move(slot);
  slot = std::move(fresh);
  if (script->module ? compile_module(c, error) : compile_classic(c, error)) return &c;
  compiled_.erase(script->id);
  return nullptr;
}

bool IsolateSlot::compile_classic(Compiled& c, Outcome& error) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::TryCatch try_catch(isolate_);
  const ScriptVersion& s = *c.script;

  CachedSource cached(isolate_, runtime_.cache(), s, false);
  v8::Local<v8::String> params[] = {v8_str(isolate_, kNamespaceParam)};
  v8::Local<v8::Function> wrapper;
  if (!v8::ScriptCompiler::CompileFunction(context, cached.source(), 1, params, 0, nullptr, cached.options())
           .ToLocal(&wrapper)) {
    error = exception_outcome(try_catch, "compiling script '" + s.id + "'");
    return false;
  }
  const bool produce = cached.wants_fresh_cache();

  // Run the top level once for this isolate; its result is the namespace.
  v8::Local<v8::Object> ns = v8::Object::New(isolate_);
  v8::Local<v8::Value> argv[] = {ns};
  v8::Local<v8::Value> returned;
  script_stack_.push_back(s.id);
  const bool ran = wrapper->Call(context, v8::Undefined(isolate_), 1, argv).ToLocal(&returned);
  script_stack_.pop_back();
  if (!ran) {
    error = exception_outcome(try_catch, "running the top level of script '" + s.id + "'");
    return false;
  }
  if (!returned->StrictEquals(ns)) {
    error = Outcome::failure(PHOST_E_PROCESS, 500,
                             "script '" + s.id + "' uses a top-level return, which a script may not");
    return false;
  }
  if (produce) c.uncached.Reset(isolate_, wrapper);
  c.ns.Reset(isolate_, ns);
  return true;
}

bool IsolateSlot::compile_module(Compiled& c, Outcome& error) {
  v8::HandleScope scope(isolate_);
  v8::TryCatch try_catch(isolate_);
  const ScriptVersion& s = *c.script;
  CachedSource cached(isolate_, runtime_.cache(), s, true);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, cached.source(), cached.options()).ToLocal(&module)) {
    error = exception_outcome(try_catch, "compiling module '" + s.id + "'");
    return false;
  }
  // A module's cache must be made before it is evaluated.
  if (cached.wants_fresh_cache())
    runtime_.cache().store(s.cache_key, v8::ScriptCompiler::CreateCodeCache(module->GetUnboundModuleScript()));
  module_ids_[module->ScriptId()] = s.id;
  c.module.Reset(isolate_, module);
  return true;
}

// Instantiates and evaluates a compiled module (and what it imports) once.
bool IsolateSlot::module_ready(Compiled& c, Outcome& error) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Module> module = c.module.Get(isolate_);
  const std::string& id = c.script->id;
  if (module->GetStatus() == v8::Module::kUninstantiated) {
    c.imports.clear();
    if (!module->InstantiateModule(context, &IsolateSlot::resolve_module).FromMaybe(false)) {
      error = try_catch.HasCaught() ? exception_outcome(try_catch, "linking module '" + id + "'")
                                    : Outcome::failure(PHOST_E_PROCESS, 500, "cannot link module '" + id + "'");
      compiled_.erase(id);
      return false;
    }
  }
  if (module->GetStatus() == v8::Module::kInstantiated) {
    script_stack_.push_back(id);
    v8::Local<v8::Value> result;
    const bool ran = module->Evaluate(context).ToLocal(&result);
    isolate_->PerformMicrotaskCheckpoint();
    script_stack_.pop_back();
    if (!ran) {
      error = exception_outcome(try_catch, "evaluating module '" + id + "'");
      compiled_.erase(id);
      return false;
    }
  }
  if (module->GetStatus() == v8::Module::kErrored) {
    isolate_->ThrowException(module->GetException());
    error = exception_outcome(try_catch, "evaluating module '" + id + "'");
    compiled_.erase(id);
    return false;
  }
  if (c.ns.IsEmpty()) c.ns.Reset(isolate_, module->GetModuleNamespace().As<v8::Object>());
  return true;
}

v8::MaybeLocal<v8::Module> IsolateSlot::resolve_module(v8::Local<v8::Context>, v8::Local<v8::String> specifier,
                                                  v8::Local<v8::FixedArray>, v8::Local<v8::Module> referrer) {
  IsolateSlot& w = *tls_slot;
  v8::Isolate* isolate = w.isolate_;
  auto referrer_id = w.module_ids_.find(referrer->ScriptId());
  const std::string spec = to_utf8(isolate, specifier);
  const std::string id = resolve_specifier(referrer_id != w.module_ids_.end() ? referrer_id->second : "", spec);
  auto fail = [&](const std::string& message) {
    isolate->ThrowException(v8::Exception::Error(v8_str(isolate, message)));
    return v8::MaybeLocal<v8::Module>();
  };
  ScriptRef script = w.runtime_.store().find(id);
  if (!script) return fail("cannot import '" + spec + "': no script '" + id + "'");
  if (!script->module) return fail("cannot import '" + spec + "': script '" + id + "' is not an ES module");
  Compiled* dep = nullptr;
  if (auto it = w.compiled_.find(id); it != w.compiled_.end() && it->second->script == script)
    dep = it->second.get();
  Outcome error;
  if (!dep && !(dep = w.compile(script, error))) return fail(error.message);
  if (referrer_id != w.module_ids_.end())
    if (auto it = w.compiled_.find(referrer_id->second); it != w.compiled_.end()) it->second->imports.push_back(script);
  return dep->module.Get(isolate);
}

Outcome IsolateSlot::stats(bool collect_garbage) {
  if (collect_garbage) isolate_->LowMemoryNotification();
  v8::HeapStatistics heap;
  isolate_->GetHeapStatistics(&heap);
  Value out = Value::object();
  out.set("isolate", Value::integer(index_));
  out.set("used_heap_bytes", Value::integer(static_cast<int64_t>(heap.used_heap_size())));
  out.set("total_heap_bytes", Value::integer(static_cast<int64_t>(heap.total_heap_size())));
  out.set("heap_limit_bytes", Value::integer(static_cast<int64_t>(heap.heap_size_limit())));
  out.set("compiled_scripts", Value::integer(static_cast<int64_t>(compiled_.size())));
  Outcome outcome;
  outcome.value = out.release();
  return outcome;
}

void IsolateSlot::check_deadline(int64_t now_ns) {
  std::lock_guard lock(guard_);
  if (!active_ || stop_reason_ != PHOST_OK) return;
  phost_status reason = PHOST_OK;
  if (now_ns >= deadline_ns_) {
    reason = PHOST_E_TIMEOUT;
  } else if (active_ctx_ && api().ctx_cancelled(active_ctx_)) {
    // ctx_cancelled is also true once the call's own deadline has passed (our
    // deadline is never later than it): read the clock again to tell which.
    reason = api().clock_ns() >= deadline_ns_ ? PHOST_E_TIMEOUT : PHOST_E_CANCELLED;
  }
  if (reason == PHOST_OK) return;
  stop_reason_ = reason;
  isolate_->TerminateExecution();  // thread-safe; the call unwinds on its own thread
}

void IsolateSlot::cancel_running_call() {
  std::lock_guard lock(guard_);
  if (!active_ || stop_reason_ != PHOST_OK) return;
  stop_reason_ = PHOST_E_CANCELLED;
  isolate_->TerminateExecution();
}

size_t IsolateSlot::near_heap_limit(void* data, size_t current, size_t) {
  auto* w = static_cast<IsolateSlot*>(data);
  w->out_of_memory_ = true;
  w->isolate_->TerminateExecution();
  // Room to unwind; the isolate is replaced after the call.
  return current * 2;
}

}  // namespace phost::v8rt
