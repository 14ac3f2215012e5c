// The values of short strings that scripts hand over again and again (a
// literal argument of Process(), a status in a result), found by content.
// Writing one out as UTF-8, checking it and making its value, then releasing
// it, was ~600 instructions of a ~2,100-instruction Process() call (issue
// 14); a hit is the string's hash, a compare and a reference. Direct-mapped
// and small: a miss converts as before and takes the slot.
#pragma once

#include <phost/value.hpp>

#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>
#include <v8-primitive.h>

#include <array>

namespace phost::v8rt {

class StringValues {
public:
  static constexpr int kMaxLength = 32;  // UTF-16 units: longer strings are not kept

  explicit StringValues(v8::Isolate* isolate) noexcept : isolate_(isolate) {}
  StringValues(const StringValues&) = delete;
  StringValues& operator=(const StringValues&) = delete;

  // A new reference to s's value, or an empty Value when it is not here.
  Value find(v8::Local<v8::String> s) const;
  void remember(v8::Local<v8::String> s, View value);

private:
  struct Entry {
    v8::Global<v8::String> string;  // weak: empty once the script drops the string
    Value value;  // frozen: shared with every call that found it
  };
  static constexpr size_t kSlots = 64;
  size_t slot(v8::Local<v8::String> s) const { return static_cast<size_t>(s->GetIdentityHash()) % kSlots; }

  v8::Isolate* isolate_;
  std::array<Entry, kSlots> entries_;
};

}  // namespace phost::v8rt
