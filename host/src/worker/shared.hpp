// A page of memory a host and one of its workers both map (a memfd passed
// at spawn, closed by the worker once mapped): counters that let a thread
// waiting for the other side spin a little instead of sleeping while a frame
// is on its way, and the deadlines the worker's handlers set themselves,
// read by the host when it wakes anyway instead of a message per call.
// Linux only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace phost::worker {

struct SharedPage {
  // Bytes written on the call channel, by the host ([0]) and by the worker ([1]).
  std::atomic<uint64_t> sent[2];
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
  int fd() const noexcept { return fd_; }
  void close_fd() noexcept;  // once the worker has its copy

private:
  int fd_ = -1;
  SharedPage* page_ = nullptr;
};

}  // namespace phost::worker
