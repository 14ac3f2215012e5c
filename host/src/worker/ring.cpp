#include "ring.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>

namespace phost::worker {
namespace {

// Not FUTEX_PRIVATE_FLAG: the word is in a MAP_SHARED mapping of two processes.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns) noexcept {
  timespec t{};
  t.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
  t.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, &t, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>& word, int count) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

// Rings a bell only if its sleeper announced itself. With the sleeper's
// announce-then-recheck, both seq_cst, one of the two sides sees the other
// (Dekker): the sleeper finds the news, or this finds the sleeper.
void ring_bell(std::atomic<uint32_t>& bell) noexcept {
  if (bell.load(std::memory_order_seq_cst) != 0 && bell.exchange(0, std::memory_order_seq_cst) != 0)
    futex_wake(bell, 1);
}

}  // namespace

Ring::Status Ring::put(const char* p, size_t n, size_t& written) noexcept {
  written = 0;
  if (stopped()) return Status::kClosed;
  const uint64_t tail = control_.tail.load(std::memory_order_acquire);
  if (tail > head_ || head_ - tail > capacity_) return Status::kCorrupt;
  const size_t room = capacity_ - static_cast<size_t>(head_ - tail);
  const size_t count = std::min(room, n);
  if (count == 0) return Status::kOk;
  const size_t at = static_cast<size_t>(head_ % capacity_);
  const size_t first = std::min(count, capacity_ - at);
  std::memcpy(data_ + at, p, first);
  std::memcpy(data_, p + first, count - first);
  head_ += count;
  control_.head.store(head_, std::memory_order_seq_cst);
  ring_bell(control_.data_bell);
  written = count;
  return Status::kOk;
}

Ring::Status Ring::wait_room(int64_t timeout_ns) noexcept {
  control_.room_bell.store(1, std::memory_order_seq_cst);
  const uint64_t tail = control_.tail.load(std::memory_order_seq_cst);
  if (head_ - tail >= capacity_ && !stopped()) futex_wait(control_.room_bell, 1, timeout_ns);
  control_.room_bell.store(0, std::memory_order_relaxed);
  if (stopped()) return Status::kClosed;
  return Status::kOk;
}

Ring::Status Ring::take(char* p, size_t n, size_t& got) noexcept {
  got = 0;
  if (stopped()) return Status::kClosed;
  const uint64_t head = control_.head.load(std::memory_order_acquire);
  if (head < tail_ || head - tail_ > capacity_) return Status::kCorrupt;
  const size_t count = std::min(static_cast<size_t>(head - tail_), n);
  if (count == 0) return Status::kOk;
  const size_t at = static_cast<size_t>(tail_ % capacity_);
  const size_t first = std::min(count, capacity_ - at);
  std::memcpy(p, data_ + at, first);
  std::memcpy(p + first, data_, count - first);
  tail_ += count;
  control_.tail.store(tail_, std::memory_order_seq_cst);
  ring_bell(control_.room_bell);
  got = count;
  return Status::kOk;
}

void Ring::wait_data(int64_t timeout_ns) noexcept {
  control_.data_bell.store(1, std::memory_order_seq_cst);
  if (control_.head.load(std::memory_order_seq_cst) == tail_ && !stopped())
    futex_wait(control_.data_bell, 1, timeout_ns);
  control_.data_bell.store(0, std::memory_order_relaxed);
}

void Ring::stop() noexcept {
  stopped_.store(true, std::memory_order_seq_cst);
  // Changed before the wake: a sleeper between its check and its wait then
  // does not sleep (the futex compares the word). The peer's bell of the
  // two (this side uses the ring one way) only gets a spurious wake-up.
  control_.data_bell.store(0, std::memory_order_seq_cst);
  control_.room_bell.store(0, std::memory_order_seq_cst);
  futex_wake(control_.data_bell, INT_MAX);
  futex_wake(control_.room_bell, INT_MAX);
}

}  // namespace phost::worker
