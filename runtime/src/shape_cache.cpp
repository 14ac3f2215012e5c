#include "shape_cache.hpp"

#include "js_error.hpp"
#include "v8_text.hpp"

#include <v8-exception.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <cstdio>
#include <cstring>

namespace phost::v8rt {
namespace {

// Isolate data slot 0 is the IsolateSlot, 1 the module linker, 2 the key cache.
constexpr uint32_t kShapeCacheSlot = 3;
constexpr size_t kMaxShapes = 1024;
constexpr size_t kMaxShapeBytes = 1024;  // the keys of a shape together
// A one-off shape would pay a compile (tens of microseconds) for nothing.
constexpr unsigned kCompileAfter = 4;

// Appends keys to a lookup string, each length-prefixed so that no key can
// run into the next; false past kMaxShapeBytes.
bool append_keys(std::string& shape, const std::string_view* keys, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (keys[i].size() + shape.size() > kMaxShapeBytes) return false;
    const uint32_t size = static_cast<uint32_t>(keys[i].size());
    shape.append(reinterpret_cast<const char*>(&size), 4);
    shape.append(keys[i]);
  }
  return true;
}

// key as a JS string literal (JSON's escaping is valid JS).
void append_literal(std::string& out, std::string_view key) {
  out += '"';
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

// `{"x": v0, ["__proto__"]: v1}`, values named from first: a computed
// "__proto__" is an own property, as CreateDataProperty makes it.
void append_object(std::string& source, const std::string_view* keys, size_t n, size_t first) {
  source += '{';
  for (size_t i = 0; i < n; ++i) {
    if (i) source += ", ";
    const bool proto = keys[i] == "__proto__";
    if (proto) source += '[';
    append_literal(source, keys[i]);
    if (proto) source += ']';
    source += ": v" + std::to_string(first + i);
  }
  source += '}';
}

std::string parameters(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? ", v" : "v") + std::to_string(i);
  return out;
}

}  // namespace

ShapeCache::ShapeCache(v8::Isolate* isolate) : isolate_(isolate) { isolate_->SetData(kShapeCacheSlot, this); }

ShapeCache::~ShapeCache() { isolate_->SetData(kShapeCacheSlot, nullptr); }

ShapeCache* ShapeCache::of(v8::Isolate* isolate) noexcept {
  return static_cast<ShapeCache*>(isolate->GetData(kShapeCacheSlot));
}

v8::Local<v8::Function> ShapeCache::builder(v8::Local<v8::Context> context, const std::string_view* keys, size_t n) {
  if (n < 2 || n > kMaxKeys) return {};
  shape_ = "o";
  if (!append_keys(shape_, keys, n)) return {};
  Entry* due = nullptr;
  if (v8::Local<v8::Function> fn = find(due); !fn.IsEmpty() || !due) return fn;
  std::string source = "(function (" + parameters(n) + ") { return ";
  append_object(source, keys, n, 0);
  return compile(*due, context, source + "; })", {});
}

v8::Local<v8::Function> ShapeCache::caller(v8::Local<v8::Context> context, const Argument* args, size_t argc) {
  if (argc > kMaxCallArgs) return {};
  shape_ = "c";
  size_t values = 0;
  for (size_t i = 0; i < argc; ++i) {
    shape_ += static_cast<char>(args[i].n);  // at most kMaxKeys
    if (!append_keys(shape_, args[i].keys, args[i].n)) return {};
    values += args[i].n ? args[i].n : 1;
  }
  // A call repeats the shape of the one before it, most often: found
  // without hashing.
  if (last_caller_ && shape_ == last_caller_shape_) return last_caller_->fn.Get(isolate_);
  Entry* due = nullptr;
  if (v8::Local<v8::Function> fn = find(due); !fn.IsEmpty() || !due) {
    if (!fn.IsEmpty()) {
      last_caller_ = found_;
      last_caller_shape_ = shape_;
    }
    return fn;
  }
  std::string source = "(function (f, e, " + parameters(values) + ") { 'use strict'; const r = f(";
  size_t next = 0;
  for (size_t i = 0; i < argc; ++i) {
    if (i) source += ", ";
    if (args[i].n) {
      append_object(source, args[i].keys, args[i].n, next);
      next += args[i].n;
    } else {
      source += "v" + std::to_string(next++);
    }
  }
  return compile(*due, context, source + "); return e === undefined ? r : e(r); })", kBridgeFile);
}

v8::Local<v8::Function> ShapeCache::find(Entry*& due) {
  auto it = shapes_.find(std::string_view(shape_));
  if (it == shapes_.end()) {
    if (shapes_.size() >= kMaxShapes) return {};
    it = shapes_.emplace(shape_, Entry{}).first;
  }
  Entry& e = it->second;
  found_ = &e;
  if (!e.fn.IsEmpty()) return e.fn.Get(isolate_);
  if (++e.seen == kCompileAfter) due = &e;
  return {};
}

v8::Local<v8::Function> ShapeCache::compile(Entry& e, v8::Local<v8::Context> context, const std::string& source,
                                            std::string_view file) {
  v8::TryCatch ignore(isolate_);
  v8::Local<v8::String> text;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> fn;
  v8::ScriptOrigin origin(isolate_, v8_string(isolate_, file));
  if (!v8::String::NewFromUtf8(isolate_, source.data(), v8::NewStringType::kNormal, static_cast<int>(source.size()))
           .ToLocal(&text) ||
      !v8::Script::Compile(context, text, &origin).ToLocal(&script) || !script->Run(context).ToLocal(&fn) ||
      !fn->IsFunction())
    return {};  // termination, if that was it, stays in effect for the caller
  e.fn.Reset(isolate_, fn.As<v8::Function>());
  return fn.As<v8::Function>();
}

}  // namespace phost::v8rt
