#include "serial_gate.hpp"

#include "error.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace phost {

SerialGate::Turn SerialGate::enter(const CallScope& scope, std::string_view name) {
  using Clock = std::chrono::steady_clock;  // the clock of clock_ns() and deadline_ns
  // A cancel token has no wake-up of its own: a waiter looks at it this often.
  constexpr std::chrono::milliseconds kCancelPoll{10};
  const std::thread::id self = std::this_thread::get_id();
  std::unique_lock lock(mutex_);
  if (busy_ && owner_ == self)
    throw Error(PHOST_E_LIMIT,
                "process '" + std::string(name) +
                    "' is serial (PHOST_PROCESS_SERIAL) and already running on this thread; calling it again "
                    "from inside itself would wait for itself forever",
                409);
  while (busy_) {
    if (const phost_status stopped = scope_stopped(scope))
      throw Error(stopped, std::string(stopped == PHOST_E_TIMEOUT ? "deadline passed" : "cancelled") +
                               " while waiting for serial process '" + std::string(name) + "'");
    Clock::time_point until = Clock::time_point::max();
    if (scope.deadline_ns) until = Clock::time_point(std::chrono::nanoseconds(scope.deadline_ns));
    if (scope.cancel) until = std::min(until, Clock::now() + kCancelPoll);
    if (until == Clock::time_point::max()) turn_.wait(lock);
    else turn_.wait_until(lock, until);
  }
  busy_ = true;
  owner_ = self;
  return Turn(this);
}

void SerialGate::leave() noexcept {
  {
    std::lock_guard lock(mutex_);
    busy_ = false;
  }
  turn_.notify_one();
}

}  // namespace phost
