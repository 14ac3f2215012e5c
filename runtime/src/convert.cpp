#include "convert.hpp"

#include "js_error.hpp"
#include "key_cache.hpp"
#include "limited_allocator.hpp"
#include "result_reader.hpp"
#include "scratch.hpp"
#include "shape_cache.hpp"
#include "string_values.hpp"
#include "v8_text.hpp"
#include "value_list.hpp"

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-date.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-primitive-object.h>
#include <v8-primitive.h>
#include <v8-proxy.h>
#include <v8-typed-array.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <forward_list>
#include <unordered_set>
#include <vector>

namespace phost::v8rt {
namespace {

constexpr double kMaxSafe = 9007199254740992.0;  // 2^53

// A safe integer as a JS number; an int32 as V8 makes it fastest.
v8::Local<v8::Number> number(v8::Isolate* isolate, int64_t i) {
  if (i >= INT32_MIN && i <= INT32_MAX) return v8::Integer::New(isolate, static_cast<int32_t>(i));
  return v8::Number::New(isolate, static_cast<double>(i));
}

// A conversion failure while unwinding: members add where they were.
struct Failed {
  int32_t code;
  phost_status status;
  std::string message;
  std::string path;  // e.g. ".items[3]"
};

[[noreturn]] void fail(int32_t code, std::string message, phost_status status = PHOST_E_INVALID_ARG) {
  throw Failed{code, status, std::move(message), {}};
}

Error to_error(Failed& f) {
  if (!f.path.empty()) f.message += " at " + f.path.substr(0, 200);
  return Error(f.code, f.message, f.status);
}

// Counts what a conversion spends, and notices termination.
class Budget {
public:
  Budget(v8::Isolate* isolate, const ValueLimits& limits) : isolate_(isolate), items_(limits.items), bytes_(limits.bytes) {}

  void items(size_t n) {
    if (n > items_) fail(413, "value has more items than the runtime allows (max_value_items)", PHOST_E_LIMIT);
    items_ -= n;
    if ((++ticks_ & 1023) == 0 && isolate_->IsExecutionTerminating()) fail(500, "stopped", PHOST_E_PROCESS);
  }
  void bytes(size_t n) {
    if (n > bytes_) fail(413, "value holds more bytes than the runtime allows (max_value_mb)", PHOST_E_LIMIT);
    bytes_ -= n;
  }
  size_t items_left() const noexcept { return items_; }
  size_t bytes_left() const noexcept { return bytes_; }

private:
  v8::Isolate* isolate_;
  size_t items_, bytes_;
  unsigned ticks_ = 0;
};

// s as a new value, kept in kept unless that is nullptr.
Value made_string(v8::Isolate* isolate, StringValues* kept, v8::Local<v8::String> s) {
  Value out = with_utf8(isolate, s, [](std::string_view text) { return Value::string(text); });
  if (kept) kept->remember(s, out);
  return out;
}

// s (length UTF-16 units) as a value. A short one is kept per isolate
// (string_values.hpp): passed again, it is found instead of made.
inline Value string_value(v8::Isolate* isolate, StringValues* kept, v8::Local<v8::String> s, int length) {
  if (length > StringValues::kMaxLength) kept = nullptr;
  if (kept)
    if (Value known = kept->find(s)) return known;
  return made_string(isolate, kept, s);
}

void check_heap_room(v8::Isolate* isolate, size_t bytes) {
  if (!string_fits(isolate, bytes))
    fail(507, "a string of " + std::to_string(bytes) + " bytes does not fit in the script heap", PHOST_E_NO_MEMORY);
}

class ToV8 {
public:
  ToV8(v8::Local<v8::Context> context, const ValueLimits& limits)
      : isolate_(context->GetIsolate()),
        context_(context),
        budget_(isolate_, limits),
        keys_(KeyCache::of(isolate_)),
        shapes_(ShapeCache::of(isolate_)) {}

  v8::Local<v8::Value> convert(const phost_value* v, int depth) {
    if (depth > kMaxDepth) fail(413, "value nests deeper than " + std::to_string(kMaxDepth), PHOST_E_LIMIT);
    const phost_api& a = api();
    budget_.items(1);
    switch (a.value_kind(v)) {
      case PHOST_NULL: return v8::Null(isolate_);
      case PHOST_BOOL: return v8::Boolean::New(isolate_, View(v).as_bool());
      case PHOST_INT: {
        const int64_t i = View(v).as_int();
        if (i >= -int64_t(kMaxSafe) && i <= int64_t(kMaxSafe)) return number(isolate_, i);
        return v8::BigInt::New(isolate_, i);
      }
      case PHOST_DOUBLE: return v8::Number::New(isolate_, View(v).as_double());
      case PHOST_STRING: {
        const std::string_view s = View(v).as_string();
        budget_.bytes(s.size());
        check_heap_room(isolate_, s.size());
        return v8_string(isolate_, s);
      }
      case PHOST_BYTES: {
        const std::string_view bytes = View(v).as_string();
        budget_.bytes(bytes.size());
        v8::Local<v8::Uint8Array> array;
        if (!counted_bytes(isolate_, bytes).ToLocal(&array))
          fail(507, std::to_string(bytes.size()) + " bytes do not fit in the script heap", PHOST_E_NO_MEMORY);
        return array;
      }
      case PHOST_ARRAY: {
        const size_t n = a.value_len(v);
        budget_.items(n);
        Scratch<v8::Local<v8::Value>, 16> small;
        std::vector<v8::Local<v8::Value>> large(n > 16 ? n : 0);
        v8::Local<v8::Value>* items = n > 16 ? large.data() : small.data();
        for (size_t i = 0; i < n; ++i) items[i] = convert(a.value_at(v, i, nullptr), depth + 1);
        return v8::Array::New(isolate_, items, n);
      }
      case PHOST_OBJECT: return object(v, depth);
      default: fail(500, "unknown value kind", PHOST_E_INTERNAL);
    }
  }

  ShapeCache* shapes() const noexcept { return shapes_; }

  // v's keys and items when it is an object a shape's function can build (2
  // to ShapeCache::kMaxKeys keys), else 0.
  size_t flat(const phost_value* v, std::string_view* keys, const phost_value** items) const {
    const phost_api& a = api();
    if (!shapes_ || a.value_kind(v) != PHOST_OBJECT) return 0;
    const size_t n = a.value_len(v);
    if (n < 2 || n > ShapeCache::kMaxKeys) return 0;
    for (size_t i = 0; i < n; ++i) {
      phost_str key{};
      items[i] = a.value_at(v, i, &key);
      keys[i] = to_view(key);
    }
    return n;
  }
  // An argument object's values (flat, at the root), for its shape's
  // function; budgeted as convert() budgets the object and its members.
  void argument_members(const std::string_view* keys, const phost_value* const* items, size_t n,
                        v8::Local<v8::Value>* out) {
    budget_.items(1);
    members(keys, items, n, 0, out);
  }

private:
  // The members of an object at depth: counted, and converted in order.
  void members(const std::string_view* keys, const phost_value* const* items, size_t n, int depth,
               v8::Local<v8::Value>* out) {
    budget_.items(n);
    for (size_t i = 0; i < n; ++i) {
      budget_.bytes(keys[i].size());
      out[i] = convert(items[i], depth + 1);
    }
  }

  v8::Local<v8::Value> object(const phost_value* v, int depth) {
    const phost_api& a = api();
    // A shape seen before: one call of its builder (shape_cache.hpp).
    Scratch<std::string_view, ShapeCache::kMaxKeys> keys;
    Scratch<const phost_value*, ShapeCache::kMaxKeys> items;
    if (const size_t n = flat(v, keys.data(), items.data())) {
      if (v8::Local<v8::Function> build = shapes_->builder(context_, keys.data(), n); !build.IsEmpty()) {
        Scratch<v8::Local<v8::Value>, ShapeCache::kMaxKeys> values;
        members(keys.data(), items.data(), n, depth, values.data());
        v8::Local<v8::Value> out;
        if (!build->Call(context_, v8::Undefined(isolate_), static_cast<int>(n), values.data()).ToLocal(&out))
          fail(500, isolate_->IsExecutionTerminating() ? "stopped" : "cannot build an object", PHOST_E_PROCESS);
        return out;
      }
    }
    const size_t n = a.value_len(v);
    budget_.items(n);
    // Object::New + CreateDataProperty keeps fast maps (V8.md 1.8): the
    // one-step Object::New(names, values) makes a dictionary, and a script's
    // hot loop over o.x + o.y + o.z then ran 35x slower. The keys come from
    // the cache, internalized once.
    auto object = v8::Object::New(isolate_);
    for (size_t i = 0; i < n; ++i) {
      phost_str key{};
      const phost_value* item = a.value_at(v, i, &key);
      budget_.bytes(key.len);
      auto name = keys_ ? keys_->key(to_view(key)) : v8_string(isolate_, to_view(key), v8::NewStringType::kInternalized);
      if (!object->CreateDataProperty(context_, name, convert(item, depth + 1)).FromMaybe(false))
        fail(500, "cannot set property '" + std::string(to_view(key)) + "'", PHOST_E_PROCESS);
    }
    return object;
  }

  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  Budget budget_;
  KeyCache* keys_;
  ShapeCache* shapes_;
};

class FromV8 {
public:
  FromV8(v8::Local<v8::Context> context, const ValueLimits& limits)
      : isolate_(context->GetIsolate()), context_(context), budget_(isolate_, limits) {
    if (KeyCache* cache = KeyCache::of(isolate_)) {
      reader_ = &cache->reader();
      strings_ = &cache->strings();
    }
  }

  // What the conversions so far left of the limits.
  ValueLimits left() const noexcept { return {budget_.items_left(), budget_.bytes_left()}; }

  Value convert(v8::Local<v8::Value> v, int depth) {
    if (depth > kMaxDepth) fail(413, "value nests deeper than " + std::to_string(kMaxDepth), PHOST_E_LIMIT);
    budget_.items(1);
    if (v->IsNullOrUndefined()) return Value::null();
    if (v->IsBoolean()) return Value::boolean(v->IsTrue());
    if (v->IsInt32()) return Value::integer(v.As<v8::Int32>()->Value());
    if (v->IsNumber()) return number(v.As<v8::Number>()->Value());
    if (v->IsString()) return string(v.As<v8::String>());
    if (v->IsBigInt()) return bigint(v.As<v8::BigInt>());
    if (v->IsSymbol()) fail(400, "a symbol cannot be converted");
    // A plain object or an array of two or more, told apart by one
    // classification: read by the encoder (one call instead of an API round
    // trip per key and property).
    if (v->IsObject() && reader_ && !reader_->busy()) {
      auto object = v.As<v8::Object>();
      const ResultReader::Kind kind = ResultReader::kind(object);
      if (kind == ResultReader::kPlain || (kind == ResultReader::kList && object.As<v8::Array>()->Length() > 1)) {
        walk_into(object, depth);
        return encoded(object, kind == ResultReader::kList, depth);
      }
    }
    if (v->IsFunction()) fail(400, "a function cannot be converted");
    if (v->IsProxy()) fail(400, "a Proxy cannot be converted");
    if (v->IsArrayBufferView()) {
      auto view = v.As<v8::ArrayBufferView>();
      budget_.bytes(view->ByteLength());
      std::string bytes(view->ByteLength(), '\0');
      view->CopyContents(bytes.data(), bytes.size());
      return Value::bytes(bytes);
    }
    if (v->IsArrayBuffer() || v->IsSharedArrayBuffer()) {
      auto store = v->IsArrayBuffer() ? v.As<v8::ArrayBuffer>()->GetBackingStore()
                                      : v.As<v8::SharedArrayBuffer>()->GetBackingStore();
      budget_.bytes(store->ByteLength());
      return Value::bytes(std::string_view(static_cast<const char*>(store->Data()), store->ByteLength()));
    }
    if (v->IsDate()) {
      const double ms = v.As<v8::Date>()->ValueOf();
      // An invalid Date is null, as JSON.stringify writes it (gou passes values through JSON).
      return std::isfinite(ms) ? Value::string(iso_date(ms)) : Value::null();
    }
    if (v->IsPromise()) fail(400, "a promise inside a value cannot be converted (await it first)");
    if (v->IsRegExp()) fail(400, "a RegExp cannot be converted (pass its .source)");
    if (v->IsWeakMap() || v->IsWeakSet()) fail(400, "a WeakMap or WeakSet cannot be converted");
    if (v->IsGeneratorObject() || v->IsMapIterator() || v->IsSetIterator())
      fail(400, "a generator or iterator cannot be converted (spread it into an array)");
    if (v->IsNumberObject()) return number(v.As<v8::NumberObject>()->ValueOf());
    if (v->IsStringObject()) return string(v.As<v8::StringObject>()->ValueOf());
    if (v->IsBooleanObject()) return Value::boolean(v.As<v8::BooleanObject>()->ValueOf());
    if (v->IsBigIntObject()) return bigint(v.As<v8::BigIntObject>()->ValueOf());
    if (v->IsSymbolObject()) fail(400, "a symbol cannot be converted");

    auto object = v.As<v8::Object>();
    walk_into(object, depth);
    if (v->IsNativeError()) return error(object);
    return container(object, depth);
  }

  // A root the fused encoder already wrote (ResultReader::Fused).
  Value decoded(const ResultReader::Stream& stream) {
    if (stream.tags.empty()) fail(500, "the value reader stopped early", PHOST_E_INTERNAL);
    budget_.items(1);  // the root, as convert() counts it
    Hold hold(*reader_, context_);
    start(stream, 0);
    return decode_container(int(stream.tags[0]) == ResultReader::kArray, 0);
  }

private:
  // The objects on the path from the root: a repeat is a cycle. depth is
  // bounded by kMaxDepth, so a fixed array holds them.
  void walk_into(v8::Local<v8::Object> object, int depth) {
    for (int i = 0; i < depth; ++i)
      if (ancestors_.at[i] == object) fail(400, "the value contains a cycle");
    ancestors_.at[depth] = object;
  }

  // Converts a member, naming it in the error's path if it fails: the path
  // costs nothing unless something goes wrong.
  template <class Segment>
  Value member(v8::Local<v8::Value> item, int depth, Segment&& segment) {
    try {
      return convert(item, depth + 1);
    } catch (Failed& f) {
      if (f.path.size() < 200) f.path.insert(0, segment());
      throw;
    }
  }

  Value number(double d) {
    if (!std::isfinite(d)) return Value::null();  // as JSON.stringify writes them, and gou passes values through JSON
    if (d == std::floor(d) && std::fabs(d) <= kMaxSafe) return Value::integer(static_cast<int64_t>(d));
    return Value::number(d);
  }

  Value string(v8::Local<v8::String> s) {
    const int length = s->Length();
    budget_.bytes(static_cast<size_t>(length));
    return string_value(isolate_, strings_, s, length);
  }

  Value bigint(v8::Local<v8::BigInt> b) {
    bool lossless = false;
    const int64_t i = b->Int64Value(&lossless);
    if (!lossless) fail(400, "BigInt does not fit in 64 bits");
    return Value::integer(i);
  }

  static std::string iso_date(double ms) {
    const auto seconds = static_cast<std::time_t>(std::floor(ms / 1000));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    // Years outside 0-9999 as ISO 8601's extended years, as toISOString
    // writes them: a sign and six digits (+275760, -000001).
    const int year = tm.tm_year + 1900;
    char out[96];
    std::snprintf(out, sizeof out,
                  year < 0 ? "-%06d-%02d-%02dT%02d:%02d:%02d.%03dZ"
                  : year > 9999 ? "+%06d-%02d-%02dT%02d:%02d:%02d.%03dZ"
                               : "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  year < 0 ? -year : year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms - std::floor(ms / 1000) * 1000));
    return out;
  }

  v8::Local<v8::Value> checked(v8::MaybeLocal<v8::Value> maybe) {
    v8::Local<v8::Value> out;
    if (!maybe.ToLocal(&out)) fail(500, "a getter threw while converting the value", PHOST_E_PROCESS);
    return out;
  }

  Value error(v8::Local<v8::Object> e) {
    Value out = Value::object(4);
    for (const char* key : {"name", "message", "code", "stack"}) {
      v8::Local<v8::Value> v = read_property(context_, e, key);
      if (v.IsEmpty() || v->IsUndefined()) continue;
      if (v->IsString()) out.set(key, string(v.As<v8::String>()));
      else if (v->IsNumber()) out.set(key, number(v.As<v8::Number>()->Value()));
    }
    return out;
  }

  Value container(v8::Local<v8::Object> object, int depth) {
    if (object->IsArray()) {
      auto array = object.As<v8::Array>();
      const uint32_t n = array->Length();
      budget_.items(n);  // before the loop: a sparse [,,,...1e9] fails at once
      Value out = Value::array(n);
      for (uint32_t i = 0; i < n; ++i)
        out.push(member(checked(array->Get(context_, i)), depth, [i] { return "[" + std::to_string(i) + "]"; }));
      return out;
    }
    if (object->IsSet()) {
      auto list = object.As<v8::Set>()->AsArray();
      budget_.items(list->Length());
      Value out = Value::array(list->Length());
      for (uint32_t i = 0; i < list->Length(); ++i)
        out.push(member(checked(list->Get(context_, i)), depth, [i] { return "[" + std::to_string(i) + "]"; }));
      return out;
    }
    if (object->IsMap()) {
      auto pairs = object.As<v8::Map>()->AsArray();  // [k0, v0, k1, v1, ...]
      budget_.items(pairs->Length() / 2);
      Value out = Value::object(pairs->Length() / 2);
      std::unordered_set<std::string> seen;
      for (uint32_t i = 0; i + 1 < pairs->Length(); i += 2) {
        auto key = checked(pairs->Get(context_, i));
        if (!key->IsString() && !key->IsNumber()) fail(400, "a Map key must be a string or a number");
        v8::Local<v8::String> text;
        if (!key->ToString(context_).ToLocal(&text)) fail(500, "cannot convert a Map key", PHOST_E_PROCESS);
        std::string name = utf8(isolate_, text);
        if (!seen.insert(name).second)
          fail(400, "two keys of a Map become the same object key '" + name.substr(0, 100) + "'");
        out.set(name, member(checked(pairs->Get(context_, i + 1)), depth, [&] { return "." + name; }));
      }
      return out;
    }
    v8::Local<v8::Array> keys;
    if (!object->GetOwnPropertyNames(context_, static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS),
                                     v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys))
      fail(500, "cannot list the properties of an object", PHOST_E_PROCESS);
    const uint32_t n = keys->Length();
    budget_.items(n);
    Value out = Value::object(n);
    for (uint32_t i = 0; i < n; ++i) {
      auto key = checked(keys->Get(context_, i));
      auto item = checked(object->Get(context_, key));
      if (item->IsUndefined()) continue;
      with_utf8(isolate_, key.As<v8::String>(), [&](std::string_view name) {
        budget_.bytes(name.size());
        out.set(name, member(item, depth, [&] { return "." + std::string(name); }));
        return 0;
      });
    }
    return out;
  }

  // ---- the encoder's stream (result_reader.hpp) ----

  // The buffers are the reader's until the stream is decoded: a getter (or
  // the walk of a handed-over value) converting another value in the
  // meantime takes the C++ walk.
  struct Hold {
    ResultReader& reader;
    v8::Local<v8::Context> context;
    explicit Hold(ResultReader& r, v8::Local<v8::Context> c) : reader(r), context(c) { reader.set_busy(true); }
    ~Hold() {
      reader.set_busy(false);
      if (reader.handed_over()) reader.release(context);
    }
  };

  void start(const ResultReader::Stream& stream, int depth) {
    cursor_ = stream.tags.data();
    end_ = cursor_ + stream.tags.size();
    bytes_ = stream.bytes;
    bytes_end_ = bytes_ + stream.byte_count;
    root_depth_ = depth;
  }

  Value encoded(v8::Local<v8::Object> root, bool list, int depth) {
    Hold hold(*reader_, context_);
    ResultReader::Stream stream;
    bool threw = false;
    {
      v8::TryCatch caught(isolate_);
      if (!reader_->encode(context_, root, list, kMaxDepth - depth, double(budget_.items_left()),
                           double(budget_.bytes_left()), stream)) {
        if (!caught.HasCaught() && !caught.HasTerminated()) return container(root, depth);  // no encoder: nothing ran
        threw = true;
        // The encoder's own failure (its stack overflowed) must not carry
        // its private context to a script; a getter's exception goes on.
        if (!caught.HasTerminated() && reader_->own_exception(caught.Exception()))
          fail(500, "cannot convert the value (its reader failed)", PHOST_E_PROCESS);
        caught.ReThrow();
      }
    }
    start(stream, depth);
    Value out = decode_container(list, depth);
    // The stream can be whole when the encoder threw after its last write.
    if (threw) fail(500, "a getter threw while converting the value", PHOST_E_PROCESS);
    return out;
  }

  bool at_end() const noexcept { return cursor_ == end_; }
  double next() {
    if (cursor_ == end_) fail(500, "a getter threw while converting the value", PHOST_E_PROCESS);
    return *cursor_++;
  }
  int next_tag() { return static_cast<int>(next()); }
  uint32_t next_index() {
    const double d = next();
    if (!(d >= 0 && d < 4294967296.0)) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
    return static_cast<uint32_t>(d);
  }
  v8::Local<v8::Value> ref(uint32_t i) {
    v8::Local<v8::Value> v = reader_->ref(context_, i);
    if (v.IsEmpty()) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
    return v;
  }
  std::string_view ascii(uint32_t n) {
    if (n > size_t(bytes_end_ - bytes_)) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
    const std::string_view s(reinterpret_cast<const char*>(bytes_), n);
    bytes_ += n;
    return s;
  }

  Value decode_container(bool list, int depth) {
    const int tag = next_tag();
    if (tag == ResultReader::kCycle) fail(400, "the value contains a cycle");
    const uint32_t n = next_index();
    budget_.items(n);
    ValueList out;
    out.reserve(std::min<uint32_t>(n, 4096));
    if (list) {
      if (tag != ResultReader::kArray) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
      for (uint32_t i = 0; i < n; ++i) {
        if (at_end()) next();  // the getter of [i] threw
        out.push(decoded_member(depth, [i] { return "[" + std::to_string(i) + "]"; }));
      }
      return out.array();
    }
    if (tag != ResultReader::kObject) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
    std::forward_list<std::string> copied_keys;  // kRef keys, kept until the object is built
    for (;;) {
      const int key_tag = next_tag();
      if (key_tag == ResultReader::kEnd) return out.object();
      if (key_tag == ResultReader::kStop) fail(500, "the value reader stopped early", PHOST_E_INTERNAL);
      if (key_tag == ResultReader::kKey) {
        const std::string* name = reader_->key(context_, next_index());  // stable (a deque's)
        if (!name) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
        budget_.bytes(name->size());
        out.set(*name, decoded_member(depth, [&] { return "." + *name; }));
      } else if (key_tag == ResultReader::kAscii) {
        const std::string_view name = ascii(next_index());  // in the stream's bytes
        budget_.bytes(name.size());
        out.set(name, decoded_member(depth, [&] { return "." + std::string(name); }));
      } else if (key_tag == ResultReader::kRef) {
        v8::Local<v8::Value> key = ref(next_index());
        if (!key->IsString()) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
        const std::string& name = copied_keys.emplace_front(utf8(isolate_, key.As<v8::String>()));
        budget_.bytes(name.size());
        out.set(name, decoded_member(depth, [&] { return "." + name; }));
      } else {
        fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
      }
    }
  }

  template <class Segment>
  Value decoded_member(int depth, Segment&& segment) {
    try {
      return decode(depth + 1);
    } catch (Failed& f) {
      if (f.path.size() < 200) f.path.insert(0, segment());
      throw;
    }
  }

  Value decode(int depth) {
    const int tag = next_tag();
    if (tag == ResultReader::kOther || tag == ResultReader::kFail) {
      // Converted by the walk, with the path of ancestors for its cycle check.
      const uint32_t index = next_index();
      v8::Local<v8::Value> v = ref(index);
      if (tag == ResultReader::kOther) {
        const uint32_t ancestors = next_index();
        if (ancestors != uint32_t(depth - root_depth_))
          fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
        for (uint32_t i = 0; i < ancestors; ++i) {
          v8::Local<v8::Value> a = ref(index + 1 + i);
          if (!a->IsObject()) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
          ancestors_.at[root_depth_ + int(i)] = a.As<v8::Object>();
        }
      }
      Value out = convert(v, depth);
      if (tag == ResultReader::kFail) fail(500, "the value reader refused a value the runtime converts", PHOST_E_INTERNAL);
      return out;
    }
    if (depth > kMaxDepth) fail(413, "value nests deeper than " + std::to_string(kMaxDepth), PHOST_E_LIMIT);
    budget_.items(1);
    switch (tag) {
      case ResultReader::kNull: return Value::null();
      case ResultReader::kFalse: return Value::boolean(false);
      case ResultReader::kTrue: return Value::boolean(true);
      case ResultReader::kInt: return Value::integer(static_cast<int64_t>(next()));
      case ResultReader::kDouble: return Value::number(next());
      case ResultReader::kAscii: {
        const std::string_view text = ascii(next_index());
        budget_.bytes(text.size());
        return Value::string(text);
      }
      case ResultReader::kRef: {
        v8::Local<v8::Value> text = ref(next_index());
        if (!text->IsString()) fail(500, "the value reader wrote a bad stream", PHOST_E_INTERNAL);
        return string(text.As<v8::String>());
      }
      case ResultReader::kArray:
      case ResultReader::kObject:
      case ResultReader::kCycle: --cursor_; return decode_container(tag == ResultReader::kArray, depth);
      default: fail(500, "the value reader stopped early", PHOST_E_INTERNAL);
    }
  }

  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  Budget budget_;
  ResultReader* reader_ = nullptr;
  StringValues* strings_ = nullptr;
  const double* cursor_ = nullptr;
  const double* end_ = nullptr;
  const uint8_t* bytes_ = nullptr;
  const uint8_t* bytes_end_ = nullptr;
  int root_depth_ = 0;
  // Left unconstructed: a converter is made per value, most are scalars, and
  // constructing 129 handles was a quarter of converting one (issue 14).
  // Only [0, depth) is ever read, always after being written.
  union Ancestors {
    Ancestors() {}
    v8::Local<v8::Object> at[kMaxDepth + 1];
  } ancestors_;
};

}  // namespace

CallArgs::CallArgs(v8::Local<v8::Context> context, const phost_value* args, const ValueLimits& limits,
                   bool trampoline) {
  const phost_api& a = api();
  const size_t argc = a.value_len(args);
  try {
    ToV8 convert(context, limits);
    if ((argc >= 1 || trampoline) && argc <= ShapeCache::kMaxCallArgs && convert.shapes()) {
      constexpr size_t kRow = ShapeCache::kMaxKeys;
      Scratch<std::string_view, ShapeCache::kMaxCallArgs * kRow> keys;
      Scratch<const phost_value*, ShapeCache::kMaxCallArgs * kRow> items;
      Scratch<ShapeCache::Argument, ShapeCache::kMaxCallArgs> shape;
      Scratch<const phost_value*, ShapeCache::kMaxCallArgs> arg;
      bool any_object = false;
      size_t count = 2;  // the slots for the function and the result encoder
      for (size_t i = 0; i < argc; ++i) {
        std::string_view* row = keys.data() + i * kRow;
        arg[i] = a.value_at(args, i, nullptr);
        shape[i] = {row, convert.flat(arg[i], row, items.data() + i * kRow)};
        any_object |= shape[i].n != 0;
        count += shape[i].n ? shape[i].n : 1;
      }
      if (any_object || trampoline) via_ = convert.shapes()->caller(context, shape.data(), argc);
      if (!via_.IsEmpty()) {
        v8::Local<v8::Value>* out = room(count);
        size_t next = 2;
        for (size_t i = 0; i < argc; ++i) {
          if (shape[i].n) {
            convert.argument_members(shape[i].keys, items.data() + i * kRow, shape[i].n, out + next);
            next += shape[i].n;
          } else {
            out[next++] = convert.convert(arg[i], 0);
          }
        }
        count_ = count;
        return;
      }
      v8::Local<v8::Value>* out = room(argc);
      for (size_t i = 0; i < argc; ++i) out[i] = convert.convert(arg[i], 0);
      count_ = argc;
      return;
    }
    v8::Local<v8::Value>* out = room(argc);
    for (size_t i = 0; i < argc; ++i) out[i] = convert.convert(a.value_at(args, i, nullptr), 0);
    count_ = argc;
  } catch (Failed& f) {
    throw to_error(f);
  }
}

v8::Local<v8::Value>* CallArgs::room(size_t n) {
  if (n > kInline) {
    heap_.resize(n);
    values_ = heap_.data();
  }
  return values_;
}

v8::MaybeLocal<v8::Value> CallArgs::call(v8::Local<v8::Context> context, v8::Local<v8::Function> fn,
                                         v8::Local<v8::Function> encoder) {
  v8::Local<v8::Value> receiver = v8::Undefined(context->GetIsolate());
  if (via_.IsEmpty()) return fn->Call(context, receiver, static_cast<int>(count_), values_);
  values_[0] = fn;
  values_[1] = encoder.IsEmpty() ? receiver : encoder.As<v8::Value>();
  return via_->Call(context, receiver, static_cast<int>(count_), values_);
}

v8::Local<v8::Value> to_v8(v8::Local<v8::Context> context, const phost_value* value, const ValueLimits& limits) {
  // A number alone (most results of Process()) needs no converter.
  if (limits.items && api().value_kind(value) == PHOST_INT)
    if (const int64_t i = View(value).as_int(); i >= -int64_t(kMaxSafe) && i <= int64_t(kMaxSafe))
      return number(context->GetIsolate(), i);
  try {
    return ToV8(context, limits).convert(value, 0);
  } catch (Failed& f) {
    throw to_error(f);
  }
}

Value from_encoded(v8::Local<v8::Context> context, const ResultReader::Stream& stream, const ValueLimits& limits) {
  try {
    return FromV8(context, limits).decoded(stream);
  } catch (Failed& f) {
    throw to_error(f);
  }
}

Value from_v8(v8::Local<v8::Context> context, v8::Local<v8::Value> value, const ValueLimits& limits) {
  ValueLimits left = limits;
  return from_v8_within(context, value, left);
}

Value from_v8_within(v8::Local<v8::Context> context, v8::Local<v8::Value> value, ValueLimits& left) {
  // A lone int32 or string needs no converter; the budget is the
  // converter's: one item, and a string's length within the bytes.
  if (left.items && value->IsInt32()) {
    --left.items;
    return Value::integer(value.As<v8::Int32>()->Value());
  }
  if (left.items && value->IsString()) {
    const auto s = value.As<v8::String>();
    if (const int length = s->Length(); size_t(length) <= left.bytes) {
      --left.items;
      left.bytes -= size_t(length);
      v8::Isolate* isolate = context->GetIsolate();
      KeyCache* cache = KeyCache::of(isolate);
      return string_value(isolate, cache ? &cache->strings() : nullptr, s, length);
    }
  }
  try {
    FromV8 converter(context, left);
    Value out = converter.convert(value, 0);
    left = converter.left();
    return out;
  } catch (Failed& f) {
    throw to_error(f);
  }
}

}  // namespace phost::v8rt
