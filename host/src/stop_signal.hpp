// A process-wide wake-up for threads that wait while a call runs (ctx_wait):
// sent when something that can stop a call happens (a cancel token triggers,
// a host starts being destroyed). Such events are rare, so one broadcast for
// all waiters is cheaper than a wait list per token.
#pragma once

#include "call_context.hpp"

namespace phost {

void notify_stop_waiters() noexcept;

// A wait of its own (a serial process's turn) that must also end on these
// events. on_stop runs under the signal's lock: it may take its own lock and
// notify, never call back into this file.
class StopListener {
public:
  virtual void on_stop() noexcept = 0;

protected:
  ~StopListener() = default;
};

// Registered for its lifetime; the destructor waits for a running on_stop.
class StopSubscription {
public:
  explicit StopSubscription(StopListener& listener);
  ~StopSubscription();
  StopSubscription(const StopSubscription&) = delete;
  StopSubscription& operator=(const StopSubscription&) = delete;

private:
  StopListener& listener_;
};

// Blocks until until_ns (clock_ns; 0 = no limit of its own) or until the call
// of ctx is stopped: PHOST_OK, PHOST_E_TIMEOUT (its deadline came first) or
// PHOST_E_CANCELLED (cancelled, or its host is being destroyed).
phost_status wait_while_running(const phost_call_ctx& ctx, int64_t until_ns);

}  // namespace phost
