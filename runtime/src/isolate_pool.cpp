#include "isolate_pool.hpp"

#include <phost/value.hpp>

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace phost::v8rt {
namespace {

// What this thread does with each pool: the slot it holds (nested calls
// re-enter it) and the one it used last (V8 switches an isolate between
// threads at a cost, and this thread's locker is parked on it, so a thread
// prefers its own). Keyed by a pool id that is never reused, so a record of
// a destroyed pool never matches a new one at the same address.
struct PoolUse {
  uint64_t pool_id;  // 0: unused
  void* held;        // IsolatePool::Entry*; with depth 0, a slot this thread keeps between calls
  unsigned depth;
  void* last;        // IsolatePool::Entry*, only a preference
  bool keep;         // keep the slot between calls (IsolatePool::keep)
  bool exit_hook;    // this thread gives back what it keeps as it exits
};
constexpr size_t kPoolUses = 16;  // pools one thread uses at once; more evict the oldest idle one
thread_local PoolUse tls_pools[kPoolUses];
thread_local size_t tls_next_evict = 0;

std::atomic<uint64_t> g_next_pool_id{1};

// The pools alive, by id: an exiting thread gives back the slots it keeps
// only to a pool still there. Never destroyed (threads exit after main).
std::mutex& live_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
std::unordered_map<uint64_t, IsolatePool*>& live_pools() {
  static auto* pools = new std::unordered_map<uint64_t, IsolatePool*>;
  return *pools;
}

// Slots abandoned by closed pools: their keepers still hold the isolates, so
// they are never destroyed; kept reachable here.
std::vector<std::unique_ptr<IsolateSlot>>& abandoned_slots() {
  static auto* slots = new std::vector<std::unique_ptr<IsolateSlot>>;
  return *slots;
}

// A thread keeping a slot should give it back before its host goes; this
// long is waited for it.
constexpr auto kKeptWait = std::chrono::seconds(2);

PoolUse& use_of(uint64_t pool_id) {
  PoolUse* unused = nullptr;
  for (PoolUse& u : tls_pools) {
    if (u.pool_id == pool_id) return u;
    if (!unused && u.pool_id == 0) unused = &u;
  }
  // All taken: evict an idle one, round-robin so that one pool is not evicted each time.
  for (size_t k = 0; !unused && k < kPoolUses; ++k) {
    PoolUse& u = tls_pools[(tls_next_evict + k) % kPoolUses];
    if (!u.held) {
      unused = &u;
      tls_next_evict = (tls_next_evict + k + 1) % kPoolUses;
    }
  }
  if (!unused) throw Error(500, "a thread is inside calls of more than 16 script runtimes at once", PHOST_E_LIMIT);
  *unused = PoolUse{pool_id, nullptr, 0, nullptr, false, false};
  return *unused;
}

// Cancellation is a flag the application sets, not an event we are told of,
// so a waiter looks at it this often.
constexpr auto kCancelPoll = std::chrono::milliseconds(5);
// How long an exiting thread waits for the slot its locker is parked on. A
// slot's holder may be waiting for that very thread to exit (a handler
// joining it), so the wait is bounded; past it V8 keeps the thread's state
// (~10 KB) until the isolate is replaced or disposed.
constexpr auto kReclaimWait = std::chrono::milliseconds(250);

}  // namespace

IsolatePool::IsolatePool(std::vector<std::unique_ptr<IsolateSlot>> slots)
    : id_(g_next_pool_id++), slots_(std::move(slots)), entries_(std::make_unique<Entry[]>(slots_.size())) {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Entry& e = entries_[i];
    e.slot = slots_[i].get();
    e.slot->lock_anchor().attach([this, &e](const std::function<void()>& fn) { return reclaim(e, fn); });
  }
  std::lock_guard lock(live_mutex());
  live_pools().emplace(id_, this);
}

IsolatePool::~IsolatePool() {
  close();
  {
    std::lock_guard lock(live_mutex());  // an exiting thread giving a slot back is done with this pool
    live_pools().erase(id_);
  }
  for (PoolUse& u : tls_pools)
    if (u.pool_id == id_) u = PoolUse{};
  for (size_t i : abandoned_) {
    std::lock_guard lock(live_mutex());
    abandoned_slots().push_back(std::move(slots_[i]));
  }
}

bool IsolatePool::try_take(Entry& e, const phost_call_ctx* ctx) noexcept {
  if (e.reclaiming.load()) return false;
  bool expected = false;
  if (!e.busy.compare_exchange_strong(expected, true)) return false;
  e.holder.store(ctx, std::memory_order_relaxed);
  return true;
}

IsolatePool::Lease IsolatePool::lease(int64_t deadline_ns, const phost_call_ctx* ctx) {
  PoolUse& use = use_of(id_);
  if (use.held && use.depth == 0) {  // the slot this thread kept: already entered
    auto* e = static_cast<Entry*>(use.held);
    if (!unkeep(*e)) {  // close() abandoned it
      use.held = nullptr;
      use.keep = false;
      throw Error(503, "the script runtime is shutting down", PHOST_E_CANCELLED);
    }
    // Left only from the top of this thread's isolates; under another
    // runtime's call it stays kept until this thread's next call from the top.
    const bool on_top = e->slot->on_top();
    if (closed_.load()) {
      if (on_top) give_back(*e, &use);
      else e->kept.store(kKept);
      throw Error(503, "the script runtime is shutting down", PHOST_E_CANCELLED);
    }
    if (!on_top || !e->slot->must_leave()) {
      e->holder.store(ctx, std::memory_order_relaxed);
      use.depth = 1;
      return Lease(*this, e, &use, true, true);
    }
    give_back(*e, &use);  // its isolate ran out of memory under another runtime's call: replaced now
  }
  if (use.held) {
    ++use.depth;
    return Lease(*this, static_cast<Entry*>(use.held), &use, false);
  }
  auto* last = static_cast<Entry*>(use.last);
  Entry* e = last && try_take(*last, ctx) ? last : &wait_for_free(last, deadline_ns, ctx);
  if (closed_.load()) {
    // close() saw this slot busy or this lease sees close(): never both missed.
    release(*e);
    throw Error(503, "the script runtime is shutting down", PHOST_E_CANCELLED);
  }
  // Kept only as the bottom of this thread's isolates, so that it is left
  // last: V8 restores, as it leaves one, the isolate entered before it.
  const bool outermost = v8::Isolate::TryGetCurrent() == nullptr;
  try {
    e->slot->enter();
  } catch (...) {
    release(*e);
    throw;
  }
  use.last = e;
  use.held = e;
  use.depth = 1;
  return Lease(*this, e, &use, true, outermost);
}

IsolatePool::Entry& IsolatePool::wait_for_free(Entry* preferred, int64_t deadline_ns, const phost_call_ctx* ctx) {
  std::unique_lock lock(mutex_);
  ++waiters_;
  struct Leave {
    std::atomic<int>& waiters;
    ~Leave() { --waiters; }
  } leave{waiters_};
  for (;;) {
    if (closed_.load()) throw Error(503, "the script runtime is shutting down", PHOST_E_CANCELLED);
    if (preferred && try_take(*preferred, ctx)) return *preferred;
    for (size_t i = slots_.size(); i-- > 0;)
      if (try_take(entries_[i], ctx)) return entries_[i];
    if (held_by_own_chain(ctx))
      throw Error(409,
                  "every isolate (" + std::to_string(slots_.size()) +
                      ") is held by this call's own chain, which would wait for itself; raise 'isolates'",
                  PHOST_E_LIMIT);
    // The host being destroyed waits for this call, which may wait for a slot
    // the destroying thread keeps (runtime.keep_isolate) until the runtime
    // closes, after the host's wait. (Before ctx_cancelled, since older
    // hosts' ctx_cancelled does not say it; ctx_wait always has.)
    if (host_closing(ctx))
      throw Error(503, "the host is being destroyed while this call waited for a free isolate", PHOST_E_CANCELLED);
    if (ctx && api().ctx_cancelled(ctx)) {
      const bool timed_out = deadline_ns && api().clock_ns() >= deadline_ns;
      if (!timed_out) throw Error(499, "call cancelled while waiting for a free isolate", PHOST_E_CANCELLED);
    }
    auto wait = std::chrono::nanoseconds(kCancelPoll);
    if (deadline_ns) {
      const int64_t left = deadline_ns - api().clock_ns();
      if (left <= 0)
        throw Error(408,
                    "no isolate became free before the call's deadline (all " + std::to_string(slots_.size()) +
                        " are busy; raise 'isolates' or look for calls that wait on each other)",
                    PHOST_E_TIMEOUT);
      wait = std::min(wait, std::chrono::nanoseconds(left));
    }
    changed_.wait_for(lock, wait);
  }
}

IsolatePool::Lease::~Lease() {
  PoolUse& use = *static_cast<PoolUse*>(use_);
  if (pushed_) entry_->slot->pop();
  if (!owned_) {
    --use.depth;
    return;
  }
  use.depth = 0;
  // Pushed: kept, and entered before the isolate on top, it cannot be left now.
  if (pushed_ || (use.keep && outermost_ && !entry_->slot->must_leave() && !pool_.closed_.load())) {
    entry_->holder.store(nullptr, std::memory_order_relaxed);  // no call of this thread's is running on it
    // Release only: close() polls, and a kept slot is taken back by unkeep's CAS.
    entry_->kept.store(kKept, std::memory_order_release);
    return;
  }
  pool_.give_back(*entry_, use_);
}

bool IsolatePool::unkeep(Entry& e) noexcept {
  uint8_t kept = kKept;
  return e.kept.compare_exchange_strong(kept, kNotKept);
}

void IsolatePool::give_back(Entry& e, void* use) noexcept {
  auto& u = *static_cast<PoolUse*>(use);
  u.held = nullptr;
  u.depth = 0;
  e.slot->leave();
  release(e);
}

void IsolatePool::keep(bool on) {
  PoolUse& use = use_of(id_);
  // Left only from the top of this thread's isolates (Lease): not from inside another runtime's call.
  if (use.depth || (!on && use.held && !static_cast<Entry*>(use.held)->slot->on_top()))
    throw Error(409, "an isolate can be kept or given back only between calls", PHOST_E_INVALID_ARG);
  use.keep = on;
  if (on && !use.exit_hook) {
    // As this thread exits, what it keeps goes back to the pool, if the pool is still there.
    LockAnchor::at_thread_exit([id = id_] {
      for (PoolUse& u : tls_pools) {
        if (u.pool_id != id || !u.held || u.depth) continue;
        std::lock_guard lock(live_mutex());
        const auto pool = live_pools().find(id);
        auto* e = static_cast<Entry*>(u.held);
        if (pool != live_pools().end() && e->slot->on_top() && unkeep(*e))
          pool->second->give_back(*e, &u);
      }
    });
    use.exit_hook = true;
  }
  if (on || !use.held) return;
  auto* e = static_cast<Entry*>(use.held);
  if (unkeep(*e)) give_back(*e, &use);
  else use.held = nullptr;  // abandoned by close()
}

void IsolatePool::release(Entry& e) noexcept {
  e.holder.store(nullptr, std::memory_order_relaxed);
  e.busy.store(false);
  // A waiter counts itself before it looks for a free slot, and waits
  // under the mutex: either it sees this slot free, or it is woken here.
  if (waiters_.load() > 0) {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
  }
}

bool IsolatePool::reclaim(Entry& e, const std::function<void()>& fn) noexcept {
  bool took = false;
  {
    std::unique_lock lock(mutex_);
    ++waiters_;
    e.reclaiming.store(true);  // leases pass it by from now on
    changed_.wait_for(lock, kReclaimWait, [&] {
      if (closed_.load()) return true;
      bool expected = false;
      took = e.busy.compare_exchange_strong(expected, true);
      return took;
    });
    e.reclaiming.store(false);
    --waiters_;
  }
  if (took && !closed_.load()) fn();
  if (took) release(e);
  else {
    std::lock_guard lock(mutex_);
    changed_.notify_all();  // a lease may have passed this slot by while it was wanted
  }
  return took;
}

bool IsolatePool::held_by_own_chain(const phost_call_ctx* ctx) const noexcept {
  if (!ctx || !PHOST_API_HAS(&api(), ctx_within)) return false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!entries_[i].busy.load()) return false;  // busy first: it orders the holder read after it
    const phost_call_ctx* holder = entries_[i].holder.load();
    if (!holder || !api().ctx_within(ctx, holder)) return false;
  }
  return true;
}

void IsolatePool::close() {
  // A slot this thread keeps goes back first; others' are waited for.
  for (PoolUse& use : tls_pools) {
    if (use.pool_id != id_ || !use.held || use.depth) continue;
    use.keep = false;
    auto* e = static_cast<Entry*>(use.held);
    if (!e->slot->on_top()) continue;  // inside another runtime's call: abandoned like another thread's
    if (unkeep(*e)) give_back(*e, &use);
  }
  closed_.store(true);
  {
    std::unique_lock lock(mutex_);
    changed_.notify_all();  // waiters and exiting threads give up
    const auto give_up = std::chrono::steady_clock::now() + kKeptWait;
    auto leased = [&] {
      bool any = false;
      for (size_t i = 0; i < slots_.size(); ++i) {
        Entry& e = entries_[i];
        if (!e.busy.load() || e.kept.load() == kAbandoned) continue;
        uint8_t kept = kKept;
        if (std::chrono::steady_clock::now() >= give_up && e.kept.compare_exchange_strong(kept, kAbandoned)) {
          e.slot->log(PHOST_LOG_ERROR, "a thread still keeps this isolate (runtime.keep_isolate) as the runtime "
                                       "closes: it is abandoned, never disposed");
          abandoned_.push_back(i);
          continue;
        }
        any = true;
      }
      return any;
    };
    while (leased()) {
      for (size_t i = 0; i < slots_.size(); ++i)
        if (entries_[i].kept.load() == kNotKept) slots_[i]->stop(StopReason::shutdown);
      changed_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
  // Not under mutex_: an exiting thread holds an anchor's mutex while it waits for the pool.
  for (auto& s : slots_) s->lock_anchor().detach();
}

}  // namespace phost::v8rt
