// One end of a worker's private socket (AF_UNIX, SOCK_STREAM): whole frames
// out from any thread, frames in for one reading thread. Linux only.
#pragma once

#include <atomic>
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
  // Counts the bytes sent in *sent; a read that would sleep first spins up
  // to spin_ns while *peer_sent says nothing more is on its way, if a frame
  // was sent since the last read (then an answer or the next call is
  // probably coming, and a sleep and a wake-up cost more than the spin),
  // and if spinning paid lately (spin()).
  void share(std::atomic<uint64_t>* sent, const std::atomic<uint64_t>* peer_sent, int64_t spin_ns) noexcept;

private:
  int fd_;
  std::mutex send_mutex_;
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
  size_t start_ = 0, end_ = 0;  // unread bytes in buffer_
  std::atomic<uint64_t>* sent_ = nullptr;
  const std::atomic<uint64_t>* peer_sent_ = nullptr;
  int64_t spin_ns_ = 0;
  int64_t budget_ns_ = 0;  // the next spin's (spin()); the reading thread's
  uint32_t skipped_ = 0;
  uint64_t received_ = 0;  // bytes read, the reading thread's
  std::atomic<bool> sent_since_read_{false};

  void spin() noexcept;
};

}  // namespace phost::worker
