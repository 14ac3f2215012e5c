// Leader/follower reading of a worker's call channel, on both sides: the
// threads that wait for a frame (a reply, a nested call) read the channel in
// turn, one at a time, instead of a reader thread that wakes for every frame
// and wakes the waiter in its turn. A reply then wakes only the thread it is
// for when that thread is the one reading (the common case: one call chain
// per worker), and costs no system call when that thread is awake (it
// polls the ring) instead of a futex wake and a futex wait. A frame for another waiter is posted to its mailbox by the
// reading thread. Linux only.
#pragma once

#include "ring_channel.hpp"
#include "mailbox.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace phost::worker {

class Relay {
public:
  // route: what the reading thread does with each frame it reads (post it to
  // the mailbox it is for; the reader's own included), outside the relay's
  // lock. ended: the channel ended under the reading thread.
  Relay(RingChannel& channel, std::function<void(std::string&&)> route, std::function<void()> ended = {});
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // The next frame posted to box: taken from it, or read from the channel
  // by this thread while no other one reads it. until_ns on the monotonic
  // clock, 0: no limit; a reading thread notices it within the channel's
  // receive timeout. kClosed once box is closed or the channel ended.
  Mailbox::Wait wait(Mailbox& box, std::string& frame, int64_t until_ns);

private:
  Mailbox::Wait lead(Mailbox& box, std::string& frame, int64_t until_ns);
  void hand_over();  // under mutex_: wakes a waiting thread to read next

  RingChannel& channel_;
  const std::function<void(std::string&&)> route_;
  const std::function<void()> ended_callback_;
  std::mutex mutex_;
  bool reading_ = false;  // a thread reads the channel
  bool ended_ = false;
  std::vector<Mailbox*> waiting_;  // the boxes of the threads that do not read, one entry per thread
};

}  // namespace phost::worker
