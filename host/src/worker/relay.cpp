#include "relay.hpp"

#include <algorithm>
#include <chrono>

namespace phost::worker {

Relay::Relay(RingChannel& channel, std::function<void(std::string&&)> route, std::function<void()> ended)
    : channel_(channel), route_(std::move(route)), ended_callback_(std::move(ended)) {}

Mailbox::Wait Relay::wait(Mailbox& box, std::string& frame, int64_t until_ns) {
  for (;;) {
    if (const Mailbox::Wait w = box.try_take(frame); w != Mailbox::Wait::kTimeout) return w;
    std::unique_lock lock(mutex_);
    if (ended_) {
      hand_over();  // the next waiter learns it too
      return Mailbox::Wait::kClosed;
    }
    if (!reading_) {
      reading_ = true;
      lock.unlock();
      const Mailbox::Wait w = lead(box, frame, until_ns);
      lock.lock();
      reading_ = false;
      hand_over();
      return w;
    }
    waiting_.push_back(&box);
    lock.unlock();
    const Mailbox::Wait w = box.wait(frame, until_ns);
    lock.lock();
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), &box));
    if (w != Mailbox::Wait::kNudged) {
      // A nudge this thread may have swallowed with its frame goes on.
      if (!reading_) hand_over();
      return w;
    }
  }
}

Mailbox::Wait Relay::lead(Mailbox& box, std::string& frame, int64_t until_ns) {
  for (;;) {
    if (const Mailbox::Wait w = box.try_take(frame); w != Mailbox::Wait::kTimeout) return w;
    // The clock of clock_ns (CLOCK_MONOTONIC), as Mailbox::wait reads until_ns.
    if (until_ns && std::chrono::steady_clock::now().time_since_epoch() >= std::chrono::nanoseconds(until_ns))
      return Mailbox::Wait::kTimeout;
    switch (channel_.next(frame)) {
      case Channel::Got::kFrame: route_(std::move(frame)); break;
      case Channel::Got::kTimeout: break;
      case Channel::Got::kEnded: {
        {
          std::lock_guard lock(mutex_);
          ended_ = true;
        }
        if (ended_callback_) ended_callback_();
        return box.try_take(frame) == Mailbox::Wait::kFrame ? Mailbox::Wait::kFrame : Mailbox::Wait::kClosed;
      }
    }
  }
}

void Relay::hand_over() {
  if (!waiting_.empty()) waiting_.front()->nudge();
}

}  // namespace phost::worker
