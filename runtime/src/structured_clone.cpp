// Built with -fno-rtti: V8's Delegate classes have no typeinfo in libnode.
#include "structured_clone.hpp"

#include "limited_allocator.hpp"
#include "v8_text.hpp"

#include <v8-exception.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-value-serializer.h>

#include <cstdlib>
#include <memory>

namespace phost::v8rt {
namespace {

class CloneDelegate final : public v8::ValueSerializer::Delegate {
public:
  // Every byte of the wire becomes a byte of the copy, in the heap or in a
  // counted buffer: a wire larger than both rooms cannot be read back, so it
  // is refused as it grows instead of filling memory outside the heap.
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate), room_(heap_room(isolate) + counted_room(isolate)) {}

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    v8::Local<v8::Value> error = v8::Exception::Error(message);
    if (error->IsObject() && error.As<v8::Object>()
                                 ->CreateDataProperty(isolate_->GetCurrentContext(),
                                                      v8_string_or_empty(isolate_, "name"),
                                                      v8_string_or_empty(isolate_, "DataCloneError"))
                                 .IsNothing())
      return;  // terminating: nothing to throw
    isolate_->ThrowException(error);
  }
  void* ReallocateBufferMemory(void* old_buffer, size_t size, size_t* actual_size) override {
    if (size > room_) {
      too_large_ = true;
      return nullptr;  // the serializer fails with its own out-of-memory error, replaced by ours
    }
    *actual_size = size;
    return std::realloc(old_buffer, size);
  }
  void FreeBufferMemory(void* buffer) override { std::free(buffer); }

  bool too_large() const { return too_large_; }

private:
  v8::Isolate* isolate_;
  size_t room_;
  bool too_large_ = false;
};

Error no_room() {
  return Error(507, "structuredClone: the copy does not fit in the script heap", PHOST_E_NO_MEMORY);
}

}  // namespace

v8::MaybeLocal<v8::Value> structured_clone(v8::Local<v8::Context> context, v8::Local<v8::Value> value) {
  v8::Isolate* isolate = context->GetIsolate();
  CloneDelegate delegate(isolate);
  v8::Local<v8::Value> copy;
  {
    v8::TryCatch try_catch(isolate);
    v8::ValueSerializer serializer(isolate, &delegate);
    serializer.WriteHeader();
    if (!serializer.WriteValue(context, value).FromMaybe(false)) {
      if (delegate.too_large() && !try_catch.HasTerminated()) throw no_room();
      try_catch.ReThrow();
      return {};
    }
    const std::pair<uint8_t*, size_t> wire = serializer.Release();
    const std::unique_ptr<uint8_t, decltype(&std::free)> owned(wire.first, &std::free);
    // What was just written reads back unless memory runs out (or the call is being stopped).
    v8::ValueDeserializer deserializer(isolate, wire.first, wire.second);
    if (deserializer.ReadHeader(context).FromMaybe(false) && deserializer.ReadValue(context).ToLocal(&copy))
      return copy;
    if (try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return {};
    }
  }
  throw no_room();
}

}  // namespace phost::v8rt
