// A V8 string over JS embedded in the plugin (cmake/phost_embed.cmake),
// pointing at the plugin's bytes: no copy per isolate or context.
#pragma once

#include <v8-primitive.h>

#include <algorithm>
#include <cstddef>

namespace phost::v8rt {

class EmbeddedSource final : public v8::String::ExternalOneByteStringResource {
public:
  EmbeddedSource(const unsigned char* bytes, size_t size) noexcept : bytes_(bytes), size_(size) {}
  const char* data() const override { return reinterpret_cast<const char*>(bytes_); }
  size_t length() const override { return size_; }

  // External one-byte strings must be ASCII; anything else is copied as UTF-8.
  v8::MaybeLocal<v8::String> string(v8::Isolate* isolate) {
    if (std::all_of(bytes_, bytes_ + size_, [](unsigned char c) { return c < 0x80; }))
      return v8::String::NewExternalOneByte(isolate, this);
    return v8::String::NewFromUtf8(isolate, data(), v8::NewStringType::kNormal, static_cast<int>(size_));
  }

protected:
  void Dispose() override {}  // static storage: V8 must not delete it

private:
  const unsigned char* bytes_;
  size_t size_;
};

}  // namespace phost::v8rt
