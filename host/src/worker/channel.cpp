#include "channel.hpp"

#include "wire.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
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
  return true;
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
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Got::kTimeout;
    if (n <= 0) return Got::kEnded;
    end_ += static_cast<size_t>(n);
  }
}

void Channel::shutdown() noexcept { ::shutdown(fd_, SHUT_RDWR); }

void Channel::set_receive_timeout(int64_t ms) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace phost::worker
