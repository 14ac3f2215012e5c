#include "shape_cache.hpp"

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

// The keys as one lookup string: each length-prefixed, so no key can run into the next.
bool shape_of(const std::string_view* keys, size_t n, char (&out)[kMaxShapeBytes + 4 * ShapeCache::kMaxKeys],
              size_t& len) {
  len = 0;
  for (size_t i = 0; i < n; ++i) {
    if (keys[i].size() > kMaxShapeBytes - len) return false;
    const uint32_t size = static_cast<uint32_t>(keys[i].size());
    std::memcpy(out + len, &size, 4);
    std::memcpy(out + len + 4, keys[i].data(), keys[i].size());
    len += 4 + keys[i].size();
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

}  // namespace

ShapeCache::ShapeCache(v8::Isolate* isolate) : isolate_(isolate) { isolate_->SetData(kShapeCacheSlot, this); }

ShapeCache::~ShapeCache() { isolate_->SetData(kShapeCacheSlot, nullptr); }

ShapeCache* ShapeCache::of(v8::Isolate* isolate) noexcept {
  return static_cast<ShapeCache*>(isolate->GetData(kShapeCacheSlot));
}

v8::Local<v8::Function> ShapeCache::builder(v8::Local<v8::Context> context, const std::string_view* keys, size_t n) {
  char shape[kMaxShapeBytes + 4 * kMaxKeys];
  size_t len = 0;
  if (n < 2 || n > kMaxKeys || !shape_of(keys, n, shape, len)) return {};
  auto it = shapes_.find(std::string_view(shape, len));
  if (it == shapes_.end()) {
    if (shapes_.size() >= kMaxShapes) return {};
    it = shapes_.emplace(std::string(shape, len), Entry{}).first;
  }
  Entry& e = it->second;
  if (!e.fn.IsEmpty()) return e.fn.Get(isolate_);
  if (++e.seen != kCompileAfter) return {};

  // (function (v0, v1) { return {"x": v0, ["__proto__"]: v1}; }): a computed
  // "__proto__" is an own property, as CreateDataProperty makes it.
  std::string source = "(function (";
  for (size_t i = 0; i < n; ++i) source += (i ? ", v" : "v") + std::to_string(i);
  source += ") { return {";
  for (size_t i = 0; i < n; ++i) {
    if (i) source += ", ";
    const bool proto = keys[i] == "__proto__";
    if (proto) source += '[';
    append_literal(source, keys[i]);
    if (proto) source += ']';
    source += ": v" + std::to_string(i);
  }
  source += "}; })";
  v8::TryCatch ignore(isolate_);
  v8::Local<v8::String> text;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> fn;
  if (!v8::String::NewFromUtf8(isolate_, source.data(), v8::NewStringType::kNormal, static_cast<int>(source.size()))
           .ToLocal(&text) ||
      !v8::Script::Compile(context, text).ToLocal(&script) || !script->Run(context).ToLocal(&fn) ||
      !fn->IsFunction())
    return {};  // termination, if that was it, stays in effect for the caller
  e.fn.Reset(isolate_, fn.As<v8::Function>());
  return fn.As<v8::Function>();
}

}  // namespace phost::v8rt
