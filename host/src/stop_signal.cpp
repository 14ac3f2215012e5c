#include "stop_signal.hpp"

#include "host.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace phost {
namespace {

std::mutex& stop_mutex() {
  static std::mutex m;
  return m;
}
std::condition_variable& stop_cv() {
  static std::condition_variable cv;
  return cv;
}

// Guarded by stop_mutex(); one entry per subscription.
std::vector<StopListener*>& listeners() {
  static std::vector<StopListener*> list;
  return list;
}

// Why ctx's call cannot run on: PHOST_OK while it can.
phost_status stopped(const phost_call_ctx& ctx) noexcept {
  if (ctx.host->closing()) return PHOST_E_CANCELLED;
  if (const phost_status s = scope_stopped(*ctx.scope)) return s;
  const int64_t own = ctx.own_deadline_ns.load(std::memory_order_relaxed);
  return own && deadline_passed(own) ? PHOST_E_TIMEOUT : PHOST_OK;
}

}  // namespace

void notify_stop_waiters() noexcept {
  {
    std::lock_guard lock(stop_mutex());  // a waiter between its check and its wait sees the event
    for (StopListener* listener : listeners()) listener->on_stop();
  }
  stop_cv().notify_all();
}

StopSubscription::StopSubscription(StopListener& listener) : listener_(listener) {
  std::lock_guard lock(stop_mutex());
  listeners().push_back(&listener_);
}

StopSubscription::~StopSubscription() {
  std::lock_guard lock(stop_mutex());
  auto& list = listeners();
  list.erase(std::find(list.begin(), list.end(), &listener_));
}

phost_status wait_while_running(const phost_call_ctx& ctx, int64_t until_ns) {
  const int64_t deadline = earlier(ctx.scope->deadline_ns, ctx.own_deadline_ns.load(std::memory_order_relaxed));
  const int64_t end = earlier(until_ns, deadline);
  std::unique_lock lock(stop_mutex());
  for (;;) {
    if (const phost_status s = stopped(ctx)) return s;
    if (until_ns && clock_ns() >= until_ns) return PHOST_OK;
    if (!end) {
      stop_cv().wait(lock);
    } else {
      const std::chrono::steady_clock::time_point at{std::chrono::nanoseconds(end)};
      stop_cv().wait_until(lock, at);
    }
  }
}

}  // namespace phost
