#include "striped.hpp"

#include <thread>

namespace phost {

size_t this_threads_stripe() noexcept {
  static std::atomic<size_t> next{0};
  thread_local const size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return stripe;
}

uint64_t StripedCount::sum() const noexcept {
  uint64_t n = 0;
  for (const Stripe& s : stripes_) n += s.n.load();
  return n;
}

// Sequentially consistent on both sides: a reader counts itself, then looks
// for a writer; a writer announces itself, then counts readers. One of the
// two always sees the other.
void StripedSharedMutex::lock_shared(size_t stripe) noexcept {
  for (;;) {
    readers_.add(stripe);
    if (!writing_.load()) return;
    readers_.sub(stripe);
    std::lock_guard wait(writer_);  // until the writer is done
  }
}

void StripedSharedMutex::lock() noexcept {
  writer_.lock();
  writing_.store(true);
  while (readers_.sum() != 0) std::this_thread::yield();  // readers hold it for a table lookup
}

void StripedSharedMutex::unlock() noexcept {
  writing_.store(false);
  writer_.unlock();
}

}  // namespace phost
