// Lets one call at a time into a PHOST_PROCESS_SERIAL process. A caller that
// waits keeps its deadline and cancellation; a thread that is already inside
// (the handler calling itself, directly or through other processes) is
// refused instead of deadlocking on itself.
#pragma once

#include "call_context.hpp"
#include "stop_signal.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

namespace phost {

class SerialGate final : public StopListener {
  struct Leave {
    void operator()(SerialGate* gate) const noexcept { gate->leave(); }
  };

public:
  // Held for one call; empty for a process that is not serial.
  using Turn = std::unique_ptr<SerialGate, Leave>;

  // Throws Error: PHOST_E_LIMIT (code 409) when this thread is already inside,
  // PHOST_E_TIMEOUT or PHOST_E_CANCELLED when the scope stops while waiting.
  [[nodiscard]] Turn enter(const CallScope& scope, std::string_view name);

private:
  void leave() noexcept;
  void on_stop() noexcept override;  // a cancel token triggered: waiters look at theirs

  std::mutex mutex_;
  std::condition_variable turn_;
  bool busy_ = false;
  std::thread::id owner_;  // the thread inside, while busy_
};

}  // namespace phost
