// One end of a worker's control socket (AF_UNIX, SOCK_STREAM): whole frames
// out from any thread, frames in for one reading thread. Linux only.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace phost::worker {

class Channel {
public:
  explicit Channel(int fd) noexcept : fd_(fd) {}
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Sends a frame built by Writer; false once the peer is gone. Thread-safe.
  bool send(const std::string& frame);
  enum class Got { kFrame, kTimeout, kEnded };
  // The next frame's payload (type byte onwards) into frame; kTimeout when
  // the receive timeout (set_receive_timeout) passed first, kEnded at the
  // end of the stream or on an error. One reading thread at a time.
  Got next(std::string& frame);
  bool receive(std::string& frame) { return next(frame) == Got::kFrame; }
  // Wakes a blocked receive and fails later sends.
  void shutdown() noexcept;
  void set_receive_timeout(int64_t ms) noexcept;  // 0: none

private:
  int fd_;
  std::mutex send_mutex_;
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
  size_t start_ = 0, end_ = 0;  // unread bytes in buffer_
};

}  // namespace phost::worker
