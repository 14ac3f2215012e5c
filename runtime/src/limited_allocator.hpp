// An ArrayBuffer allocator that counts buffer memory against the isolate's
// heap limit: large buffers live outside V8's heap and would escape it.
#pragma once

#include <v8-array-buffer.h>

#include <memory>

namespace phost::v8rt {

// Lives in its own file, built without RTTI like libnode (its base class has
// no typeinfo to link against).
std::unique_ptr<v8::ArrayBuffer::Allocator> make_limited_allocator(size_t limit_bytes);

}  // namespace phost::v8rt
