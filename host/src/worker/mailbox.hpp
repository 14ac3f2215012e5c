// Where the replies to a call sent over a worker channel land, and the calls
// nested in it: the thread that sent the call waits at its mailbox and runs
// those nested calls itself (as the thread of an in-process call would), so a
// call chain that crosses into a worker and back keeps its threads, and a
// call back into the same worker cannot deadlock waiting for a free thread.
#pragma once

#include "shared.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace phost::worker {

class Mailbox {
public:
  // kNudged: woken without a frame (see nudge).
  enum class Wait { kFrame, kTimeout, kClosed, kNudged };
  // Takes the next frame; until_ns on the monotonic clock (clock_ns), 0: no limit.
  Wait wait(std::string& frame, int64_t until_ns);
  // The next frame if one is there (kFrame), kClosed, or kTimeout: none yet.
  Wait try_take(std::string& frame);
  void post(std::string&& frame);
  void close();
  // Wakes one waiter with kNudged unless it finds a frame (Relay: the
  // channel has no reader, take over).
  void nudge();
  // A sooner deadline the peer's handler set itself, kept without waking the
  // waiter (it looks at it when it wakes anyway); 0: none.
  void hint_deadline(int64_t deadline_ns) noexcept;
  // The sooner of the hinted deadline and the one in the shared page's entry.
  int64_t deadline_hint() const noexcept;
  // Where the peer writes the deadline hints of call id (Router::open).
  void share_hint(const SharedPage::Hint* hint, uint64_t id) noexcept;

private:
  std::atomic<int64_t> deadline_hint_{0};
  const SharedPage::Hint* shared_hint_ = nullptr;
  uint64_t shared_id_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> inbox_;
  bool closed_ = false;
  bool nudged_ = false;
};

// The mailboxes of the calls in flight on one channel, by call id.
class Router {
public:
  // A new call id, delivered to box until close(id). A router already
  // closed closes box at once.
  uint64_t open(Mailbox& box);
  // The peer's deadline hints for the calls opened from now on.
  void share_hints(const SharedPage::Hint* hints) noexcept { hints_ = hints; }
  void close(uint64_t id);
  // False when no call of that id waits (it ended; the frame is dropped).
  bool deliver(uint64_t id, std::string&& frame);
  void hint_deadline(uint64_t id, int64_t deadline_ns);
  // The channel ended: every mailbox, present and future, is closed.
  void close_all();

private:
  std::mutex mutex_;
  std::unordered_map<uint64_t, Mailbox*> open_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
  const SharedPage::Hint* hints_ = nullptr;
};

// Closes its id on scope exit.
class OpenCall {
public:
  OpenCall(Router& router, Mailbox& box) : router_(router), id_(router.open(box)) {}
  ~OpenCall() { router_.close(id_); }
  OpenCall(const OpenCall&) = delete;
  OpenCall& operator=(const OpenCall&) = delete;
  uint64_t id() const noexcept { return id_; }

private:
  Router& router_;
  uint64_t id_;
};

}  // namespace phost::worker
