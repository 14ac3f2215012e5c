// Process names a script passes to Process(), by string: the UTF-8 bytes,
// whether process_allow/process_deny let scripts call it and, on a host of
// ABI 1.4, a call handle (phost_ref) for it, kept for the strings seen last
// (a literal name is one string object, call after call). Writing the name
// out and matching the rules was ~380 instructions of a ~3,500-instruction
// Process() call; the handle saves the host's name parsing and registry
// lookup (issue 14).
#pragma once

#include <phost/plugin.hpp>

#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>
#include <v8-primitive.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace phost::v8rt {

class NameCache {
  struct Shared;

public:
  // A cached handle kept alive for one call: a nested call may take the
  // cache's slot (and drop its use of the handle) while this one runs. One
  // isolate's, so one thread at a time: a plain count, no atomics.
  class Pin {
  public:
    Pin() noexcept = default;
    explicit Pin(Shared* shared) noexcept : shared_(shared) {
      if (shared_) ++shared_->uses;
    }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    ~Pin() { NameCache::drop(shared_); }
    // nullptr: call by name (no handle, or a host older than 1.4).
    const ProcessHandle* handle() const noexcept { return shared_ ? &shared_->handle : nullptr; }

  private:
    Shared* shared_ = nullptr;
  };

  struct Name {
    v8::Global<v8::String> string;
    std::string utf8;
    bool allowed = false;
    Shared* shared = nullptr;  // the handle, or nullptr
  };

  explicit NameCache(v8::Isolate* isolate) : isolate_(isolate) {}
  ~NameCache();
  NameCache(const NameCache&) = delete;
  NameCache& operator=(const NameCache&) = delete;

  // The entry for name, or nullptr; remember() fills its slot.
  const Name* find(v8::Local<v8::String> name) const;
  // handle: looked up by the caller for an allowed name, or empty.
  const Name& remember(v8::Local<v8::String> name, std::string_view utf8, bool allowed, ProcessHandle handle);

private:
  struct Shared {
    ProcessHandle handle;
    uint32_t uses = 1;  // the cache's own, and one per Pin
  };
  static void drop(Shared* shared) noexcept {
    if (shared && --shared->uses == 0) delete shared;
  }

  static constexpr size_t kSlots = 64;  // direct-mapped by the string's hash
  size_t slot(v8::Local<v8::String> name) const { return static_cast<size_t>(name->GetIdentityHash()) % kSlots; }

  v8::Isolate* isolate_;
  std::array<Name, kSlots> names_;
};

}  // namespace phost::v8rt
