// Object keys turned into V8 strings once per isolate. Argument objects
// repeat the same few keys call after call; internalizing one again costs a
// UTF-8 decode, a hash and a string-table probe every time (issue 14: keys
// were a large part of converting arguments). Bounded: keys beyond the
// cache's size or length are converted as before.
#pragma once

#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>
#include <v8-primitive.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace phost::v8rt {

class NameCache;
class ResultReader;
class StringValues;

class KeyCache {
public:
  explicit KeyCache(v8::Isolate* isolate);  // registers itself with the isolate
  ~KeyCache();                              // the isolate still alive and locked
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The isolate's cache, or nullptr (an isolate made without one).
  static KeyCache* of(v8::Isolate* isolate) noexcept;

  // key as an internalized string; throws phost::Error like v8_string.
  v8::Local<v8::String> key(std::string_view key);

  // The isolate's result reader (result_reader.hpp), Process() names
  // (name_cache.hpp) and short strings' values (string_values.hpp), made on
  // first use: they live here because the isolate has no data slot left for them.
  ResultReader& reader();
  NameCache& names();
  StringValues& strings();

private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  v8::Isolate* isolate_;
  std::unordered_map<std::string, v8::Global<v8::String>, Hash, std::equal_to<>> keys_;
  std::unique_ptr<ResultReader> reader_;
  std::unique_ptr<NameCache> names_;
  std::unique_ptr<StringValues> strings_;
};

}  // namespace phost::v8rt
