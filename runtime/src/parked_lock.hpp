// A thread's v8::Locker on one isolate, kept between its calls.
//
// A top-level v8::Locker frees the thread's V8 state when it is released and
// builds it again on the next lock (ThreadManager::FreeThreadResources and
// InitThread: ~1,400 instructions a call). So a thread keeps its outer Locker
// and parks it between calls under a v8::Unlocker: the lock itself is
// released, so any thread may take the isolate at once (V8 then archives the
// parked thread's state), and the parked thread's next lock only restores
// its state, which V8 archives lazily: nearly free when no other thread took
// the isolate meanwhile. No thread ever waits for an idle one.
//
// V8 keeps that state per thread and only its own thread can free it, so a
// thread releases its parked lockers when it exits, holding the isolate's
// slot through the pool for that (bounded: the pool gives up after a while,
// and V8 frees the state with the isolate). A parked locker whose isolate was
// replaced, or whose pool closed, is forgotten: V8 freed its state with the
// isolate. At most kMaxParked threads park on one isolate, which bounds the
// state V8 keeps for idle threads (~10 KB each).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace v8 {
class Isolate;
}

namespace phost::v8rt {

class LockAnchor : public std::enable_shared_from_this<LockAnchor> {
public:
  static constexpr size_t kMaxParked = 8;

  // Runs fn while holding this isolate's slot (waiting a bounded time);
  // false when it could not (the slot stayed busy, or the pool is closing).
  using Hold = std::function<bool(const std::function<void()>& fn)>;

  LockAnchor() = default;
  LockAnchor(const LockAnchor&) = delete;
  LockAnchor& operator=(const LockAnchor&) = delete;

  // The pool: how an exiting thread takes the slot. Detached when the pool
  // closes; parked lockers are forgotten from then on.
  void attach(Hold hold);
  void detach() noexcept;

  // These run on the thread that holds the slot.
  // Locks the isolate for this thread; true when this thread had no parked
  // locker here (its V8 state is new: the stack limit must be set).
  bool lock();
  // Parks this thread's locker (park: true, and fewer than kMaxParked parked
  // here) or releases it.
  void unlock(bool park) noexcept;
  // Before the isolate is disposed: releases this thread's parked locker on
  // it, if any (V8 must not find the disposing thread's own state archived).
  void release_own() noexcept;
  // The isolate now in the slot (after unlock(false) and a new isolate, or
  // nullptr when it is gone): lockers parked on the old one are forgotten.
  void replace(v8::Isolate* isolate) noexcept;

  // How many threads have a locker parked here (tests, stats).
  size_t parked() const noexcept { return parked_; }

  // Runs fn as this thread exits, before its parked lockers are released
  // (a thread giving back a slot it kept parks its locker there first).
  static void at_thread_exit(std::function<void()> fn);

private:
  struct Parked;
  friend struct ThreadLocks;
  void release_at_exit(Parked& parked) noexcept;
  bool stale(const Parked& parked) const noexcept;

  std::mutex mutex_;  // hold_: an exiting thread keeps the pool from closing under it
  Hold hold_;
  std::atomic<bool> detached_{false};
  std::atomic<uint64_t> generation_{0};
  // Only the thread holding the slot touches these.
  v8::Isolate* isolate_ = nullptr;
  Parked* active_ = nullptr;
  size_t parked_ = 0;
};

}  // namespace phost::v8rt
