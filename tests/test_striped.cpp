// The striped count and reader lock the registry and the host count calls
// with (host/src/striped.hpp), compiled in: libphost does not export them.
#include "../host/src/striped.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <shared_mutex>
#include <thread>
#include <vector>

using phost::StripedCount;
using phost::StripedSharedMutex;

TEST_CASE("a striped count sums what more threads than stripes added and took away") {
  StripedCount count;
  const size_t threads = 2 * phost::kStripes;
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      const size_t stripe = phost::this_threads_stripe();
      CHECK(stripe < phost::kStripes);
      CHECK(stripe == phost::this_threads_stripe());  // fixed for the thread's life
      for (int i = 0; i < 10000; ++i) count.add(stripe);
      for (int i = 0; i < 4000; ++i) count.sub(stripe);
    });
  for (auto& th : pool) th.join();
  CHECK(count.sum() == threads * 6000);
}

TEST_CASE("a writer of the striped lock never overlaps a reader and readers share it") {
  StripedSharedMutex mutex;
  // Written as a pair under the unique lock, with a gap a reader would see.
  volatile int64_t first = 0, second = 0;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> torn{0}, reads{0}, inside{0}, most_inside{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::this_thread::yield();  // lets the writer in, even through a broken lock
        std::shared_lock lock(mutex);
        const int64_t now = ++inside;
        for (int64_t m = most_inside.load(); now > m && !most_inside.compare_exchange_weak(m, now);) {
        }
        const int64_t a = first;
        for (int spin = 0; spin < 50; ++spin) std::atomic_signal_fence(std::memory_order_seq_cst);
        const int64_t b = second;
        torn += a != b;
        ++reads;
        --inside;
      }
    });
  int64_t writes = 0;
  for (; writes < 2000; ++writes) {
    std::unique_lock lock(mutex);
    CHECK(inside.load() == 0);
    first = writes + 1;
    for (int spin = 0; spin < 50; ++spin) std::atomic_signal_fence(std::memory_order_seq_cst);
    second = writes + 1;
  }
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  for (auto& th : readers) th.join();
  CHECK(torn.load() == 0);
  CHECK(first == 2000);
  CHECK(second == 2000);
  CHECK(most_inside.load() >= 1);
}
