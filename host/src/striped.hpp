// Counts and a reader lock split in stripes, a cache line each, a thread
// always on the same stripe: threads calling at once write lines of their
// own. One shared line written by every call (a rwlock, a refcount) bounced
// between cores and made a native call 3-4x slower on 2 threads (issue 14).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace phost {

inline constexpr size_t kStripes = 8;

// This thread's stripe, fixed for its life.
size_t this_threads_stripe() noexcept;

class StripedCount {
public:
  void add(size_t stripe) noexcept { stripes_[stripe].n.fetch_add(1); }
  void sub(size_t stripe) noexcept { stripes_[stripe].n.fetch_sub(1); }
  uint64_t sum() const noexcept;

private:
  struct alignas(64) Stripe {
    std::atomic<uint64_t> n{0};
  };
  std::array<Stripe, kStripes> stripes_;
};

// A reader-writer lock (std::shared_lock / std::unique_lock work with it)
// for what every call reads and little changes: a reader writes only its
// stripe; a writer waits until none reads. Not recursive, no upgrade.
class StripedSharedMutex {
public:
  void lock_shared() noexcept { lock_shared(this_threads_stripe()); }
  void unlock_shared() noexcept { unlock_shared(this_threads_stripe()); }
  // For a caller that has its stripe at hand (finding it is a TLS lookup).
  void lock_shared(size_t stripe) noexcept;
  void unlock_shared(size_t stripe) noexcept { readers_.sub(stripe); }
  void lock() noexcept;
  void unlock() noexcept;

  class Reader {  // a shared lock on a known stripe
  public:
    Reader(StripedSharedMutex& mutex, size_t stripe) noexcept : mutex_(mutex), stripe_(stripe) {
      mutex_.lock_shared(stripe_);
    }
    ~Reader() { mutex_.unlock_shared(stripe_); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

  private:
    StripedSharedMutex& mutex_;
    size_t stripe_;
  };

private:
  StripedCount readers_;
  std::atomic<bool> writing_{false};
  std::mutex writer_;  // one writer at a time; readers wait on it while one writes
};

}  // namespace phost
