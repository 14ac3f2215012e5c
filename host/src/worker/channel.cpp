#include "channel.hpp"

#include "wire.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace phost::worker {

Channel::~Channel() { ::close(fd_); }

bool Channel::send(const std::string& frame) {
  std::lock_guard lock(send_mutex_);
  size_t sent = 0;
  while (sent < frame.size()) {
    // MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE for the whole process.
    const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  if (sent_) sent_->fetch_add(frame.size(), std::memory_order_release);
  sent_since_read_.store(true, std::memory_order_relaxed);
  return true;
}

// Adaptive, as glibc's adaptive mutexes: a spin that ends with a frame
// doubles the next one's budget (up to spin_ns_), one that ends empty halves
// it, down to none; then one wait in kProbeEvery spins kMinSpinNs to see
// whether spinning pays again. On a loaded machine the peer is rarely on a
// CPU when a frame is sent, and a spin only takes the CPU it needs.
void Channel::spin() noexcept {
  constexpr int64_t kMinSpinNs = 2'000;
  constexpr uint32_t kProbeEvery = 64;
  int64_t budget = budget_ns_;
  if (budget == 0) {
    if (++skipped_ % kProbeEvery) return;
    budget = kMinSpinNs;
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point until = Clock::now() + std::chrono::nanoseconds(budget);
  bool came = false;
  while (!(came = peer_sent_->load(std::memory_order_acquire) != received_) && Clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  if (came)
    budget_ns_ = std::min(spin_ns_, std::max(budget * 2, kMinSpinNs));
  else
    budget_ns_ = budget / 2 < kMinSpinNs ? 0 : budget / 2;
}

Channel::Got Channel::next(std::string& frame) {
  for (;;) {
    const size_t available = end_ - start_;
    if (available >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + start_);
      const size_t length = size_t{p[0]} | size_t{p[1]} << 8 | size_t{p[2]} << 16 | size_t{p[3]} << 24;
      if (length == 0 || length > kMaxFrame) return Got::kEnded;  // a broken peer: end the link
      if (available >= 4 + length) {
        frame.assign(buffer_.data() + start_ + 4, length);
        start_ += 4 + length;
        if (start_ == end_) start_ = end_ = 0;
        return Got::kFrame;
      }
      if (buffer_.size() < 4 + length) {  // a big frame: grow once to hold it
        std::vector<char> bigger(4 + length);
        std::memcpy(bigger.data(), buffer_.data() + start_, available);
        buffer_.swap(bigger);
        start_ = 0;
        end_ = available;
      }
    }
    if (end_ == buffer_.size()) {
      std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (peer_sent_ && sent_since_read_.exchange(false, std::memory_order_relaxed)) spin();
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n > 0) received_ += static_cast<uint64_t>(n);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Got::kTimeout;
    if (n <= 0) return Got::kEnded;
    end_ += static_cast<size_t>(n);
  }
}

void Channel::shutdown() noexcept { ::shutdown(fd_, SHUT_RDWR); }

void Channel::share(std::atomic<uint64_t>* sent, const std::atomic<uint64_t>* peer_sent, int64_t spin_ns) noexcept {
  sent_ = sent;
  peer_sent_ = peer_sent;
  spin_ns_ = budget_ns_ = spin_ns;
}

void Channel::set_receive_timeout(int64_t ms) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace phost::worker
