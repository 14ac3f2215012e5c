// A byte ring in memory two processes share (shared.hpp): one producer and
// one consumer at a time, each keeping its own copy of its counter, so that
// what the peer writes into the shared counters is only ever checked, never
// trusted. A side that finds nothing to do (no byte to read, no room to
// write) can sleep on a futex word the other side rings only when the
// sleeper announced itself: while both sides are awake, moving a frame
// costs no system call. Linux only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace phost::worker {

// The shared part of a ring. Counters count bytes since the start and never
// wrap (2^64 bytes); each on its own cache line, as each has one writer.
struct RingControl {
  alignas(64) std::atomic<uint64_t> head;  // bytes published, by the producer
  std::atomic<uint32_t> data_bell;         // 1: the consumer sleeps (or is about to) for data
  alignas(64) std::atomic<uint64_t> tail;  // bytes consumed, by the consumer
  std::atomic<uint32_t> room_bell;         // 1: the producer sleeps for room
};
static_assert(std::atomic<uint32_t>::is_always_lock_free && sizeof(std::atomic<uint32_t>) == 4,
              "a futex word is a plain 32-bit integer");

class Ring {
public:
  enum class Status { kOk, kClosed, kCorrupt };
  Ring(RingControl& control, char* data, size_t capacity) noexcept
      : control_(control), data_(data), capacity_(capacity) {}
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Producer: copies in as much of [p, p + n) as fits (written), publishes
  // it, and wakes the consumer if it sleeps. kCorrupt: the consumer's tail is
  // out of bounds.
  Status put(const char* p, size_t n, size_t& written) noexcept;
  // Producer: the bytes published so far, and whether the consumer says it
  // took them up to at (a worker may lie: only for decisions a lie cannot
  // turn against the host).
  uint64_t published() const noexcept { return head_; }
  bool taken(uint64_t at) const noexcept { return control_.tail.load(std::memory_order_acquire) >= at; }
  // Producer: sleeps until the consumer makes room, at most timeout_ns.
  Status wait_room(int64_t timeout_ns) noexcept;
  // Consumer: copies out up to n published bytes (got) and wakes a producer
  // that waits for room. kCorrupt: the producer's head is out of bounds.
  Status take(char* p, size_t n, size_t& got) noexcept;
  // Consumer: something was published (or this side stopped), without a system call.
  bool ready() const noexcept {
    return control_.head.load(std::memory_order_acquire) != tail_ || stopped();
  }
  // Consumer: sleeps until a byte is published, at most timeout_ns.
  void wait_data(int64_t timeout_ns) noexcept;
  // This side's use of the ring ends (its peer died or is leaving): wakes
  // this side's sleeper, and put and take say kClosed from now on. The
  // shared part is left alone: a stop is this side's business.
  void stop() noexcept;
  bool stopped() const noexcept { return stopped_.load(std::memory_order_seq_cst); }

private:
  RingControl& control_;
  char* const data_;
  const size_t capacity_;
  uint64_t head_ = 0;  // the producer's own
  uint64_t tail_ = 0;  // the consumer's own
  std::atomic<bool> stopped_{false};
};

}  // namespace phost::worker
