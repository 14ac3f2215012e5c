// The runtime's isolates and who holds them. A calling thread leases a free
// slot and runs its call itself under a v8::Locker (handing each call to an
// isolate-owning thread cost 2-90 us per call on our VMs); a nested call made
// from JS on the same thread (JS -> Process() -> scripts.*) re-enters the
// slot the thread already holds. What a thread holds is kept per pool, so a
// thread inside host A's call that calls into host B never runs B's scripts
// in A's isolate. Between calls a thread's locker stays parked on the slot it
// used (parked_lock.hpp), and the pool prefers that slot for its next call.
#pragma once

#include "isolate_slot.hpp"

#include <phost/plugin_api.h>

#include <condition_variable>
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

  class Lease {
  public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    IsolateSlot& slot() const noexcept { return *slot_; }
    IsolateSlot* operator->() const noexcept { return slot_; }

  private:
    friend class IsolatePool;
    Lease(IsolatePool& pool, IsolateSlot* slot, bool owned) noexcept : pool_(pool), slot_(slot), owned_(owned) {}
    IsolatePool& pool_;
    IsolateSlot* slot_;
    bool owned_;  // false when re-entering this thread's slot
  };

  // The slot this thread holds, or a free one. Waits while every slot is
  // busy, but never past deadline_ns (0 = none) nor once ctx is cancelled.
  // Throws phost::Error: 408, 499, 503 once the pool is closed, and 409 at
  // once when every slot is held by ctx's own call chain (it would wait for
  // itself).
  Lease lease(int64_t deadline_ns, const phost_call_ctx* ctx);

  // Refuses new leases, stops running calls and waits until none is held.
  // Lockers parked on its slots are forgotten from then on.
  void close();

  size_t size() const noexcept { return slots_.size(); }
  template <class Fn>
  void for_each(Fn&& fn) {
    for (auto& s : slots_) fn(*s);
  }

private:
  void release(IsolateSlot* slot) noexcept;
  // An exiting thread releasing its parked locker: runs fn while holding
  // slot, before any lease takes it; false when the slot stayed busy for
  // kReclaimWait or the pool closed.
  bool reclaim(IsolateSlot* slot, const std::function<void()>& fn) noexcept;
  std::vector<IsolateSlot*>::iterator pick_free(IsolateSlot* preferred) noexcept;
  bool held_by_own_chain(const phost_call_ctx* ctx) const noexcept;

  std::vector<std::unique_ptr<IsolateSlot>> slots_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<IsolateSlot*> free_;
  std::vector<IsolateSlot*> reclaiming_;  // slots exiting threads wait for
  std::vector<std::pair<IsolateSlot*, const phost_call_ctx*>> holders_;  // leased slots and their calls
  size_t leased_ = 0;
  bool closed_ = false;
};

}  // namespace phost::v8rt
