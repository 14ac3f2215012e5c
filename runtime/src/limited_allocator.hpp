// An ArrayBuffer allocator that counts buffer memory against the isolate's
// heap limit: large buffers live outside V8's heap and would escape it.
#pragma once

#include <v8-array-buffer.h>

#include <memory>

namespace phost::v8rt {

// Lives in its own file, built without RTTI like libnode (its base class has
// no typeinfo to link against).
std::unique_ptr<v8::ArrayBuffer::Allocator> make_limited_allocator(size_t limit_bytes);

// A backing store holding a copy of bytes, counted by allocator (one made by
// make_limited_allocator) like V8's own buffers; null when over the limit or
// out of memory. V8's own NewBackingStore aborts the process instead.
std::unique_ptr<v8::BackingStore> counted_backing_store(v8::ArrayBuffer::Allocator* allocator, const void* bytes,
                                                        size_t length);

}  // namespace phost::v8rt
