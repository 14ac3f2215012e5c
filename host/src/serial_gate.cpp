#include "serial_gate.hpp"

#include "error.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace phost {

SerialGate::Turn SerialGate::enter(const CallScope& scope, std::string_view name) {
  using Clock = std::chrono::steady_clock;  // the clock of clock_ns() and deadline_ns
  const std::thread::id self = std::this_thread::get_id();
  // Only a caller that must wait, and can be cancelled, hears of cancel
  // tokens. Subscribed and unsubscribed outside the gate's lock: a cancel
  // holds the listeners' lock while on_stop takes the gate's (TSan: a lock
  // order inversion when the subscription ended under the gate's lock).
  // Declared before the lock, it ends after the lock is released.
  std::optional<StopSubscription> stop_events;
  std::unique_lock lock(mutex_);
  if (busy_ && owner_ == self)
    throw Error(PHOST_E_LIMIT,
                "process '" + std::string(name) +
                    "' is serial (PHOST_PROCESS_SERIAL) and already running on this thread; calling it again "
                    "from inside itself would wait for itself forever",
                409);
  if (busy_ && scope.cancel) {
    lock.unlock();
    stop_events.emplace(*this);
    lock.lock();
  }
  while (busy_) {
    if (const phost_status stopped = scope_stopped(scope))
      throw Error(stopped, std::string(stopped == PHOST_E_TIMEOUT ? "deadline passed" : "cancelled") +
                               " while waiting for serial process '" + std::string(name) + "'");
    if (scope.deadline_ns) turn_.wait_until(lock, Clock::time_point(std::chrono::nanoseconds(scope.deadline_ns)));
    else turn_.wait(lock);
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

void SerialGate::on_stop() noexcept {
  { std::lock_guard lock(mutex_); }  // a waiter between its check and its wait sees the event
  turn_.notify_all();
}

}  // namespace phost
