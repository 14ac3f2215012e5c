// One worker process seen from its host: spawned with nothing inherited but
// its control channel (fd 3, server.hpp), its shared memory with the call
// channel's rings (fd 4, which it closes) and a pipe for its stderr,
// reaped by its control reader thread the moment its control channel ends,
// so that no zombie stays. Linux only.
#pragma once

#include "../error.hpp"
#include "channel.hpp"
#include "fd.hpp"
#include "ring_channel.hpp"
#include "mailbox.hpp"
#include "relay.hpp"
#include "shared.hpp"

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace phost::worker {

// What a worker announced once its plugin was loaded.
struct Ready {
  std::string plugin_name, plugin_version;
  struct Entry {
    std::string name, description;
    uint32_t flags;
  };
  std::vector<Entry> processes;
};

// Why the host killed a worker. kBroken: it broke the protocol (a corrupt
// ring, a malformed frame).
enum class KillReason { kNone, kDeadline, kCancelled, kMemory, kShutdown, kBroken };

class Child {
public:
  struct Setup {
    std::string program;      // phost-worker
    std::string directory;    // its working directory
    std::string plugin_path;  // absolute
    const phost_value* config = nullptr;
    int32_t log_level = 0;
    bool seccomp = true;      // the system call filter (seccomp.hpp)
    std::string label;        // "plugin 'v8'", for messages
    // Set when the load is no longer wanted (its pool is going): the worker
    // is killed and the constructor throws. NULL: never.
    const std::atomic<bool>* abandon = nullptr;
  };
  // What the control reader thread hands over: calls the worker starts on its own
  // (not nested in a call of the host), log lines, stderr lines, its death.
  struct Events {
    std::function<void(Child&, std::string frame)> top_level_call;
    std::function<void(int32_t level, std::string_view message)> log;
    std::function<void(Child&)> died;
  };

  // Spawns the worker and loads the plugin in it. Throws Error: PHOST_E_LOAD
  // (or the worker's own status) when the worker cannot start or the plugin
  // cannot load there.
  Child(const Setup& setup, Events events);
  // Asks the worker to unload its plugin and exit; kills it after a grace
  // period; reaps it and joins every thread.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  const Ready& ready() const noexcept { return ready_; }
  void set_label(std::string label);  // once the plugin's name is known
  pid_t pid() const noexcept { return pid_; }
  // Calls and replies; their waiters read it in turn through relay().
  RingChannel& channel() noexcept { return *channel_; }
  Relay& relay() noexcept { return *relay_; }
  // Cancellations (and the worker's logs, deadlines, own calls the other way).
  Channel& control() noexcept { return *control_; }
  Router& router() noexcept { return router_; }
  bool dead() const noexcept { return dead_.load(); }
  // Waits (a bounded time) until its death is known: after its call channel
  // ended, before death_error.
  void await_death() const;
  // Asks the worker to unload its plugin and exit (once).
  void request_stop();
  bool stop_requested() const;
  // SIGKILL, unless it is already reaped; the first reason is kept.
  void kill(KillReason reason, std::string detail);
  // The error for a call that was running when it died.
  Error death_error(std::string_view serving) const;
  uint64_t rss_bytes() const;  // 0 when unknown

  // Guarded by the pool's lock: leased to a call chain; the last record of
  // the pool's StateJournal this worker holds.
  bool busy = false;
  uint64_t state_seq = 0;

private:
  void read_loop();
  // A frame from either channel; control: read by read_loop.
  void dispatch(std::string&& frame, bool control);
  void read_stderr(int fd);
  void keep_stderr_line(std::string line);
  void reap();

  std::string label_;
  pid_t pid_ = -1;
  Fd pidfd_;  // -1 on a kernel without pidfds; its exit ends the control channel (read_stderr)
  SharedMemory shared_;
  std::unique_ptr<RingChannel> channel_;
  std::unique_ptr<Channel> control_;
  std::unique_ptr<Relay> relay_;
  Router router_;
  Events events_;
  Ready ready_;
  std::thread reader_, stderr_reader_;
  // The worker's own top-level calls (not nested in one of the host's), each
  // on a thread; finished ones are joined as new ones start.
  struct Caller {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Caller> callers_;

  mutable std::mutex mutex_;
  mutable std::condition_variable died_cv_;
  std::atomic<bool> dead_{false};
  std::atomic<bool> exited_{false};  // waitpid returned: its stderr is read no longer than it has data
  bool reaped_ = false;
  bool death_told_ = false;  // events_.died ran
  std::atomic<bool> loaded_{false};  // READY or LOAD_FAILED came
  bool stopping_ = false;
  int wait_status_ = 0;
  KillReason kill_reason_ = KillReason::kNone;
  std::string kill_detail_;
  std::deque<std::string> stderr_tail_;
  std::string out_of_memory_line_;  // V8's fatal out-of-memory line, once it said one
  Mailbox load_box_;  // READY or LOAD_FAILED
};

// The phost-worker program: $PHOST_WORKER, else next to the installed plugins.
std::string worker_program();

}  // namespace phost::worker
