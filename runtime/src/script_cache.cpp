#include "script_cache.hpp"

#include "app_file.hpp"
#include "json_module.hpp"
#include "source_prep.hpp"
#include "v8_text.hpp"

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-script.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_set>

namespace phost::v8rt {
namespace {

// A compile input wired to the shared code cache: consumes a cached entry
// when there is one, drops it when V8 rejects it.
class CachedSource {
public:
  CachedSource(v8::Isolate* isolate, CodeCache& cache, const ScriptVersion& script, bool module)
      : cache_(cache),
        key_(script.cache_key),
        bytes_(cache.find(key_)),
        origin_(isolate, v8_string(isolate, script.file), 0, 0, false, -1, v8::Local<v8::Value>(), false, false,
                module),
        // Source takes ownership of the CachedData wrapper, not of the bytes.
        source_(v8_string(isolate, script.body), origin_,
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
  CacheKey key_;
  CacheBytes bytes_;
  v8::ScriptOrigin origin_;
  v8::ScriptCompiler::Source source_;
};

// A classic script's namespace as calls read it: the functions among the
// data properties of what its epilogue returned, on an object of our own. A
// script can reach the epilogue's token (its wrapper's argument) and return a
// namespace of its own; a proxy or a getter there would run whenever a caller
// looks up a function, outside any call of this script. Empty when ns is a proxy.
constexpr uint32_t kMaxNamespaceKeys = 1'000'000;  // 5x the most functions a test script has
v8::MaybeLocal<v8::Object> functions_of(v8::Local<v8::Context> context, v8::Local<v8::Object> ns) {
  v8::Isolate* isolate = context->GetIsolate();
  if (ns->IsProxy()) return {};
  v8::Local<v8::Array> keys;
  // An ordinary object: neither the key list nor a descriptor runs script code.
  if (!ns->GetOwnPropertyNames(context, v8::PropertyFilter::SKIP_SYMBOLS, v8::KeyConversionMode::kConvertToString)
           .ToLocal(&keys) ||
      keys->Length() > kMaxNamespaceKeys)  // a walk in C++, which no deadline stops
    return {};
  v8::Local<v8::Object> out = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  v8::Local<v8::String> value_key = v8_string(isolate, "value");
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    v8::HandleScope each(isolate);
    v8::Local<v8::Value> key, descriptor, value;
    if (!keys->Get(context, i).ToLocal(&key) || !key->IsName() ||
        !ns->GetOwnPropertyDescriptor(context, key.As<v8::Name>()).ToLocal(&descriptor) || !descriptor->IsObject() ||
        !descriptor.As<v8::Object>()->Get(context, value_key).ToLocal(&value))
      return {};
    if (value->IsFunction() && !value->IsProxy() && !out->CreateDataProperty(context, key.As<v8::Name>(), value).FromMaybe(false))
      return {};
  }
  return out;
}

// Marks a top level as running for the current scope.
class Running {
public:
  Running(std::vector<const ScriptVersion*>& running, const ScriptVersion* v) : running_(running) {
    running_.push_back(v);
  }
  ~Running() { running_.pop_back(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

private:
  std::vector<const ScriptVersion*>& running_;
};

[[noreturn]] void stopped() { throw Error(500, "stopped", PHOST_E_PROCESS); }

}  // namespace

ScriptCache::ScriptCache(v8::Isolate* isolate, const Services& services, CallStack& calls, const JsErrors& errors)
    : isolate_(isolate),
      services_(services),
      calls_(calls),
      errors_(errors),
      linker_(
          isolate,
          [this](const std::string& id, const std::string& specifier, const std::string& importer) {
            return import(id, specifier, importer);
          },
          services.options.import_aliases) {}

ScriptCache::~ScriptCache() { calls_.forget_owners(); }

CompiledRef ScriptCache::get(std::string_view id) {
  for (const ScriptVersion* r : running_)
    if (r->id == id)
      throw Error(500,
                  "script '" + std::string(id) +
                      "' was called from its own top level: its functions are ready only once the top level has run",
                  PHOST_E_PROCESS);
  if (auto it = compiled_.find(id); it != compiled_.end() && current(*it->second)) {
    CompiledRef c = it->second;
    if (!c->module.IsEmpty() && c->ns.IsEmpty()) evaluate_module(*c);
    return c;
  }
  ScriptRef script = services_.store.find(id);
  if (!script) {
    if (auto failed = services_.store.failure(id))
      throw Error(failed->code, "script '" + std::string(id) + "' failed to load: " + failed->message, PHOST_E_PROCESS);
    throw Error(404, "no script '" + std::string(id) + "'", PHOST_E_NOT_FOUND);
  }
  CompiledRef c = compile(script);
  adopt(c);
  return c;
}

CompiledRef ScriptCache::prepare(const ScriptRef& version) {
  if (auto it = compiled_.find(version->id);
      it != compiled_.end() && it->second->script == version && current(*it->second)) {
    CompiledRef c = it->second;
    if (!c->module.IsEmpty() && c->ns.IsEmpty()) {
      Running running(running_, version.get());
      evaluate_module(*c);
    }
    return c;
  }
  return compile(version);
}

ScriptRef ScriptCache::find_script(const std::string& id) const {
  if (staged_)
    if (auto it = staged_->find(id); it != staged_->end()) return it->second;
  return services_.store.find(id);
}

void ScriptCache::adopt(CompiledRef compiled) {
  CompiledRef& slot = compiled_[compiled->script->id];
  if (slot && slot != compiled) forget(*slot);
  slot = std::move(compiled);
}

void ScriptCache::forget(const CompiledScript& c) {
  if (c.module_id) linker_.forget(c.module_id);
}

CompiledRef ScriptCache::compile(const ScriptRef& version) {
  auto c = std::make_shared<CompiledScript>();
  c->script = version;
  Running running(running_, version.get());
  const CallFrame* parent = calls_.top();
  CallStack::Scope frame(calls_, {parent ? parent->ctx : nullptr, version->id, parent ? parent->deadline_ns : 0});
  if (version->module) {
    compile_module(*c);
    evaluate_module(*c);
  } else {
    compile_classic(*c);
  }
  return c;
}

// A compile error found in the epilogue (an unterminated construct the
// epilogue ran into) is reported as V8 sees the script's own text.
static Error own_compile_error(v8::Isolate* isolate, const ScriptVersion& s, const JsErrors& errors,
                               v8::TryCatch& try_catch, const std::string& what, bool module) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  const v8::Local<v8::Message> where = try_catch.Message();
  const size_t own_lines = static_cast<size_t>(std::count(s.body.begin(), s.body.begin() + s.epilogue_at, '\n')) + 1;
  if (where.IsEmpty() || static_cast<size_t>(where->GetLineNumber(context).FromMaybe(0)) <= own_lines)
    return errors.translate(context, try_catch, what);
  v8::TryCatch alone(isolate);
  v8::ScriptOrigin origin(isolate, v8_string(isolate, s.file), 0, 0, false, -1, v8::Local<v8::Value>(), false, false,
                          module);
  v8::ScriptCompiler::Source source(v8_string(isolate, std::string_view(s.body).substr(0, s.epilogue_at)), origin);
  const bool failed = module ? v8::ScriptCompiler::CompileModule(isolate, &source).IsEmpty()
                             : v8::ScriptCompiler::CompileFunction(context, &source).IsEmpty();
  return errors.translate(context, failed && alone.HasCaught() ? alone : try_catch, what);
}

void ScriptCache::compile_classic(CompiledScript& c) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::TryCatch try_catch(isolate_);
  const ScriptVersion& s = *c.script;

  CachedSource cached(isolate_, services_.cache, s, false);
  v8::Local<v8::String> params[] = {v8_string(isolate_, kTokenParam)};
  v8::Local<v8::Function> wrapper;
  if (!v8::ScriptCompiler::CompileFunction(context, cached.source(), 1, params, 0, nullptr, cached.options())
           .ToLocal(&wrapper)) {
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    throw own_compile_error(isolate_, s, errors_, try_catch, "compiling script '" + s.id + "'", false);
  }
  calls_.own(wrapper->ScriptId(), s.id);
  const bool produce = cached.wants_fresh_cache() && cache_pays();

  // Run the top level once for this isolate; its epilogue returns [token, namespace].
  v8::Local<v8::Object> token = v8::Object::New(isolate_);
  v8::Local<v8::Value> argv[] = {token};
  v8::Local<v8::Value> returned, first, ns;
  if (!wrapper->Call(context, v8::Undefined(isolate_), 1, argv).ToLocal(&returned)) {
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    throw errors_.translate(context, try_catch, "running the top level of script '" + s.id + "'");
  }
  v8::Local<v8::Object> functions;
  if (!returned->IsArray() || !returned.As<v8::Array>()->Get(context, 0).ToLocal(&first) ||
      !first->StrictEquals(token) || !returned.As<v8::Array>()->Get(context, 1).ToLocal(&ns) || !ns->IsObject() ||
      !functions_of(context, ns.As<v8::Object>()).ToLocal(&functions)) {
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    throw Error(500, "script '" + s.id + "' uses a top-level return, which a script may not", PHOST_E_PROCESS);
  }
  if (produce) c.uncached.Reset(isolate_, wrapper);
  c.ns.Reset(isolate_, functions);
}

void ScriptCache::compile_module(CompiledScript& c) {
  v8::HandleScope scope(isolate_);
  v8::TryCatch try_catch(isolate_);
  const ScriptVersion& s = *c.script;
  CachedSource cached(isolate_, services_.cache, s, true);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, cached.source(), cached.options()).ToLocal(&module)) {
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    throw own_compile_error(isolate_, s, errors_, try_catch, "compiling module '" + s.id + "'", true);
  }
  // A module's cache must be made before it is evaluated.
  if (cached.wants_fresh_cache() && cache_pays())
    services_.cache.store(s.cache_key, v8::ScriptCompiler::CreateCodeCache(module->GetUnboundModuleScript()));
  linker_.add(module, s.id);
  c.module_id = module->ScriptId();
  calls_.own(c.module_id, s.id);
  c.module.Reset(isolate_, module);
}

// A .json import: the file under the app's scripts/ folder, read and parsed
// now (each importing module gets its own copy of the value).
v8::Local<v8::Module> ScriptCache::json_import(const std::string& specifier, const ScriptVersion* from,
                                               const std::function<Error(const std::string&)>& cannot) {
  const std::string path = json_module_path(from ? from->file : std::string(), specifier, services_.options.import_aliases);
  if (path.empty()) throw cannot("a .json import is a path inside the app's scripts/ folder");
  if (services_.options.app_dir.empty()) throw cannot("there is no app_dir to read it from");
  const auto root = services_.options.app_dir / "scripts";
  std::error_code ec;
  const auto file = std::filesystem::weakly_canonical(root / path, ec);
  const auto inside = file.lexically_relative(std::filesystem::weakly_canonical(root, ec));
  if (ec || inside.empty() || *inside.begin() == "..") throw cannot("scripts/" + path + " leaves the scripts folder");
  std::string text;
  switch (read_app_file(file, services_.options.max_value_bytes, text, ec)) {
    case AppFileRead::ok: break;
    case AppFileRead::missing: throw cannot("no file scripts/" + path);
    case AppFileRead::too_large: throw cannot("scripts/" + path + " is larger than max_value_mb");
    case AppFileRead::unreadable: throw cannot("scripts/" + path + " cannot be read");
  }
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Module> module;
  if (!json_module(context, "scripts/" + path, text).ToLocal(&module)) {
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    throw cannot("scripts/" + path + ": " + std::string(errors_.translate(context, try_catch, "").what()));
  }
  return module;
}

// Links and evaluates a compiled module (and what it imports) once.
void ScriptCache::evaluate_module(CompiledScript& c) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Module> module = c.module.Get(isolate_);
  const std::string& id = c.script->id;
  auto failed = [&](const std::string& what) -> Error {
    if (compiled_.count(id) && compiled_[id].get() == &c) {
      forget(c);
      compiled_.erase(id);
    }
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    if (try_catch.HasCaught()) return errors_.translate(context, try_catch, what);
    return Error(500, what + ": failed", PHOST_E_PROCESS);
  };
  if (module->GetStatus() == v8::Module::kUninstantiated) {
    c.imports.clear();
    linking_.push_back(&c);
    const bool linked = linker_.instantiate(context, module);
    linking_.pop_back();
    if (!linked) throw failed("linking module '" + id + "'");
  }
  if (module->GetStatus() == v8::Module::kInstantiated) {
    v8::Local<v8::Value> result;
    if (!module->Evaluate(context).ToLocal(&result)) throw failed("evaluating module '" + id + "'");
    // No event loop: whatever settles a top-level await is a microtask.
    calls_.run_jobs(isolate_);
    if (isolate_->IsExecutionTerminating()) stopped();
    if (result->IsPromise() && result.As<v8::Promise>()->State() == v8::Promise::kPending)
      throw Error(500, "module '" + id + "' has a top-level await that never settled", PHOST_E_PROCESS);
  }
  if (module->GetStatus() == v8::Module::kErrored) {
    isolate_->ThrowException(module->GetException());
    throw failed("evaluating module '" + id + "'");
  }
  if (c.ns.IsEmpty()) {
    c.ns.Reset(isolate_, module->GetModuleNamespace().As<v8::Object>());
    if (v8::Local<v8::Object> functions = linker_.functions(module); !functions.IsEmpty())
      c.functions.Reset(isolate_, functions);
  }
}

// " (at file:line:col)" of the first quoted occurrence of specifier in the
// importer's source: V8 gives no position for a failed resolve.
static std::string where_imported(const ScriptVersion* importer, const std::string& specifier) {
  if (!importer) return {};
  for (const char quote : {'\'', '"'}) {
    const size_t at = importer->source.find(quote + specifier + quote);
    if (at == std::string::npos) continue;
    const std::string_view before = std::string_view(importer->source).substr(0, at);
    const size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
    const size_t line_start = before.rfind('\n');
    const size_t column = at - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    return " (at " + importer->file + ":" + std::to_string(line) + ":" + std::to_string(column) + ")";
  }
  return {};
}

v8::Local<v8::Module> ScriptCache::import(const std::string& wanted, const std::string& specifier,
                                          const std::string& importer) {
  const ScriptVersion* from = nullptr;
  for (CompiledScript* l : linking_)
    if (l->script->id == importer) from = l->script.get();
  auto cannot = [&](const std::string& why) {
    return Error(404, "cannot import '" + specifier + "' from '" + importer + "': " + why + where_imported(from, specifier),
                 PHOST_E_NOT_FOUND);
  };
  if (wanted == kRuntimeModuleId) return runtime_module();
  if (specifier.ends_with(".json")) return json_import(specifier, from, cannot);
  // "./lib" is lib.ts or lib.js, else lib/index.ts or lib/index.js.
  auto known = [&](const std::string& id) {
    for (CompiledScript* l : linking_)
      if (l->script->id == id) return true;
    return find_script(id) || services_.store.failure(id);
  };
  // gou reads a bare specifier that no tsconfig path maps ("excel" in
  // scripts/lib/import.ts) beside the importer (scripts/lib/excel.ts); the
  // app-relative id ("excel") is the second choice.
  std::string first = wanted;
  if (!specifier.starts_with('.') && !specifier.starts_with('/') && wanted == resolve_specifier("", specifier)) {
    const std::string beside = resolve_specifier(importer, "./" + specifier);
    if (known(beside) || known(beside + ".index")) first = beside;
  }
  const std::string id = known(first) || !known(first + ".index") ? first : first + ".index";
  // A module of the graph being linked now (import cycles, the root itself).
  for (CompiledScript* l : linking_)
    if (l->script->id == id) return l->module.Get(isolate_);
  ScriptRef script = find_script(id);
  if (!script) {
    if (auto failed = services_.store.failure(id)) throw cannot("script '" + id + "' failed to load: " + failed->message);
    throw cannot("no script '" + id + "'");
  }
  if (!script->module) throw cannot("script '" + id + "' is not an ES module");
  CompiledRef dep;
  if (auto it = compiled_.find(id); it != compiled_.end() && it->second->script == script && current(*it->second))
    dep = it->second;
  if (!dep) {
    dep = std::make_shared<CompiledScript>();
    dep->script = script;
    compile_module(*dep);
    adopt(dep);
  }
  for (CompiledScript* l : linking_)
    if (l->script->id == importer) l->imports.push_back(script);
  return dep->module.Get(isolate_);
}

bool ScriptCache::current(CompiledScript& c) {
  // Nothing superseded since c was last found current: no need to look at
  // its version or its imports (lines of their own, for each of thousands
  // of scripts, against one shared counter).
  const uint64_t epoch = services_.store.epoch();
  if (c.epoch == epoch) return true;
  if (c.script->superseded.load(std::memory_order_acquire)) return false;
  // Every module it reaches must still be the version it linked against;
  // import cycles are legal, hence the visited set.
  if (!c.imports.empty()) {
    std::unordered_set<const CompiledScript*> seen{&c};
    std::vector<const CompiledScript*> todo{&c};
    while (!todo.empty()) {
      const CompiledScript* m = todo.back();
      todo.pop_back();
      for (const ScriptRef& dep : m->imports) {
        if (dep->superseded.load(std::memory_order_acquire)) return false;
        auto it = compiled_.find(dep->id);
        if (it == compiled_.end() || it->second->script != dep) return false;
        if (seen.insert(it->second.get()).second) todo.push_back(it->second.get());
      }
    }
  }
  c.epoch = epoch;
  return true;
}

bool callable_export(v8::Local<v8::Context> context, v8::Local<v8::Value> value) {
  if (!value->IsFunction()) return false;
  // V8 does not say whether a function is a class; its source text does:
  // a class's starts with `class`, a method named class's with `class(`.
  v8::TryCatch ignore(context->GetIsolate());
  v8::Local<v8::String> source;
  if (!value.As<v8::Function>()->FunctionProtoToString(context).ToLocal(&source)) return true;
  const std::string text = utf8_prefix(context->GetIsolate(), source, 256);
  if (!text.starts_with("class")) return true;
  size_t at = 5;
  if (at < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[at]);
    if (std::isalnum(c) || c == '_' || c == '$' || c >= 0x80) return true;  // `classify`
  }
  while (at < text.size()) {  // whitespace and comments up to the class's name, `extends` or body
    if (std::isspace(static_cast<unsigned char>(text[at]))) {
      ++at;
    } else if (text.compare(at, 2, "//") == 0) {
      at = text.find('\n', at);
    } else if (text.compare(at, 2, "/*") == 0) {
      const size_t end = text.find("*/", at + 2);
      at = end == std::string::npos ? end : end + 2;
    } else {
      break;
    }
  }
  return at < text.size() && text[at] == '(';
}

ScriptFunction& ScriptCache::function(CompiledScript& c, std::string_view method) {
  if (c.last_function && c.last_method == method) return *c.last_function;
  if (auto it = c.methods.find(method); it != c.methods.end()) {
    if (!c.last_function) {  // set once: callers alternating methods do not churn it
      c.last_method = it->first;
      c.last_function = &it->second;
    }
    return it->second;
  }
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> found;
  if (!c.ns.Get(isolate_)->Get(context, v8_string(isolate_, method)).ToLocal(&found)) {
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
    throw errors_.translate(context, try_catch, "looking up " + std::string(method));
  }
  if (!found->IsFunction() && !c.functions.IsEmpty()) {
    // gou: every top-level function of a module is callable, exported or not.
    if (!ModuleLinker::function_of(context, c.functions.Get(isolate_), v8_string(isolate_, method)).ToLocal(&found)) {
      if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) stopped();
      throw errors_.translate(context, try_catch, "looking up " + std::string(method));
    }
  }
  if (!callable_export(context, found))
    throw Error(404, "script '" + c.script->id + "' has no function '" + std::string(method) + "'", PHOST_E_NOT_FOUND);
  return c.methods.emplace(std::string(method), ScriptFunction{v8::Global<v8::Function>(isolate_, found.As<v8::Function>())})
      .first->second;
}

// The globals gou's type-shim imports stand for (`import { log } from "@yao/runtime"`).
constexpr const char* kRuntimeExports[] = {
    "Process", "Exception", "console", "Context", "log", "time", "FS", "http", "Store", "Query", "$L", "All", "Any",
    "Race", "Authorized", "Eval", "Use", "atob", "btoa", "TextEncoder", "TextDecoder", "structuredClone",
    "queueMicrotask"};

v8::Local<v8::Module> ScriptCache::runtime_module() {
  if (!runtime_module_.IsEmpty()) return runtime_module_.Get(isolate_);
  std::vector<v8::Local<v8::String>> names;
  for (const char* name : kRuntimeExports) names.push_back(v8_string(isolate_, name, v8::NewStringType::kInternalized));
  auto evaluate = [](v8::Local<v8::Context> context, v8::Local<v8::Module> module) -> v8::MaybeLocal<v8::Value> {
    v8::Isolate* isolate = context->GetIsolate();
    v8::Local<v8::Object> global = context->Global();
    for (const char* name : kRuntimeExports) {
      v8::Local<v8::String> key = v8_string_or_empty(isolate, name);
      v8::Local<v8::Value> value;
      if (!global->HasRealNamedProperty(context, key).FromMaybe(false)) value = v8::Undefined(isolate);
      else if (!global->Get(context, key).ToLocal(&value)) return {};
      if (module->SetSyntheticModuleExport(isolate, key, value).IsNothing()) return {};
    }
    v8::Local<v8::Promise::Resolver> done;
    if (!v8::Promise::Resolver::New(context).ToLocal(&done) || done->Resolve(context, v8::Undefined(isolate)).IsNothing())
      return {};
    return done->GetPromise();
  };
  v8::Local<v8::Module> module = v8::Module::CreateSyntheticModule(
      isolate_, v8_string(isolate_, kRuntimeModuleId), names, evaluate);
  runtime_module_.Reset(isolate_, module);
  return module;
}

void ScriptCache::after_call(CompiledScript& c) {
  if (c.uncached.IsEmpty() || !siblings_read_cache()) return;
  services_.cache.store(c.script->cache_key, v8::ScriptCompiler::CreateCodeCacheForFunction(c.uncached.Get(isolate_)));
  c.uncached.Reset();
}

void ScriptCache::flush_code_caches() noexcept {
  try {
    v8::HandleScope scope(isolate_);
    for (auto& [id, c] : compiled_) {
      if (c->uncached.IsEmpty() || c->script->superseded.load(std::memory_order_acquire)) continue;
      services_.cache.store(c->script->cache_key,
                            v8::ScriptCompiler::CreateCodeCacheForFunction(c->uncached.Get(isolate_)));
      c->uncached.Reset();
    }
  } catch (...) {  // a cache is an optimisation: losing one is never an error
  }
}

}  // namespace phost::v8rt
