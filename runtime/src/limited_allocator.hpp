// An ArrayBuffer allocator that counts buffer memory against the isolate's
// heap limit: large buffers live outside V8's heap and would escape it.
#pragma once

#include <v8-array-buffer.h>
#include <v8-typed-array.h>

#include <memory>
#include <string_view>

namespace phost::v8rt {

// Lives in its own file, built without RTTI like libnode (its base class has
// no typeinfo to link against).
//
// A buffer of up to kAlwaysGiven bytes is given even past the limit: V8 makes
// the buffer of a small typed array (kept in its heap) only when a script asks
// for it, and aborts the process when the allocator refuses. Such a buffer
// calls over(data) instead, which stops the script (507).
inline constexpr size_t kAlwaysGiven = 64;  // V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP, as libnode is built
std::unique_ptr<v8::ArrayBuffer::Allocator> make_limited_allocator(size_t limit_bytes, void (*over)(void*),
                                                                   void* data);

// A Uint8Array holding a copy of bytes, counted by the isolate's allocator
// (one made by make_limited_allocator) like V8's own buffers; empty when over
// the limit or out of memory. V8's own NewBackingStore aborts the process instead.
v8::MaybeLocal<v8::Uint8Array> counted_bytes(v8::Isolate* isolate, std::string_view bytes);

// Bytes the isolate's allocator (one made by make_limited_allocator) can
// still give buffers: a way to refuse a huge copy before making it.
size_t counted_room(v8::Isolate* isolate) noexcept;

}  // namespace phost::v8rt
