#include "limited_allocator.hpp"

#include <cstdlib>

namespace phost::v8rt {
namespace {

class LimitedAllocator final : public v8::ArrayBuffer::Allocator {
public:
  explicit LimitedAllocator(size_t limit) : limit_(limit) {}
  void* Allocate(size_t length) override { return reserve(length) ? std::calloc(length, 1) : nullptr; }
  void* AllocateUninitialized(size_t length) override { return reserve(length) ? std::malloc(length) : nullptr; }
  void Free(void* data, size_t length) override {
    std::free(data);
    used_ -= length;
  }

private:
  bool reserve(size_t length) {
    if (length > limit_ - used_) return false;
    used_ += length;
    return true;
  }
  size_t limit_;
  size_t used_ = 0;  // only the owning isolate's thread allocates and frees
};

}  // namespace

std::unique_ptr<v8::ArrayBuffer::Allocator> make_limited_allocator(size_t limit_bytes) {
  return std::make_unique<LimitedAllocator>(limit_bytes);
}

}  // namespace phost::v8rt
