// Built with -fno-rtti: V8's Delegate classes have no typeinfo in libnode.
#include "structured_clone.hpp"

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
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
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

private:
  v8::Isolate* isolate_;
};

}  // namespace

v8::MaybeLocal<v8::Value> structured_clone(v8::Local<v8::Context> context, v8::Local<v8::Value> value) {
  v8::Isolate* isolate = context->GetIsolate();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (!serializer.WriteValue(context, value).FromMaybe(false)) return {};
  const std::pair<uint8_t*, size_t> wire = serializer.Release();
  const std::unique_ptr<uint8_t, decltype(&std::free)> owned(wire.first, &std::free);
  v8::ValueDeserializer deserializer(isolate, wire.first, wire.second);
  if (!deserializer.ReadHeader(context).FromMaybe(false)) return {};
  return deserializer.ReadValue(context);
}

}  // namespace phost::v8rt
