#include "parked_lock.hpp"

#include <v8-isolate.h>
#include <v8-locker.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace phost::v8rt {

// A thread's outer Locker on one isolate, and the Unlocker that parks it.
// Both are ended explicitly, or never: a locker of a disposed isolate must
// not run its destructor.
struct LockAnchor::Parked {
  Parked(std::shared_ptr<LockAnchor> a, uint64_t g, v8::Isolate* isolate) : anchor(std::move(a)), generation(g) {
    std::construct_at(&locker, isolate);
  }
  ~Parked() {}
  Parked(const Parked&) = delete;
  Parked& operator=(const Parked&) = delete;

  std::shared_ptr<LockAnchor> anchor;
  uint64_t generation;
  bool parked = false;  // the unlocker is constructed
  union {
    v8::Locker locker;
  };
  union {
    v8::Unlocker unlocker;  // while parked
  };
};

// This thread's lockers, active or parked; released as the thread exits.
struct ThreadLocks {
  std::vector<std::unique_ptr<LockAnchor::Parked>> held;
  std::vector<std::function<void()>> at_exit;
  ThreadLocks() = default;
  ThreadLocks(const ThreadLocks&) = delete;
  ThreadLocks& operator=(const ThreadLocks&) = delete;
  ~ThreadLocks() {
    for (auto& fn : at_exit) fn();
    for (auto& p : held) p->anchor->release_at_exit(*p);
  }
};

namespace {
thread_local ThreadLocks tls_locks;
}  // namespace

void LockAnchor::at_thread_exit(std::function<void()> fn) { tls_locks.at_exit.push_back(std::move(fn)); }

void LockAnchor::attach(Hold hold) {
  std::lock_guard lock(mutex_);
  hold_ = std::move(hold);
  detached_ = false;
}

void LockAnchor::detach() noexcept {
  std::lock_guard lock(mutex_);
  hold_ = nullptr;
  detached_ = true;
}

bool LockAnchor::stale(const Parked& p) const noexcept {
  return p.anchor->detached_.load() || p.generation != p.anchor->generation_.load();
}

bool LockAnchor::lock() {
  auto& held = tls_locks.held;
  const uint64_t generation = generation_.load();
  for (auto& p : held) {
    if (p->anchor.get() != this || p->generation != generation) continue;
    std::destroy_at(&p->unlocker);  // locks again; V8 restores this thread's state
    p->parked = false;
    --parked_;
    active_ = p.get();
    return false;
  }
  // Lockers of replaced isolates and closed pools are forgotten here (and at exit).
  std::erase_if(held, [this](const auto& p) { return stale(*p); });
  held.push_back(std::make_unique<Parked>(shared_from_this(), generation, isolate_));
  active_ = held.back().get();
  return true;
}

void LockAnchor::unlock(bool park) noexcept {
  Parked* p = std::exchange(active_, nullptr);
  if (park && parked_ < kMaxParked) {
    std::construct_at(&p->unlocker, isolate_);
    p->parked = true;
    ++parked_;
    return;
  }
  std::destroy_at(&p->locker);  // frees this thread's V8 state and unlocks
  std::erase_if(tls_locks.held, [p](const auto& held) { return held.get() == p; });
}

void LockAnchor::release_own() noexcept {
  const uint64_t generation = generation_.load();
  std::erase_if(tls_locks.held, [&](const auto& p) {
    if (p->anchor.get() != this || p->generation != generation || p.get() == active_) return false;
    std::destroy_at(&p->unlocker);
    std::destroy_at(&p->locker);
    --parked_;
    return true;
  });
}

void LockAnchor::replace(v8::Isolate* isolate) noexcept {
  isolate_ = isolate;
  parked_ = 0;
  ++generation_;
}

void LockAnchor::release_at_exit(Parked& p) noexcept {
  std::lock_guard lock(mutex_);
  if (!hold_ || stale(p)) return;  // forgotten: V8 frees it with the isolate
  if (!p.parked) return;           // still locked: a kept slot its pool abandoned
  hold_([&] {
    if (stale(p)) return;  // replaced while this thread waited
    std::destroy_at(&p.unlocker);
    std::destroy_at(&p.locker);
    --parked_;
    // The table entry V8 made when this thread first entered the isolate.
    isolate_->DiscardThreadSpecificMetadata();
  });
}

}  // namespace phost::v8rt
