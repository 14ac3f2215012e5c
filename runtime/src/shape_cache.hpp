// Argument objects of a repeating key shape built by a JS function made for
// that shape, `(v0, v1) => ({"x": v0, "y": v1})`: one call instead of a
// CreateDataProperty per key (~1,300 instructions each), and the object is a
// literal's, with its fast map (Object::New(names, values) would make a
// dictionary, 35x slower for a script's hot loop over its properties).
// A shape gets its function the kCompileAfter-th time it is seen; the cache
// is bounded, and shapes beyond it are built property by property.
//
// The same for a whole call whose arguments include such objects: a function
// made for the argument list's shape builds them, calls the script's function
// and hands its result to the result encoder (ResultReader::Fused), if any:
// `(f, e, v0, v1, v2) => e(f({"x": v0, "y": v1}, v2))` (no e: no encoder), one call from C++
// instead of one per object, one for the function and one for the result.
#pragma once

#include <v8-context.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>

#include <string>
#include <string_view>
#include <unordered_map>

namespace phost::v8rt {

class ShapeCache {
public:
  static constexpr size_t kMaxKeys = 16;  // objects with more keys are built property by property

  explicit ShapeCache(v8::Isolate* isolate);  // registers itself with the isolate
  ~ShapeCache();                              // the isolate still alive and locked
  ShapeCache(const ShapeCache&) = delete;
  ShapeCache& operator=(const ShapeCache&) = delete;

  static ShapeCache* of(v8::Isolate* isolate) noexcept;

  // The builder for these keys (2 to kMaxKeys of them), or an empty handle:
  // not seen often enough yet, too many shapes, or it could not be made.
  v8::Local<v8::Function> builder(v8::Local<v8::Context> context, const std::string_view* keys, size_t n);

  // One argument of a call's shape: an object's keys (2 to kMaxKeys), or
  // none for an argument passed as it is.
  struct Argument {
    const std::string_view* keys = nullptr;
    size_t n = 0;
  };
  static constexpr size_t kMaxCallArgs = 8;
  // The caller for a call with these arguments (at most kMaxCallArgs),
  // called as caller(fn, encoder or undefined, values...) with each object's
  // values in place of it; an empty handle as for builder(). Compiled as
  // kBridgeFile, so that an error's stack ends at the script's function.
  v8::Local<v8::Function> caller(v8::Local<v8::Context> context, const Argument* args, size_t argc);

private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    unsigned seen = 0;
    v8::Global<v8::Function> fn;
  };

  // The function made for shape_ (the lookup string being built), or an
  // empty handle; due is set when this is the time to make it.
  v8::Local<v8::Function> find(Entry*& due);
  v8::Local<v8::Function> compile(Entry& e, v8::Local<v8::Context> context, const std::string& source,
                                  std::string_view file);

  v8::Isolate* isolate_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> shapes_;  // objects' and calls' (tagged apart)
  std::string shape_;  // the lookup string, kept so that building it allocates nothing
  Entry* found_ = nullptr;  // find()'s entry (stable: entries are never removed)
  Entry* last_caller_ = nullptr;  // the caller found last, for last_caller_shape_
  std::string last_caller_shape_;
};

}  // namespace phost::v8rt
