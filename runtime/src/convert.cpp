#include "convert.hpp"

#include <phost/value.hpp>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-date.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-typed-array.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <type_traits>
#include <vector>

namespace phost::v8rt {
namespace {

constexpr double kMaxSafe = 9007199254740992.0;  // 2^53

v8::Local<v8::String> v8_string(v8::Isolate* isolate, std::string_view s,
                                v8::NewStringType type = v8::NewStringType::kNormal) {
  if (s.size() > static_cast<size_t>(v8::String::kMaxLength))
    throw ConversionError(413, "string of " + std::to_string(s.size()) + " bytes is longer than V8 allows");
  v8::Local<v8::String> out;
  if (!v8::String::NewFromUtf8(isolate, s.data(), type, static_cast<int>(s.size())).ToLocal(&out))
    throw ConversionError(413, "string too long for V8");
  return out;
}

v8::Local<v8::Value> to_v8_at(v8::Isolate* isolate, v8::Local<v8::Context> context, const phost_value* v,
                              int depth) {
  if (depth > kMaxDepth) throw ConversionError(413, "value nests deeper than " + std::to_string(kMaxDepth));
  const phost_api& a = api();
  switch (a.value_kind(v)) {
    case PHOST_NULL: return v8::Null(isolate);
    case PHOST_BOOL: return v8::Boolean::New(isolate, View(v).as_bool());
    case PHOST_INT: {
      const int64_t i = View(v).as_int();
      if (i >= -int64_t(kMaxSafe) && i <= int64_t(kMaxSafe)) return v8::Number::New(isolate, double(i));
      return v8::BigInt::New(isolate, i);
    }
    case PHOST_DOUBLE: return v8::Number::New(isolate, View(v).as_double());
    case PHOST_STRING: return v8_string(isolate, View(v).as_string());
    case PHOST_BYTES: {
      const std::string_view bytes = View(v).as_string();
      auto buffer = v8::ArrayBuffer::New(isolate, bytes.size());
      if (!bytes.empty()) std::memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
      return v8::Uint8Array::New(buffer, 0, bytes.size());
    }
    case PHOST_ARRAY: {
      const size_t n = a.value_len(v);
      v8::Local<v8::Value> small[16];
      std::vector<v8::Local<v8::Value>> large(n > 16 ? n : 0);
      v8::Local<v8::Value>* items = n > 16 ? large.data() : small;
      for (size_t i = 0; i < n; ++i) items[i] = to_v8_at(isolate, context, a.value_at(v, i, nullptr), depth + 1);
      return v8::Array::New(isolate, items, n);
    }
    case PHOST_OBJECT: {
      // Object::New + CreateDataProperty keeps fast maps (V8.md 1.8).
      auto object = v8::Object::New(isolate);
      const size_t n = a.value_len(v);
      for (size_t i = 0; i < n; ++i) {
        phost_str key{};
        const phost_value* item = a.value_at(v, i, &key);
        auto name = v8_string(isolate, to_view(key), v8::NewStringType::kInternalized);
        if (object->CreateDataProperty(context, name, to_v8_at(isolate, context, item, depth + 1)).IsNothing())
          throw ConversionError(500, "cannot set property '" + std::string(to_view(key)) + "'");
      }
      return object;
    }
    default: throw ConversionError(500, "unknown value kind");
  }
}

class FromV8 {
public:
  FromV8(v8::Isolate* isolate, v8::Local<v8::Context> context) : isolate_(isolate), context_(context) {}

  Value convert(v8::Local<v8::Value> v, int depth) {
    if (depth > kMaxDepth) fail(413, "value nests deeper than " + std::to_string(kMaxDepth));
    if (v->IsNullOrUndefined()) return Value::null();
    if (v->IsBoolean()) return Value::boolean(v->IsTrue());
    if (v->IsInt32()) return Value::integer(v.As<v8::Int32>()->Value());
    if (v->IsNumber()) return number(v.As<v8::Number>()->Value());
    if (v->IsString()) return with_utf8(v.As<v8::String>(), [](std::string_view text) { return Value::string(text); });
    if (v->IsBigInt()) {
      bool lossless = false;
      const int64_t i = v.As<v8::BigInt>()->Int64Value(&lossless);
      if (!lossless) fail(400, "BigInt does not fit in 64 bits");
      return Value::integer(i);
    }
    if (v->IsSymbol()) fail(400, "a symbol cannot be converted");
    if (v->IsFunction()) fail(400, "a function cannot be converted");
    if (v->IsArrayBufferView()) {
      auto view = v.As<v8::ArrayBufferView>();
      std::string bytes(view->ByteLength(), '\0');
      view->CopyContents(bytes.data(), bytes.size());
      return Value::bytes(bytes);
    }
    if (v->IsArrayBuffer()) {
      auto store = v.As<v8::ArrayBuffer>()->GetBackingStore();
      return Value::bytes(std::string_view(static_cast<const char*>(store->Data()), store->ByteLength()));
    }
    if (v->IsDate()) return Value::string(iso_date(v.As<v8::Date>()->ValueOf()));
    if (v->IsPromise()) fail(400, "a promise inside a value cannot be converted (await it first)");

    // The objects on the path from the root: a repeat is a cycle. depth is
    // bounded by kMaxDepth, so a fixed array holds them.
    auto object = v.As<v8::Object>();
    for (int i = 0; i < depth; ++i)
      if (ancestors_[i] == object) fail(400, "the value contains a cycle");
    ancestors_[depth] = object;
    return container(object, depth);
  }

private:
  [[noreturn]] static void fail(int32_t code, const std::string& message) { throw ConversionError(code, message); }

  // Converts a member, naming it in the error's path if it fails: the path
  // costs nothing unless something goes wrong.
  template <class Segment>
  Value member(v8::Local<v8::Value> item, int depth, Segment&& segment) {
    try {
      return convert(item, depth + 1);
    } catch (ConversionError& e) {
      e.path.insert(0, segment());
      throw;
    }
  }

  Value number(double d) {
    if (!std::isfinite(d)) fail(400, std::isnan(d) ? "NaN is not a value" : "Infinity is not a value");
    if (d == std::floor(d) && std::fabs(d) <= kMaxSafe) return Value::integer(static_cast<int64_t>(d));
    return Value::number(d);
  }

  // Short strings (keys, most values) go through a buffer on the stack;
  // a UTF-16 unit takes at most 3 UTF-8 bytes.
  template <class Use>
  std::invoke_result_t<Use, std::string_view> with_utf8(v8::Local<v8::String> s, Use&& use) {
    constexpr int kFlags = v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8;
    char small[256];
    if (s->Length() <= static_cast<int>(sizeof small / 3)) {
      const int n = s->WriteUtf8(isolate_, small, sizeof small, nullptr, kFlags);
      return use(std::string_view(small, static_cast<size_t>(n)));
    }
    std::string large(static_cast<size_t>(s->Utf8Length(isolate_)), '\0');
    s->WriteUtf8(isolate_, large.data(), static_cast<int>(large.size()), nullptr, kFlags);
    return use(std::string_view(large));
  }
  std::string utf8(v8::Local<v8::String> s) {
    return with_utf8(s, [](std::string_view text) { return std::string(text); });
  }

  static std::string iso_date(double ms) {
    if (!std::isfinite(ms)) return "Invalid Date";
    const auto seconds = static_cast<std::time_t>(std::floor(ms / 1000));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char out[96];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms - std::floor(ms / 1000) * 1000));
    return out;
  }

  v8::Local<v8::Value> checked(v8::MaybeLocal<v8::Value> maybe) {
    v8::Local<v8::Value> out;
    if (!maybe.ToLocal(&out)) throw ConversionError(500, "a getter threw while converting the value");
    return out;
  }

  Value container(v8::Local<v8::Object> object, int depth) {
    if (object->IsArray()) {
      auto array = object.As<v8::Array>();
      const uint32_t n = array->Length();
      Value out = Value::array(n);
      for (uint32_t i = 0; i < n; ++i)
        out.push(member(checked(array->Get(context_, i)), depth, [i] { return "[" + std::to_string(i) + "]"; }));
      return out;
    }
    if (object->IsSet()) {
      auto list = object.As<v8::Set>()->AsArray();
      Value out = Value::array(list->Length());
      for (uint32_t i = 0; i < list->Length(); ++i) out.push(convert(checked(list->Get(context_, i)), depth + 1));
      return out;
    }
    if (object->IsMap()) {
      auto pairs = object.As<v8::Map>()->AsArray();  // [k0, v0, k1, v1, ...]
      Value out = Value::object(pairs->Length() / 2);
      for (uint32_t i = 0; i + 1 < pairs->Length(); i += 2) {
        auto key = checked(pairs->Get(context_, i));
        if (!key->IsString() && !key->IsNumber()) fail(400, "a Map key must be a string or a number");
        const std::string name = utf8(key->ToString(context_).ToLocalChecked());
        out.set(name, member(checked(pairs->Get(context_, i + 1)), depth, [&] { return "." + name; }));
      }
      return out;
    }
    v8::Local<v8::Array> keys;
    if (!object->GetOwnPropertyNames(context_, static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS), v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys))
      throw ConversionError(500, "cannot list the properties of an object");
    const uint32_t n = keys->Length();
    Value out = Value::object(n);
    for (uint32_t i = 0; i < n; ++i) {
      auto key = checked(keys->Get(context_, i));
      auto item = checked(object->Get(context_, key));
      if (item->IsUndefined()) continue;
      with_utf8(key.As<v8::String>(), [&](std::string_view name) {
        out.set(name, member(item, depth, [&] { return "." + std::string(name); }));
        return 0;
      });
    }
    return out;
  }

  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  v8::Local<v8::Object> ancestors_[kMaxDepth + 1];
};

}  // namespace

v8::Local<v8::Value> to_v8(v8::Local<v8::Context> context, const phost_value* value) {
  return to_v8_at(context->GetIsolate(), context, value, 0);
}

phost_value* from_v8(v8::Local<v8::Context> context, v8::Local<v8::Value> value) {
  try {
    return FromV8(context->GetIsolate(), context).convert(value, 0).release();
  } catch (ConversionError& e) {
    if (e.path.empty()) throw;
    throw ConversionError(e.code, std::string(e.what()) + " at " + e.path.substr(0, 200));
  } catch (const Error& e) {  // from the ABI, e.g. a huge string
    throw ConversionError(e.code(), e.what());
  }
}

}  // namespace phost::v8rt
