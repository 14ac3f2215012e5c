#include "task_pool.hpp"

#include <algorithm>
#include <atomic>
#include <system_error>

namespace phost::v8rt {

struct TaskPool::Batch {
  Batch(const std::function<void(size_t)>& t, size_t n) : task(t), size(n) {}  // clang 14: no aggregate ()

  const std::function<void(size_t)>& task;
  const size_t size;
  std::atomic<size_t> next{0};  // the first task nobody took
  std::mutex mutex;
  std::condition_variable finished;
  size_t done = 0;
};

void TaskPool::work_on(Batch& batch) noexcept {
  for (size_t i; (i = batch.next.fetch_add(1)) < batch.size;) {
    batch.task(i);
    std::lock_guard lock(batch.mutex);
    if (++batch.done == batch.size) batch.finished.notify_all();
  }
}

void TaskPool::run(size_t n, const std::function<void(size_t)>& task) {
  if (n == 0) return;
  auto batch = std::make_shared<Batch>(task, n);
  if (n > 1) {
    std::lock_guard lock(mutex_);
    open_.push_back(batch);
    const size_t helpers = n - 1;  // this thread takes a task too
    for (size_t start = std::min(helpers - std::min(helpers, idle_), max_threads_ - threads_.size()); start; --start) {
      try {
        threads_.emplace_back([this] { serve(); });
      } catch (const std::system_error&) {
        break;  // no more threads: this one runs what is left
      }
    }
    wake_.notify_all();
  }
  work_on(*batch);
  {
    std::lock_guard lock(mutex_);
    std::erase(open_, batch);
  }
  std::unique_lock lock(batch->mutex);
  batch->finished.wait(lock, [&] { return batch->done == batch->size; });
}

void TaskPool::serve() {
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!open_.empty() && open_.front()->next.load() >= open_.front()->size) open_.pop_front();
    if (open_.empty()) {
      if (stopping_) return;
      ++idle_;
      wake_.wait(lock);
      --idle_;
      continue;
    }
    const std::shared_ptr<Batch> batch = open_.front();
    lock.unlock();
    work_on(*batch);
    lock.lock();
  }
}

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

}  // namespace phost::v8rt
