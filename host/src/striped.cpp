#include "striped.hpp"

#include "fast_tls.hpp"

#include <chrono>
#include <thread>

namespace phost {

size_t this_threads_stripe() noexcept {
  static std::atomic<size_t> next{0};
  thread_local size_t stripe PHOST_FAST_TLS = kStripes;  // kStripes: not chosen yet
  if (stripe == kStripes) stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
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
  // Readers hold it for a table lookup. A yield may not let a preempted
  // reader on this core run (Windows' Sleep(0) skips lower priorities): sleep past a few.
  for (int spins = 0; readers_.sum() != 0; ++spins) {
    if (spins < 64) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void StripedSharedMutex::unlock() noexcept {
  writing_.store(false);
  writer_.unlock();
}

}  // namespace phost
