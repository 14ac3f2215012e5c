#include "ring_channel.hpp"

#include "wire.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstring>

namespace phost::worker {
namespace {

// A sleep without a limit is cut into slices this long, so that a wake-up
// lost to a peer that scribbles on the bells costs a slice, not a hang (the
// host's reading threads sleep 10 ms at most anyway: Child).
constexpr int64_t kSliceNs = 1'000'000'000;

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

RingChannel::RingChannel(SharedMemory& memory, bool host, int64_t spin_ns,
                         std::function<void(const std::string&)> broken)
    : out_(memory.page().rings[host ? 0 : 1], memory.ring_bytes(host ? 0 : 1), kRingBytes),
      in_(memory.page().rings[host ? 1 : 0], memory.ring_bytes(host ? 1 : 0), kRingBytes),
      broken_callback_(std::move(broken)),
      spin_ns_(spin_ns),
      budget_ns_(spin_ns) {}

void RingChannel::broke(const std::string& why) {
  shutdown();
  if (!broken_.exchange(true) && broken_callback_) broken_callback_(why);
}

bool RingChannel::send(const std::string& frame, uint64_t* end) {
  std::unique_lock lock(send_mutex_);
  size_t done = 0;
  while (done < frame.size()) {
    size_t written = 0;
    switch (out_.put(frame.data() + done, frame.size() - done, written)) {
      case Ring::Status::kOk: break;
      case Ring::Status::kClosed: return false;
      case Ring::Status::kCorrupt:
        lock.unlock();
        broke("the tail of its inbound ring is out of bounds");
        return false;
    }
    done += written;
    // Bigger than the free room: the rest as the reader makes room (it reads
    // a frame's start before its end arrives).
    if (done < frame.size() && out_.wait_room(kSliceNs) == Ring::Status::kClosed) return false;
  }
  if (end) *end = out_.published();
  sent_since_read_.store(true, std::memory_order_relaxed);
  return true;
}

// Adaptive, as glibc's adaptive mutexes: a spin that ends with a frame
// doubles the next one's budget (up to spin_ns_), one that ends empty halves
// it, down to none; then one wait in kProbeEvery spins kMinSpinNs to see
// whether spinning pays again. On a loaded machine the peer is rarely on a
// CPU when a frame is sent, and a spin only takes the CPU it needs.
void RingChannel::spin() noexcept {
  constexpr int64_t kMinSpinNs = 2'000;
  constexpr uint32_t kProbeEvery = 64;
  int64_t budget = budget_ns_;
  if (budget == 0) {
    if (spin_ns_ == 0 || ++skipped_ % kProbeEvery) return;
    budget = kMinSpinNs;
  }
  const int64_t start = now_ns(), until = start + budget;
  bool came = false;
  for (int64_t now = start; !(came = in_.ready()) && now < until; now = now_ns()) {
    // Past the first microseconds, the peer may be waiting for this CPU
    // (more threads than cores): give it up at each turn.
    if (now - start > kMinSpinNs) std::this_thread::yield();
    else relax();
  }
  if (came)
    budget_ns_ = std::min(spin_ns_, std::max(budget * 2, kMinSpinNs));
  else
    budget_ns_ = budget / 2 < kMinSpinNs ? 0 : budget / 2;
}

Channel::Got RingChannel::next(std::string& frame) {
  int64_t until = 0;  // of this wait, set once it must sleep
  for (;;) {
    const size_t available = end_ - start_;
    size_t want = 4;  // bytes the buffer must hold for the next frame
    if (available >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + start_);
      const size_t length = size_t{p[0]} | size_t{p[1]} << 8 | size_t{p[2]} << 16 | size_t{p[3]} << 24;
      if (length == 0 || length > kMaxFrame) {
        broke("it sent a frame of " + std::to_string(length) + " bytes");
        return Channel::Got::kEnded;
      }
      if (available >= 4 + length) {
        frame.assign(buffer_.data() + start_ + 4, length);
        start_ += 4 + length;
        if (start_ == end_) start_ = end_ = 0;
        return Channel::Got::kFrame;
      }
      want = 4 + length;
    }
    if (start_ > 0 && buffer_.size() - start_ < want) {
      std::memmove(buffer_.data(), buffer_.data() + start_, available);
      start_ = 0;
      end_ = available;
    }
    // A big frame grows the buffer as its bytes come, not on its announced
    // length alone.
    if (end_ == buffer_.size()) buffer_.resize(std::min(want, std::max(buffer_.size() * 2, size_t{64} * 1024)));
    size_t got = 0;
    switch (in_.take(buffer_.data() + end_, buffer_.size() - end_, got)) {
      case Ring::Status::kOk: break;
      case Ring::Status::kClosed: return Channel::Got::kEnded;
      case Ring::Status::kCorrupt: broke("the head of its outbound ring is out of bounds"); return Channel::Got::kEnded;
    }
    if (got > 0) {
      end_ += got;
      continue;
    }
    if (sent_since_read_.exchange(false, std::memory_order_relaxed)) {
      spin();
      if (in_.ready()) continue;
    }
    const int64_t now = now_ns();
    if (!until) until = timeout_ns_ ? now + timeout_ns_ : 0;
    if (until && now >= until) return Channel::Got::kTimeout;
    in_.wait_data(until ? std::min(until - now, kSliceNs) : kSliceNs);
  }
}

void RingChannel::shutdown() noexcept {
  out_.stop();
  in_.stop();
}

}  // namespace phost::worker
