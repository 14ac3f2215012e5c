// Memory a host and one of its workers both map (a memfd passed at spawn,
// sealed against resizing, closed by the worker once mapped): the two rings
// of the call channel (ring.hpp, ring_channel.hpp), and the deadlines the
// worker's handlers set themselves, read by the host when it wakes anyway
// instead of a message per call. The worker may scribble on all of it: the
// host checks what it reads there. Linux only.
#pragma once

#include "ring.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace phost::worker {

struct SharedPage {
  // The call channel's rings: [0] from the host to the worker, [1] back.
  RingControl rings[2];
  // The sooner deadline the handler of the host's call `id` set itself, in
  // entry id % kHints; an entry is the worker's from the call's start to its
  // end (id 0: free). A hint that finds its entry taken goes as a message.
  struct Hint {
    std::atomic<uint64_t> id;
    std::atomic<int64_t> deadline_ns;
  };
  static constexpr size_t kHints = 64;
  Hint hints[kHints];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free,
              "the shared page needs lock-free 64-bit atomics");

// The mapping: the page, rounded up to keep the rings' bytes page-aligned,
// then the bytes of each ring (about what a socket pair buffers).
inline constexpr size_t kPageBytes = (sizeof(SharedPage) + 4095) / 4096 * 4096;
inline constexpr size_t kRingBytes = size_t{256} * 1024;

class SharedMemory {
public:
  // The host's: a new zeroed page; fd() is what the worker maps. Throws Error.
  SharedMemory();
  // The worker's: maps fd and closes it. Throws Error.
  explicit SharedMemory(int fd);
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  SharedPage& page() noexcept { return *page_; }
  // Ring i's bytes (kRingBytes), i as in SharedPage::rings.
  char* ring_bytes(size_t i) noexcept;
  int fd() const noexcept { return fd_; }
  void close_fd() noexcept;  // once the worker has its copy

private:
  int fd_ = -1;
  SharedPage* page_ = nullptr;
};

}  // namespace phost::worker
