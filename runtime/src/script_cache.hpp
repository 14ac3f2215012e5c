// The scripts compiled in one isolate. A version is compiled and its top
// level run once per isolate; calls hold the compiled script by shared_ptr,
// so a reload (even one made from inside the script) never frees what a
// running call uses. A classic script's namespace is a null-prototype object
// filled by its epilogue; a module's is its module namespace.
#pragma once

#include "call_stack.hpp"
#include "js_error.hpp"
#include "module_linker.hpp"
#include "services.hpp"

#include <boost/unordered/unordered_flat_map.hpp>
#include <v8-function.h>
#include <v8-persistent-handle.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace phost::v8rt {

// A function a script exports that can be called as a process: any but a
// class, which cannot be called without `new` (gou lists only functions).
bool callable_export(v8::Local<v8::Context> context, v8::Local<v8::Value> value);

// Maps keyed by std::string, searched by string_view without a temporary.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;
// Open addressing, keys inline: a call's lookup among thousands of scripts
// touches one slot's line instead of a bucket's and a node's. References
// into it do not survive an insertion.
template <class T>
using FlatStringMap = boost::unordered_flat_map<std::string, T, StringHash, std::equal_to<>>;

// A script's function, as calls find it.
struct ScriptFunction {
  v8::Global<v8::Function> fn;
  // Its last result was a plain object or array: its calls go through a
  // trampoline that reads the result inside the call (ResultReader::Fused),
  // whatever their arguments (calls with objects in them always do).
  bool object_results = false;
};

struct CompiledScript {
  ScriptRef script;
  v8::Global<v8::Object> ns;
  v8::Global<v8::Object> functions;  // modules: every top-level function (ModuleLinker::functions)
  v8::Global<v8::Module> module;
  int module_id = 0;               // V8's script id of the module
  std::vector<ScriptRef> imports;  // modules: the versions it linked against
  uint64_t epoch = 0;              // the store's epoch when last found current; 0: never
  // Classic scripts compiled without a cache: the code cache is made after
  // the first call (or when the isolate goes, see flush_code_caches), so the
  // functions V8 compiled lazily are in it too.
  v8::Global<v8::Function> uncached;
  StringMap<ScriptFunction> methods;  // node-based: references stay valid
  // The first function called again, found without the map's bucket and
  // node: most callers call one function of a script, again and again.
  std::string_view last_method;
  ScriptFunction* last_function = nullptr;
};
using CompiledRef = std::shared_ptr<CompiledScript>;

class ScriptCache {
public:
  ScriptCache(v8::Isolate* isolate, const Services& services, CallStack& calls, const JsErrors& errors);
  ~ScriptCache();
  ScriptCache(const ScriptCache&) = delete;
  ScriptCache& operator=(const ScriptCache&) = delete;

  // The current version of id, ready to call: compiled and its top level run
  // in this isolate on first use. Throws phost::Error (404 when there is no
  // such script, 500 when it fails to load or is still running its top level).
  CompiledRef get(std::string_view id);
  // A version not yet published: compiled and its top level run (reused when
  // already done as another's import). Throws.
  CompiledRef prepare(const ScriptRef& version);
  // Versions being loaded together (an app directory): imports find them
  // before what is published. NULL when none.
  void stage(const StringMap<ScriptRef>* staged) noexcept { staged_ = staged; }
  // Makes a prepared version the one this isolate uses for its id.
  void adopt(CompiledRef compiled);

  // A function of the namespace (valid as long as compiled); throws 404.
  ScriptFunction& function(CompiledScript& compiled, std::string_view method);
  // After a successful call: makes the code cache of a classic script once,
  // when another isolate of this process may read it.
  void after_call(CompiledScript& compiled);
  // Before the isolate goes: makes the code caches still owed to cache_dir
  // (with one isolate only the next process reads them, so they are made
  // once, here, instead of during calls). Never throws.
  void flush_code_caches() noexcept;

  size_t size() const noexcept { return compiled_.size(); }

private:
  // Whether producing a code cache pays: it costs about as much as the call
  // that triggers it, and is only ever consumed by another isolate of this
  // process or, through cache_dir, by the next process.
  bool cache_pays() const noexcept { return !services_.options.cache_dir.empty() || services_.options.isolates > 1; }
  bool siblings_read_cache() const noexcept { return services_.options.isolates > 1; }
  CompiledRef compile(const ScriptRef& version);
  void compile_classic(CompiledScript& c);
  void compile_module(CompiledScript& c);
  void evaluate_module(CompiledScript& c);
  bool current(CompiledScript& c);
  v8::Local<v8::Module> import(const std::string& id, const std::string& specifier, const std::string& importer);
  v8::Local<v8::Module> json_import(const std::string& specifier, const ScriptVersion* from,
                                    const std::function<Error(const std::string&)>& cannot);
  void forget(const CompiledScript& c);
  ScriptRef find_script(const std::string& id) const;
  v8::Local<v8::Module> runtime_module();

  v8::Isolate* isolate_;
  const Services& services_;
  CallStack& calls_;
  const JsErrors& errors_;
  ModuleLinker linker_;
  FlatStringMap<CompiledRef> compiled_;
  std::vector<const ScriptVersion*> running_;  // top levels running now, innermost last
  std::vector<CompiledScript*> linking_;       // modules being linked now
  const StringMap<ScriptRef>* staged_ = nullptr;
  v8::Global<v8::Module> runtime_module_;  // what type-shim imports get
};

}  // namespace phost::v8rt
