// The runtime's isolates and who holds them. A calling thread leases a free
// slot and runs its call itself under a v8::Locker (handing each call to an
// isolate-owning thread cost 2-90 us per call on our VMs); a nested call made
// from JS on the same thread (JS -> Process() -> scripts.*) re-enters the
// slot the thread already holds. What a thread holds is kept per pool, so a
// thread inside host A's call that calls into host B never runs B's scripts
// in A's isolate. Between calls a thread's locker stays parked on the slot it
// used (parked_lock.hpp), and the pool prefers that slot for its next call.
//
// A thread may also keep its slot between calls (keep(): the application
// asks for it through runtime.keep_isolate): the slot stays leased to it,
// locked and entered, and its next call skips taking the isolate again
// (issue 14: the lease was a third of a small call). Other threads use the
// other slots meanwhile, or wait for it. It is given back by keep(false),
// at the thread's exit, or, past a bounded wait, abandoned when the pool
// closes (the isolate is then never disposed: its keeper still holds it).
#pragma once

#include "isolate_slot.hpp"

#include <phost/plugin_api.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace phost::v8rt {

class IsolatePool {
public:
  explicit IsolatePool(std::vector<std::unique_ptr<IsolateSlot>> slots);
  ~IsolatePool();  // after close()
  IsolatePool(const IsolatePool&) = delete;
  IsolatePool& operator=(const IsolatePool&) = delete;

  class Lease;

private:
  // One slot and who holds it. Taking and giving back a slot are atomic
  // operations, not a lock: the pool's mutex is only for waiting.
  struct alignas(64) Entry {  // a cache line each: threads on different slots share nothing here
    IsolateSlot* slot = nullptr;
    std::atomic<bool> busy{false};
    std::atomic<bool> reclaiming{false};  // an exiting thread waits for it: leases pass it by
    std::atomic<uint8_t> kept{kNotKept};   // busy and idle, kept by the thread that used it last
    // The call holding it, only ever compared with a ctx's chain (ctx_within
    // never reads it), so a stale value is harmless: stored relaxed.
    std::atomic<const phost_call_ctx*> holder{nullptr};
  };

public:
  class Lease {
  public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    IsolateSlot& slot() const noexcept { return *entry_->slot; }
    IsolateSlot* operator->() const noexcept { return entry_->slot; }

  private:
    friend class IsolatePool;
    Lease(IsolatePool& pool, Entry* entry, void* use, bool owned, bool outermost = false) noexcept
        : pool_(pool), entry_(entry), use_(use), owned_(owned), outermost_(outermost) {
      // Held by this thread, but another isolate was entered after it (a
      // call into another runtime calling back, or this one kept under it).
      if (!entry_->slot->on_top()) {
        entry_->slot->push();
        pushed_ = true;
      }
    }
    IsolatePool& pool_;
    Entry* entry_;
    void* use_;       // this thread's record of the pool
    bool owned_;      // false when re-entering this thread's slot
    bool outermost_;  // no other isolate was entered on this thread under it: it may be kept
    bool pushed_ = false;
  };

  // The slot this thread holds, or a free one (the one it used last if it
  // is free). Waits while every slot is busy, but never past deadline_ns
  // (0 = none) nor once ctx is cancelled. Throws phost::Error: 408, 499, 503
  // once the pool is closed, and 409 at once when every slot is held by
  // ctx's own call chain (it would wait for itself).
  Lease lease(int64_t deadline_ns, const phost_call_ctx* ctx);

  // Whether this thread keeps the slot it leases between its calls. Turned
  // off, a slot kept idle is given back at once. Not while inside a call.
  void keep(bool on);

  // Refuses new leases, stops running calls and waits until none is held;
  // a slot a thread keeps is abandoned if it is not given back within
  // kKeptWait. Lockers parked on its slots are forgotten from then on.
  void close();

  size_t size() const noexcept { return slots_.size(); }
  template <class Fn>
  void for_each(Fn&& fn) {
    for (auto& s : slots_) fn(*s);
  }

private:
  static constexpr uint8_t kNotKept = 0, kKept = 1, kAbandoned = 2;
  bool try_take(Entry& e, const phost_call_ctx* ctx) noexcept;
  // Takes e out of the kept state for its keeper; false when close() abandoned it.
  static bool unkeep(Entry& e) noexcept;
  // Ends this thread's lease of e: leaves the isolate and frees the slot.
  void give_back(Entry& e, void* use) noexcept;
  Entry& wait_for_free(Entry* preferred, int64_t deadline_ns, const phost_call_ctx* ctx);
  void release(Entry& e) noexcept;
  // An exiting thread releasing its parked locker: runs fn while holding
  // e's slot, before any lease takes it; false when the slot stayed busy
  // for kReclaimWait or the pool closed.
  bool reclaim(Entry& e, const std::function<void()>& fn) noexcept;
  bool held_by_own_chain(const phost_call_ctx* ctx) const noexcept;

  const uint64_t id_;  // never reused: threads' records of a destroyed pool never match another
  std::vector<std::unique_ptr<IsolateSlot>> slots_;
  std::unique_ptr<Entry[]> entries_;
  std::atomic<bool> closed_{false};
  std::atomic<int> waiters_{0};  // threads in wait_for_free or reclaim: a release wakes them
  std::vector<size_t> abandoned_;  // slots close() gave up on: never destroyed
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace phost::v8rt
