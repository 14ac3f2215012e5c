// The call channel between a host and one of its workers: frames (calls and
// replies, wire.hpp) through the two rings of their shared memory, one per
// direction. Whole frames out from any thread (serialised here), frames in
// for one reading thread at a time (relay.hpp). A reader that finds nothing
// spins a little (adaptive, PHOST_WORKER_SPIN_US) when it expects an answer,
// then sleeps on the ring's futex: while both sides are awake, a round trip
// takes no system call. Linux only.
#pragma once

#include "channel.hpp"
#include "ring.hpp"
#include "shared.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace phost::worker {

class RingChannel {
public:
  // host: whether this is the host's end (it writes ring 0 and reads ring
  // 1). broken(why) runs once when the peer broke the channel (a counter out
  // of bounds, a frame of a bad length); the channel has ended then.
  RingChannel(SharedMemory& memory, bool host, int64_t spin_ns, std::function<void(const std::string&)> broken = {});
  RingChannel(const RingChannel&) = delete;
  RingChannel& operator=(const RingChannel&) = delete;

  // Sends a frame built by Writer, in pieces when it is bigger than the
  // ring's free room (waiting for the reader to make room); false once the
  // channel has ended. Thread-safe. *end: where the frame ends in the stream.
  bool send(const std::string& frame, uint64_t* end = nullptr);
  // Whether the peer read the stream up to end (a frame sent, then the peer
  // died: did it get it?).
  bool delivered(uint64_t end) const noexcept { return out_.taken(end); }
  // The next frame's payload (type byte onwards) into frame; kTimeout when
  // the receive timeout passed first, kEnded once shut down or broken. One
  // reading thread at a time.
  Channel::Got next(std::string& frame);
  // Wakes a waiting reader and writer; sends and reads fail from now on.
  void shutdown() noexcept;
  void set_receive_timeout(int64_t ms) noexcept { timeout_ns_ = ms * 1'000'000; }

private:
  void spin() noexcept;
  void broke(const std::string& why);

  Ring out_, in_;
  const std::function<void(const std::string&)> broken_callback_;
  std::atomic<bool> broken_{false};
  std::mutex send_mutex_;
  std::atomic<bool> sent_since_read_{false};
  int64_t timeout_ns_ = 0;
  // The reading thread's:
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
  size_t start_ = 0, end_ = 0;  // unread bytes in buffer_
  const int64_t spin_ns_;
  int64_t budget_ns_;  // the next spin's (spin())
  uint32_t skipped_ = 0;
};

}  // namespace phost::worker
