// A process-wide wake-up for threads that wait while a call runs (ctx_wait):
// sent when something that can stop a call happens (a cancel token triggers,
// a host starts being destroyed). Such events are rare, so one broadcast for
// all waiters is cheaper than a wait list per token.
#pragma once

#include "call_context.hpp"

namespace phost {

void notify_stop_waiters() noexcept;

// Blocks until until_ns (clock_ns; 0 = no limit of its own) or until the call
// of ctx is stopped: PHOST_OK, PHOST_E_TIMEOUT (its deadline came first) or
// PHOST_E_CANCELLED (cancelled, or its host is being destroyed).
phost_status wait_while_running(const phost_call_ctx& ctx, int64_t until_ns);

}  // namespace phost
