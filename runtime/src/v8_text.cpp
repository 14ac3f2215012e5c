#include "v8_text.hpp"

#include <v8-statistics.h>

namespace phost::v8rt {

v8::Local<v8::String> v8_string(v8::Isolate* isolate, std::string_view s, v8::NewStringType type) {
  if (s.size() > static_cast<size_t>(v8::String::kMaxLength))
    throw Error(413, "a string of " + std::to_string(s.size()) + " bytes is longer than V8 allows", PHOST_E_LIMIT);
  if (!string_fits(isolate, s.size()))
    throw Error(507, "a string of " + std::to_string(s.size()) + " bytes does not fit in the script heap",
                PHOST_E_NO_MEMORY);
  v8::Local<v8::String> out;
  if (!v8::String::NewFromUtf8(isolate, s.data(), type, static_cast<int>(s.size())).ToLocal(&out))
    throw Error(507, "no memory for a string of " + std::to_string(s.size()) + " bytes", PHOST_E_NO_MEMORY);
  return out;
}

bool string_fits(v8::Isolate* isolate, size_t bytes) {
  if (bytes < (1u << 20)) return true;  // small ones are the near-heap-limit callback's
  return bytes * 2 <= heap_room(isolate);  // UTF-16 at worst
}

size_t heap_room(v8::Isolate* isolate) {
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  return heap.heap_size_limit() > heap.used_heap_size() ? heap.heap_size_limit() - heap.used_heap_size() : 0;
}

std::string utf8(v8::Isolate* isolate, v8::Local<v8::String> s) {
  return with_utf8(isolate, s, [](std::string_view text) { return std::string(text); });
}

std::string utf8_prefix(v8::Isolate* isolate, v8::Local<v8::String> s, size_t max_bytes) {
  if (static_cast<size_t>(s->Length()) * 3 <= max_bytes) return utf8(isolate, s);
  std::string out(max_bytes, '\0');
  const int n = s->WriteUtf8(isolate, out.data(), static_cast<int>(max_bytes), nullptr,
                             v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  out.resize(static_cast<size_t>(n));
  return out + "...";
}

}  // namespace phost::v8rt

namespace phost::v8rt {
v8::Local<v8::String> v8_string_or_empty(v8::Isolate* isolate, std::string_view s) noexcept {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(std::min<size_t>(s.size(), 1u << 20)))
      .FromMaybe(v8::String::Empty(isolate));
}
}  // namespace phost::v8rt
