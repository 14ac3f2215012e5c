// The calls of a pool's PHOST_PROCESS_SHARED_STATE processes, kept so that
// every worker ends up holding the same state: a worker runs the records it
// has not seen, in order, before it serves a call, and a new worker all of
// them. A record replaces an earlier one of the same process and the same
// first argument (runtime.load("x", ...) replaces the last load of "x").
#pragma once

#include "../value.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace phost::worker {

class StateJournal {
public:
  struct Record {
    uint64_t seq = 0;  // 1, 2, ... in the order the calls succeeded
    std::string name;
    ValuePtr args;
  };

  explicit StateJournal(size_t max_bytes) noexcept : max_bytes_(max_bytes) {}

  // Throws Error 413 when a call whose arguments encode to `bytes` could not
  // be recorded: refused before it runs, so that no worker holds state the
  // others can never get.
  void check_room(std::string_view name, size_t bytes) const;
  // Records a successful call; returns its seq and the seq that was last
  // before it.
  struct Recorded {
    uint64_t seq, previous;
  };
  Recorded record(std::string_view name, const phost_value* args, size_t bytes);
  // The records after seq, in order.
  std::vector<Record> since(uint64_t seq) const;
  // A worker died running record seq again. The second such death drops the
  // record, so that a call that kills every fresh worker (a script whose top
  // level crashes V8 only when run again) cannot keep the plugin down:
  // true when it was dropped.
  bool replay_killed_worker(uint64_t seq);
  // "'runtime.load' ('orders')": a record as messages name it.
  static std::string describe(const Record& record);
  uint64_t last() const noexcept { return last_.load(std::memory_order_acquire); }

private:
  struct Entry {
    Record record;
    std::string key;  // name + '\0' + the first argument when it is a string
    size_t bytes;
    uint32_t replay_deaths = 0;
  };
  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::deque<Entry> entries_;
  size_t bytes_ = 0;
  std::atomic<uint64_t> last_{0};  // read without the lock on every call
};

}  // namespace phost::worker
