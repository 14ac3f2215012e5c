// Process names a script passes to Process(), by string: the UTF-8 bytes and
// whether process_allow/process_deny let scripts call it, kept for the
// strings seen last (a literal name is one string object, call after call).
// Writing the name out and matching the rules was ~380 instructions of a
// ~3,500-instruction Process() call (issue 14).
#pragma once

#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>
#include <v8-primitive.h>

#include <array>
#include <string>
#include <string_view>

namespace phost::v8rt {

class NameCache {
public:
  struct Name {
    v8::Global<v8::String> string;
    std::string utf8;
    bool allowed = false;
  };

  explicit NameCache(v8::Isolate* isolate) : isolate_(isolate) {}

  // The entry for name, or nullptr; remember() fills its slot.
  const Name* find(v8::Local<v8::String> name) const;
  void remember(v8::Local<v8::String> name, std::string_view utf8, bool allowed);

private:
  static constexpr size_t kSlots = 64;  // direct-mapped by the string's hash
  size_t slot(v8::Local<v8::String> name) const { return static_cast<size_t>(name->GetIdentityHash()) % kSlots; }

  v8::Isolate* isolate_;
  std::array<Name, kSlots> names_;
};

}  // namespace phost::v8rt
