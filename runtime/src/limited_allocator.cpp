#include "limited_allocator.hpp"

#include <v8-isolate.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace phost::v8rt {
namespace {

class LimitedAllocator final : public v8::ArrayBuffer::Allocator {
public:
  LimitedAllocator(size_t limit, void (*over)(void*), void* data) : limit_(limit), over_(over), data_(data) {}
  void* Allocate(size_t length) override { return reserve(length) ? zeroed(length) : nullptr; }
  void* AllocateUninitialized(size_t length) override { return reserve(length) ? unreserve_on_null(std::malloc(length ? length : 1), length) : nullptr; }
  void Free(void* data, size_t length) override {
    std::free(data);
    used_.fetch_sub(length, std::memory_order_relaxed);
  }

  bool reserve(size_t length) noexcept {
    size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (length > limit_ - std::min(limit_, used)) {
        if (length > kAlwaysGiven) return false;
        used_.fetch_add(length, std::memory_order_relaxed);
        over_(data_);
        return true;
      }
    } while (!used_.compare_exchange_weak(used, used + length, std::memory_order_relaxed));
    return true;
  }
  size_t room() const noexcept { return limit_ - std::min(limit_, used_.load(std::memory_order_relaxed)); }
  void* unreserve_on_null(void* p, size_t length) noexcept {
    if (!p) used_.fetch_sub(length, std::memory_order_relaxed);
    return p;
  }

private:
  void* zeroed(size_t length) noexcept { return unreserve_on_null(std::calloc(length ? length : 1, 1), length); }

  size_t limit_;
  void (*over_)(void*);
  void* data_;
  // Buffers may be freed by V8's sweeper on another thread.
  std::atomic<size_t> used_{0};
};

}  // namespace

std::unique_ptr<v8::ArrayBuffer::Allocator> make_limited_allocator(size_t limit_bytes, void (*over)(void*),
                                                                   void* data) {
  return std::make_unique<LimitedAllocator>(limit_bytes, over, data);
}

size_t counted_room(v8::Isolate* isolate) noexcept {
  return static_cast<LimitedAllocator*>(isolate->GetArrayBufferAllocator())->room();
}

v8::MaybeLocal<v8::Uint8Array> counted_bytes(v8::Isolate* isolate, std::string_view bytes) {
  auto* limited = static_cast<LimitedAllocator*>(isolate->GetArrayBufferAllocator());
  void* data = limited->AllocateUninitialized(bytes.size());
  if (!data) return {};
  if (!bytes.empty()) std::memcpy(data, bytes.data(), bytes.size());
  std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      data, bytes.size(),
      [](void* d, size_t n, void* owner) { static_cast<LimitedAllocator*>(owner)->Free(d, n); }, limited);
  return v8::Uint8Array::New(v8::ArrayBuffer::New(isolate, std::move(store)), 0, bytes.size());
}

}  // namespace phost::v8rt
