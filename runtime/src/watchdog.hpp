// Deadlines and cancellation for the calls running in the runtime's isolates.
//
// Every entry into JS on behalf of a call (a call, a script's top level, a
// module's evaluation, result conversion, awaited promises, and every nested
// Process() hop made from any of them) runs inside a DeadlineGuard. Guards
// nest on an isolate's CallTimer; the watchdog thread terminates the isolate
// as soon as any guard on it is past its deadline or its call is cancelled.
// Only the outermost guard clears the termination again, after the whole
// chain has unwound, so a nested hop can never switch the watchdog off for
// its caller.
#pragma once

#include "spin_lock.hpp"

#include <phost/plugin_api.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace v8 {
class Isolate;
}

namespace phost::v8rt {

enum class StopReason { none, timeout, cancelled, shutdown };

// Whether ctx's call was cancelled because its host is being destroyed
// (ctx_wait says so with a 503); on ctx's own thread, once it is stopped.
bool host_closing(const phost_call_ctx* ctx) noexcept;

class Watchdog;

// The guarded calls of one isolate, innermost last.
class CallTimer {
public:
  explicit CallTimer(Watchdog& watchdog);
  ~CallTimer();
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;

  // The isolate to terminate; set again when the isolate is replaced.
  void attach(v8::Isolate* isolate) noexcept;
  // Why the running chain was stopped, if it was.
  StopReason reason() const noexcept;

  // Watchdog side (any thread). True while a guard is armed.
  bool check(int64_t now_ns) noexcept;
  // Stops whatever runs (host shutdown).
  void stop(StopReason reason) noexcept;

private:
  friend class DeadlineGuard;
  struct Armed {
    int64_t deadline_ns;  // 0 = none
    const phost_call_ctx* ctx;
  };
  void terminate_locked(StopReason reason) noexcept;

  Watchdog& watchdog_;
  mutable SpinLock lock_;  // isolate_ and armed_; taken twice per call
  v8::Isolate* isolate_ = nullptr;
  std::vector<Armed> armed_;
  std::atomic<StopReason> reason_{StopReason::none};  // written under lock_, read by the running call without it
};

// Arms a deadline (and ctx's cancellation) for the current scope.
class DeadlineGuard {
public:
  // deadline_ns: monotonic (api().clock_ns()), 0 = none; ctx may be NULL.
  DeadlineGuard(CallTimer& timer, int64_t deadline_ns, const phost_call_ctx* ctx);
  // The outermost guard cancels a termination once the chain has unwound.
  ~DeadlineGuard();
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;

  bool outermost() const noexcept { return outermost_; }
  int64_t deadline_ns() const noexcept { return deadline_ns_; }

  // A nested guard whose own deadline, earlier than its caller's, stopped the
  // chain (an All task's timeout): true, and the chain runs on once this
  // guard is gone, the caller getting this call's 408 as an error.
  bool take_own_timeout() noexcept;

private:
  CallTimer& timer_;
  int64_t deadline_ns_;
  bool outermost_;
  bool resume_ = false;
};

// One thread per runtime; ticks only while some guard is armed.
class Watchdog {
public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

private:
  friend class CallTimer;
  friend class DeadlineGuard;
  void add(CallTimer* timer);
  void remove(CallTimer* timer);
  void wake() noexcept;
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<CallTimer*> timers_;
  std::atomic<bool> sleeping_{false};  // read by every outermost guard, written under mutex_
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace phost::v8rt
