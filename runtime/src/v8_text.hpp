// Strings between V8 and C++ without any call that aborts the process: every
// failure (too long, out of memory, a terminating isolate) is a phost::Error
// or an empty result.
#pragma once

#include <phost/value.hpp>

#include <v8-isolate.h>
#include <v8-primitive.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace phost::v8rt {

// Throws phost::Error 413 (too long for V8) or 507 (no memory, or no room
// in the heap: see string_fits).
v8::Local<v8::String> v8_string(v8::Isolate* isolate, std::string_view s,
                                v8::NewStringType type = v8::NewStringType::kNormal);

// Whether a string made from `bytes` of UTF-8 fits in the isolate's heap now.
// Checked before large strings are made: V8 aborts the process when one
// allocation cannot fit even after its near-heap-limit callback.
bool string_fits(v8::Isolate* isolate, size_t bytes);
// Bytes the isolate's heap can still take before its limit.
size_t heap_room(v8::Isolate* isolate);

// Calls use(std::string_view) with s as UTF-8 (lone surrogates become
// U+FFFD); short strings go through a buffer on the stack.
template <class Use>
std::invoke_result_t<Use, std::string_view> with_utf8(v8::Isolate* isolate, v8::Local<v8::String> s, Use&& use) {
  constexpr int kFlags = v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8;
  char small[256];
  if (s->Length() <= static_cast<int>(sizeof small / 3)) {  // a UTF-16 unit takes at most 3 bytes
    const int n = s->WriteUtf8(isolate, small, sizeof small, nullptr, kFlags);
    return use(std::string_view(small, static_cast<size_t>(n)));
  }
  const size_t size = static_cast<size_t>(s->Utf8Length(isolate));
  const auto large = std::make_unique_for_overwrite<char[]>(size);  // no pass to zero what is written next
  s->WriteUtf8(isolate, large.get(), static_cast<int>(size), nullptr, kFlags);
  return use(std::string_view(large.get(), size));
}

// Calls use(const Char* units, size_t n) with s in slices of 4,096 units
// (uint8_t for a one-byte string, else uint16_t) until it returns false: no
// copy of a whole string, and 12 KB of stack.
template <class Use>
void for_each_slice(v8::Isolate* isolate, v8::Local<v8::String> s, Use&& use) {
  constexpr int kSlice = 4096;
  const int length = s->Length();
  const bool one_byte = s->IsOneByte();
  uint8_t bytes[kSlice];
  uint16_t units[kSlice];
  for (int start = 0; start < length; start += kSlice) {
    const int n = std::min(kSlice, length - start);
    bool more;
    if (one_byte) {
      s->WriteOneByte(isolate, bytes, start, n, v8::String::NO_NULL_TERMINATION);
      more = use(static_cast<const uint8_t*>(bytes), static_cast<size_t>(n));
    } else {
      s->Write(isolate, units, start, n, v8::String::NO_NULL_TERMINATION);
      more = use(static_cast<const uint16_t*>(units), static_cast<size_t>(n));
    }
    if (!more) return;
  }
}

std::string utf8(v8::Isolate* isolate, v8::Local<v8::String> s);
// At most max_bytes of s as UTF-8 (then "..."), converting no more than that:
// for messages and log lines, where a string may be a gigabyte.
std::string utf8_prefix(v8::Isolate* isolate, v8::Local<v8::String> s, size_t max_bytes);

}  // namespace phost::v8rt

namespace phost::v8rt {
// For error paths that must not throw: the text, cut to 1 MB, or "".
v8::Local<v8::String> v8_string_or_empty(v8::Isolate* isolate, std::string_view s) noexcept;
}  // namespace phost::v8rt
