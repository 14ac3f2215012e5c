// How ES modules of one isolate find each other: specifiers resolve to
// script ids relative to the importing script ('./util', '../catalog.js',
// 'lib/util'), and V8's resolve callback asks whoever compiles the scripts
// (ScriptCache) for the module of that id.
#pragma once

#include "options.hpp"

#include <v8-context.h>
#include <v8-object.h>
#include <v8-persistent-handle.h>
#include <v8-script.h>

#include <filesystem>
#include <functional>
#include <vector>
#include <string>
#include <string_view>
#include <unordered_map>

namespace phost::v8rt {

// The id of the built-in module that stands for gou's type-shim imports
// (`@yao/runtime`, `@yao/*`, `@yaoapp/*`, `@gou`, relative paths ending in
// `/yao` or `/gou`): it exports the runtime's globals.
inline constexpr std::string_view kRuntimeModuleId = "@yao/runtime";

// The object on a module's import.meta that its epilogue (source_prep.hpp)
// fills with every top-level function: callable by name, exported or not,
// and never part of the namespace other modules import.
inline constexpr const char* kModuleFunctions = "__phost_functions__";

// Whether specifier is one of gou's type-shim imports (@yao/*, @yaoapp/*,
// @yaoapps/*, @gou, .../yao, .../gou), whose names are the runtime's globals.
bool runtime_shim(std::string_view specifier);

// An app's tsconfig.json `compilerOptions.paths` (ImportAlias, options.hpp).
// Empty when there is no tsconfig.json or it has no paths; comments and
// trailing commas are allowed, as TypeScript allows them.
std::vector<ImportAlias> read_import_aliases(const std::filesystem::path& app_dir);

// "./util" imported by "orders.total" -> "orders.util" (with or without .js
// or .ts); aliases apply first; kRuntimeModuleId for a type-shim import; ""
// when it cannot be an id. A folder's id ("orders.util") stands for its
// index file too ("orders.util.index") when no script has that id.
std::string resolve_specifier(std::string_view importer_id, std::string_view specifier,
                              const std::vector<ImportAlias>& aliases = {});

// Where a .json import is, relative to the app's scripts/ folder: "./data.json"
// imported by "orders/total.ts" -> "orders/data.json"; aliases apply first.
// "" when the path leaves scripts/ or the specifier is neither relative nor
// an alias.
std::string json_module_path(std::string_view importer_file, std::string_view specifier,
                             const std::vector<ImportAlias>& aliases = {});

class ModuleLinker {
public:
  // Returns the module for a script id, or throws phost::Error.
  using Find = std::function<v8::Local<v8::Module>(const std::string& id, const std::string& specifier,
                                                   const std::string& importer)>;

  ModuleLinker(v8::Isolate* isolate, Find find, std::vector<ImportAlias> aliases);
  ~ModuleLinker();
  ModuleLinker(const ModuleLinker&) = delete;
  ModuleLinker& operator=(const ModuleLinker&) = delete;

  // Remembers which script a compiled module belongs to, until forget().
  void add(v8::Local<v8::Module> module, const std::string& id);
  void forget(int module_script_id);

  // The kModuleFunctions object of a module whose code read import.meta
  // (its epilogue does when it has functions); empty otherwise.
  v8::Local<v8::Object> functions(v8::Local<v8::Module> module) const;
  // What functions holds under name as a data property, or undefined: the
  // module's code may have put a getter there, which must not run in its
  // caller's call.
  static v8::MaybeLocal<v8::Value> function_of(v8::Local<v8::Context> context, v8::Local<v8::Object> functions,
                                               v8::Local<v8::Name> name);

  // Links module and what it imports; false with an exception pending.
  bool instantiate(v8::Local<v8::Context> context, v8::Local<v8::Module> module);

private:
  static v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                            v8::Local<v8::FixedArray> assertions, v8::Local<v8::Module> referrer);
  static void init_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module, v8::Local<v8::Object> meta);

  v8::Isolate* isolate_;
  Find find_;
  std::vector<ImportAlias> aliases_;
  std::unordered_map<int, std::string> ids_;  // V8 script id of a module -> script id
  std::unordered_map<int, v8::Global<v8::Object>> functions_;  // V8 script id -> its kModuleFunctions
};

}  // namespace phost::v8rt
