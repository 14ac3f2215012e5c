// Hand-off between an application thread and an isolate thread. Both sides
// spin briefly before sleeping: a call is usually shorter than waking a
// sleeping thread on our VMs (tens of microseconds).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace phost::v8rt {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

inline constexpr int kSpinRounds = 4000;  // about 20-40 us

// A one-shot event.
class Signal {
public:
  void set() noexcept {
    if (state_.exchange(kDone, std::memory_order_acq_rel) == kSleeping) state_.notify_one();
  }
  void wait() noexcept {
    for (int i = 0; i < kSpinRounds; ++i) {
      if (state_.load(std::memory_order_acquire) == kDone) return;
      cpu_relax();
      if (i > kSpinRounds / 2) std::this_thread::yield();
    }
    uint32_t expected = kPending;
    if (state_.compare_exchange_strong(expected, kSleeping, std::memory_order_acq_rel))
      while (state_.load(std::memory_order_acquire) == kSleeping) state_.wait(kSleeping);
  }

private:
  static constexpr uint32_t kPending = 0, kDone = 1, kSleeping = 2;
  std::atomic<uint32_t> state_{kPending};
};

// Tasks for the pool: many producers, the isolate threads consume.
template <class Task>
class TaskQueue {
public:
  void push(Task* task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(task);
      size_.fetch_add(1, std::memory_order_release);
    }
    if (sleepers_.load(std::memory_order_acquire) > 0) ready_.notify_one();
  }

  // nullptr once closed and drained.
  Task* pop() {
    for (int i = 0; i < kSpinRounds; ++i) {
      if (size_.load(std::memory_order_acquire) > 0) {
        std::lock_guard lock(mutex_);
        if (Task* t = take()) return t;
      }
      cpu_relax();
      if (i > kSpinRounds / 2) std::this_thread::yield();
    }
    std::unique_lock lock(mutex_);
    sleepers_.fetch_add(1, std::memory_order_acq_rel);
    ready_.wait(lock, [this] { return !tasks_.empty() || closed_; });
    sleepers_.fetch_sub(1, std::memory_order_acq_rel);
    return take();
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

private:
  Task* take() {
    if (tasks_.empty()) return nullptr;
    Task* t = tasks_.front();
    tasks_.pop_front();
    size_.fetch_sub(1, std::memory_order_release);
    return t;
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task*> tasks_;
  std::atomic<size_t> size_{0};
  std::atomic<int> sleepers_{0};
  bool closed_ = false;
};

}  // namespace phost::v8rt
