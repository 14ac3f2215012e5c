#include "watchdog.hpp"

#include <phost/value.hpp>

#include <v8-isolate.h>

#include <algorithm>
#include <chrono>

namespace phost::v8rt {
namespace {

constexpr auto kTick = std::chrono::milliseconds(2);
// Keep ticking this long after the last armed guard: calls come in bursts,
// and a sleep/wake pair costs more than a few ticks.
constexpr auto kLinger = std::chrono::milliseconds(200);

}  // namespace

bool host_closing(const phost_call_ctx* ctx) noexcept {
  if (!ctx || !PHOST_API_HAS(&api(), ctx_wait)) return false;
  if (api().ctx_wait(const_cast<phost_call_ctx*>(ctx), api().clock_ns()) != PHOST_E_CANCELLED) return false;
  phost_error e{};
  e.struct_size = sizeof e;
  api().last_error(&e);
  return e.code == 503;
}

CallTimer::CallTimer(Watchdog& watchdog) : watchdog_(watchdog) { watchdog_.add(this); }

CallTimer::~CallTimer() { watchdog_.remove(this); }

void CallTimer::attach(v8::Isolate* isolate) noexcept {
  std::lock_guard lock(lock_);
  isolate_ = isolate;
}

StopReason CallTimer::reason() const noexcept { return reason_.load(); }

void CallTimer::terminate_locked(StopReason reason) noexcept {
  if (reason_ != StopReason::none || !isolate_) return;
  reason_ = reason;
  isolate_->TerminateExecution();  // thread-safe; the chain unwinds on its own thread
}

bool CallTimer::check(int64_t now_ns) noexcept {
  std::lock_guard lock(lock_);
  if (armed_.empty()) return false;
  if (reason_ != StopReason::none) {
    // Again, until the chain has unwound: a TryCatch in the embedder's code
    // (or V8's own) may have swallowed the first termination.
    if (isolate_) isolate_->TerminateExecution();
    return true;
  }
  for (const Armed& a : armed_) {
    if (a.deadline_ns && now_ns >= a.deadline_ns) {
      terminate_locked(StopReason::timeout);
      break;
    }
    // ctx_cancelled is also true once the ctx's own deadline has passed (our
    // deadline is never later than the ctx's, so the clock tells which) and
    // once its host is being destroyed (stop_error tells that from a cancel).
    if (a.ctx && api().ctx_cancelled(a.ctx)) {
      terminate_locked(a.deadline_ns && api().clock_ns() >= a.deadline_ns ? StopReason::timeout
                                                                           : StopReason::cancelled);
      break;
    }
  }
  return true;
}

void CallTimer::stop(StopReason reason) noexcept {
  std::lock_guard lock(lock_);
  if (!armed_.empty()) terminate_locked(reason);
}

DeadlineGuard::DeadlineGuard(CallTimer& timer, int64_t deadline_ns, const phost_call_ctx* ctx) : timer_(timer) {
  {
    std::lock_guard lock(timer_.lock_);
    // A nested guard is never looser than the one around it.
    if (!timer_.armed_.empty()) {
      const int64_t outer = timer_.armed_.back().deadline_ns;
      if (outer && (!deadline_ns || outer < deadline_ns)) deadline_ns = outer;
    }
    outermost_ = timer_.armed_.empty();
    timer_.armed_.push_back({deadline_ns, ctx});
  }
  deadline_ns_ = deadline_ns;
  if (outermost_) timer_.watchdog_.wake();
}

bool DeadlineGuard::take_own_timeout() noexcept {
  if (outermost_) return false;
  std::lock_guard lock(timer_.lock_);
  const size_t n = timer_.armed_.size();
  if (n < 2 || timer_.reason_ != StopReason::timeout) return false;
  const CallTimer::Armed& outer = timer_.armed_[n - 2];
  const int64_t now = api().clock_ns();
  resume_ = deadline_ns_ && now >= deadline_ns_ && (!outer.deadline_ns || now < outer.deadline_ns) &&
            !(outer.ctx && api().ctx_cancelled(outer.ctx));
  return resume_;
}

DeadlineGuard::~DeadlineGuard() {
  v8::Isolate* isolate;
  StopReason reason;
  {
    std::lock_guard lock(timer_.lock_);
    timer_.armed_.pop_back();
    if (!outermost_ && resume_) {
      // The watchdog sees no stop from here on: the caller's deadline has not passed.
      timer_.reason_.store(StopReason::none, std::memory_order_relaxed);
      if (timer_.isolate_) timer_.isolate_->CancelTerminateExecution();
      return;
    }
    if (!outermost_) return;
    isolate = timer_.isolate_;
    reason = timer_.reason_.load(std::memory_order_relaxed);
    // Under lock_, like every write: no exchange needed (one per call saved).
    if (reason != StopReason::none) timer_.reason_.store(StopReason::none, std::memory_order_relaxed);
  }
  // Disarmed first, so the watchdog cannot terminate again after this.
  if (isolate && (reason != StopReason::none || isolate->IsExecutionTerminating())) isolate->CancelTerminateExecution();
}

Watchdog::Watchdog() : thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::add(CallTimer* timer) {
  std::lock_guard lock(mutex_);
  timers_.push_back(timer);
}

void Watchdog::remove(CallTimer* timer) {
  std::lock_guard lock(mutex_);
  timers_.erase(std::remove(timers_.begin(), timers_.end(), timer), timers_.end());
}

void Watchdog::wake() noexcept {
  if (!sleeping_.load()) return;
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Watchdog::run() {
  auto scan = [this] {
    bool armed = false;
    const int64_t now = api().clock_ns();
    for (CallTimer* t : timers_) armed = t->check(now) || armed;
    return armed;
  };
  auto last_armed = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    if (scan()) last_armed = now;
    if (now - last_armed < kLinger) {
      cv_.wait_for(lock, kTick);
      continue;
    }
    // Announce the sleep before the last look: a guard that arms after that
    // look sees the flag and wakes us.
    woken_ = false;
    sleeping_.store(true);
    if (!scan()) cv_.wait(lock, [this] { return stopping_ || woken_; });
    sleeping_.store(false);
    last_armed = std::chrono::steady_clock::now();
  }
}

}  // namespace phost::v8rt
