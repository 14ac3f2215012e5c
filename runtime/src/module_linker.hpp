// How ES modules of one isolate find each other: specifiers resolve to
// script ids relative to the importing script ('./util', '../catalog.js',
// 'lib/util'), and V8's resolve callback asks whoever compiles the scripts
// (ScriptCache) for the module of that id.
#pragma once

#include <v8-context.h>
#include <v8-script.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace phost::v8rt {

// "./util" imported by "orders.total" -> "orders.util"; "" when it cannot be an id.
std::string resolve_specifier(std::string_view importer_id, std::string_view specifier);

class ModuleLinker {
public:
  // Returns the module for a script id, or throws phost::Error.
  using Find = std::function<v8::Local<v8::Module>(const std::string& id, const std::string& specifier,
                                                   const std::string& importer)>;

  ModuleLinker(v8::Isolate* isolate, Find find);
  ~ModuleLinker();
  ModuleLinker(const ModuleLinker&) = delete;
  ModuleLinker& operator=(const ModuleLinker&) = delete;

  // Remembers which script a compiled module belongs to, until forget().
  void add(v8::Local<v8::Module> module, const std::string& id);
  void forget(int module_script_id);

  // Links module and what it imports; false with an exception pending.
  bool instantiate(v8::Local<v8::Context> context, v8::Local<v8::Module> module);

private:
  static v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                            v8::Local<v8::FixedArray> assertions, v8::Local<v8::Module> referrer);

  v8::Isolate* isolate_;
  Find find_;
  std::unordered_map<int, std::string> ids_;  // V8 script id of a module -> script id
};

}  // namespace phost::v8rt
