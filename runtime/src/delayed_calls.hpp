// time.After's calls: each made once its time has come, on one thread of the
// runtime, outside any call (as gou makes them); a failure is logged. What has
// not run when the runtime goes away is dropped, and that is logged too.
#pragma once

#include <phost/value.hpp>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace phost::v8rt {

class DelayedCalls {
public:
  static constexpr size_t kMaxWaiting = 10000;
  static constexpr size_t kMaxWaitingBytes = 64u << 20;  // of arguments held for waiting calls

  explicit DelayedCalls(phost_plugin* self) noexcept : self_(self) {}
  ~DelayedCalls();
  DelayedCalls(const DelayedCalls&) = delete;
  DelayedCalls& operator=(const DelayedCalls&) = delete;

  // Calls name with args at at_ns (clock_ns). Throws phost::Error 429 when
  // kMaxWaiting calls, or kMaxWaitingBytes of arguments, wait already.
  void add(int64_t at_ns, std::string name, Value args);

  // Whether this thread is one that makes these calls: they are a script's,
  // made outside any call (runtime.keep_isolate refuses them).
  static bool on_this_thread() noexcept;

private:
  struct Pending {
    std::string name;
    Value args;
    size_t bytes;
  };
  void run();

  phost_plugin* self_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::multimap<int64_t, Pending> waiting_;  // by time, then in the order added
  size_t waiting_bytes_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // started by the first add
};

}  // namespace phost::v8rt
