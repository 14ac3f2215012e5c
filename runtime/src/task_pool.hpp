// Threads for the tasks of All/Any/Race. A batch never waits for a thread:
// idle threads join it, new ones start up to the limit, and the caller runs
// whatever is left itself, so fan-outs nested in fan-outs cannot deadlock.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace phost::v8rt {

class TaskPool {
public:
  explicit TaskPool(size_t max_threads) : max_threads_(max_threads) {}
  ~TaskPool();  // joins the threads (no batch may be running)
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Runs task(i) for every i < n, in parallel, on this thread and the pool's;
  // returns when every one has returned. task must not throw.
  void run(size_t n, const std::function<void(size_t)>& task);

private:
  struct Batch;
  static void work_on(Batch& batch) noexcept;
  void serve();

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Batch>> open_;  // batches with tasks nobody took yet
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace phost::v8rt
