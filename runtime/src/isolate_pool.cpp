#include "isolate_pool.hpp"

#include <phost/value.hpp>

#include <algorithm>
#include <chrono>

namespace phost::v8rt {
namespace {

// What this thread holds, per pool: nested calls re-enter it.
struct Held {
  const IsolatePool* pool;
  IsolateSlot* slot;
  unsigned depth;
};
thread_local std::vector<Held> tls_held;
// The slot this thread used last, per pool: V8 switches an isolate between
// threads at a cost, so a thread prefers its own. Only a preference.
struct LastUsed {
  const IsolatePool* pool;
  IsolateSlot* slot;
};
thread_local std::vector<LastUsed> tls_last;

Held* held_by_this_thread(const IsolatePool* pool) noexcept {
  for (Held& h : tls_held)
    if (h.pool == pool) return &h;
  return nullptr;
}

IsolateSlot*& last_used(const IsolatePool* pool) {
  for (LastUsed& l : tls_last)
    if (l.pool == pool) return l.slot;
  if (tls_last.size() >= 16) tls_last.erase(tls_last.begin());  // threads outliving many hosts
  return tls_last.emplace_back(LastUsed{pool, nullptr}).slot;
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

IsolatePool::IsolatePool(std::vector<std::unique_ptr<IsolateSlot>> slots) : slots_(std::move(slots)) {
  for (auto& s : slots_) {
    free_.push_back(s.get());
    s->lock_anchor().attach([this, slot = s.get()](const std::function<void()>& fn) { return reclaim(slot, fn); });
  }
}

IsolatePool::~IsolatePool() {
  close();
  std::erase_if(tls_last, [this](const LastUsed& l) { return l.pool == this; });
}

IsolatePool::Lease IsolatePool::lease(int64_t deadline_ns, const phost_call_ctx* ctx) {
  if (Held* h = held_by_this_thread(this)) {
    ++h->depth;
    return Lease(*this, h->slot, false);
  }
  IsolateSlot* slot = nullptr;
  {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (closed_) throw Error(503, "the script runtime is shutting down", PHOST_E_CANCELLED);
      if (pick_free(nullptr) != free_.end()) break;
      if (held_by_own_chain(ctx))
        throw Error(409,
                    "every isolate (" + std::to_string(slots_.size()) +
                        ") is held by this call's own chain, which would wait for itself; raise 'isolates'",
                    PHOST_E_LIMIT);
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
    IsolateSlot*& last = last_used(this);
    auto it = pick_free(last);
    slot = *it;
    free_.erase(it);
    last = slot;
    ++leased_;
    holders_.emplace_back(slot, ctx);
  }
  try {
    slot->enter();
  } catch (...) {
    release(slot);
    throw;
  }
  tls_held.push_back({this, slot, 1});
  return Lease(*this, slot, true);
}

IsolatePool::Lease::~Lease() {
  Held* h = held_by_this_thread(&pool_);
  if (!owned_) {
    --h->depth;
    return;
  }
  std::erase_if(tls_held, [this](const Held& held) { return held.pool == &pool_; });
  slot_->leave();
  pool_.release(slot_);
}

void IsolatePool::release(IsolateSlot* slot) noexcept {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(slot);
    std::erase_if(holders_, [slot](const auto& h) { return h.first == slot; });
    --leased_;
  }
  changed_.notify_all();
}

std::vector<IsolateSlot*>::iterator IsolatePool::pick_free(IsolateSlot* preferred) noexcept {
  auto wanted = [this](IsolateSlot* s) {
    return std::find(reclaiming_.begin(), reclaiming_.end(), s) != reclaiming_.end();
  };
  if (auto it = std::find(free_.begin(), free_.end(), preferred); it != free_.end() && !wanted(*it)) return it;
  for (auto it = free_.end(); it != free_.begin();)
    if (!wanted(*--it)) return it;
  return free_.end();
}

bool IsolatePool::reclaim(IsolateSlot* slot, const std::function<void()>& fn) noexcept {
  {
    std::unique_lock lock(mutex_);
    reclaiming_.push_back(slot);
    const bool got = changed_.wait_for(lock, kReclaimWait, [&] {
      return closed_ || std::find(free_.begin(), free_.end(), slot) != free_.end();
    });
    reclaiming_.erase(std::find(reclaiming_.begin(), reclaiming_.end(), slot));
    if (!got || closed_) {
      changed_.notify_all();  // a lease may have waited for this slot
      return false;
    }
    free_.erase(std::find(free_.begin(), free_.end(), slot));
    ++leased_;
    holders_.emplace_back(slot, nullptr);
  }
  fn();
  release(slot);
  return true;
}

bool IsolatePool::held_by_own_chain(const phost_call_ctx* ctx) const noexcept {
  if (!ctx || !PHOST_API_HAS(&api(), ctx_within) || holders_.size() < slots_.size()) return false;
  for (const auto& [slot, holder] : holders_)
    if (!holder || !api().ctx_within(ctx, holder)) return false;
  return true;
}

void IsolatePool::close() {
  {
    std::unique_lock lock(mutex_);
    closed_ = true;
    changed_.notify_all();  // exiting threads waiting for a slot give up
    while (leased_ > 0) {
      for (auto& s : slots_) s->stop(StopReason::shutdown);
      changed_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
  // Not under mutex_: an exiting thread holds an anchor's mutex while it waits for the pool.
  for (auto& s : slots_) s->lock_anchor().detach();
}

}  // namespace phost::v8rt
