#include "child.hpp"

#include "../call_context.hpp"
#include "../plugin_search.hpp"
#include "messages.hpp"
#include "server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

extern char** environ;

namespace phost::worker {
namespace {

// A plugin that takes longer than this to load in a fresh worker is broken.
constexpr int64_t kLoadTimeoutMs = 300'000;
// How often a load waiting for its worker looks whether it is still wanted.
constexpr int64_t kAbandonPollMs = 50;
// How long an unloading worker may take before it is killed.
constexpr auto kShutdownGrace = std::chrono::seconds(2);
constexpr size_t kStderrTailLines = 6;
constexpr size_t kStderrLineBytes = 400;
// Without a pidfd, how often the stderr reader of an idle worker looks whether
// it exited; once it did, how much more it reads (a program it started may write on).
constexpr int kStderrPollMs = 1000;
constexpr size_t kStderrAfterExit = 64 * 1024;
constexpr int64_t kReadPollMs = 10;
// Calls the worker's own threads (outside any call from the host) may have
// running in the host at once, a host thread each.
constexpr size_t kMaxTopLevelCalls = 256;
// How long a caller whose call channel ended waits for the worker's reaping
// (which tells why it died) before it reports what it knows.
constexpr auto kDeathNoticeWait = std::chrono::seconds(2);

std::string errno_text(const char* what, int error) { return std::string(what) + ": " + ::strerror(error); }

// fd moved to a number above the worker's fixed ones (closed; -1 on failure).
int above(int fd) {
  if (fd < 0) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, kSharedFd + 1);
  ::close(fd);
  return moved;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

}  // namespace

std::string worker_program() {
  if (const char* env = std::getenv("PHOST_WORKER"); env && *env) return env;
  return (installed_plugin_dir() / "phost-worker").string();
}

Child::Child(const Setup& setup, Events events) : label_(setup.label), events_(std::move(events)) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    throw Error(PHOST_E_LOAD, label_ + ": cannot start a worker: " + errno_text("socketpair", errno));
  Fd ours_control{pair[0]}, theirs_control{pair[1]};
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0)
    throw Error(PHOST_E_LOAD, label_ + ": cannot start a worker: " + errno_text("pipe", errno));
  Fd err_read{pipe[0]}, err_write{pipe[1]};
  // The worker's descriptors are moved above the numbers they get there:
  // dup2(3, 4) after dup2(x, 3) would give it the wrong one.
  Fd shared{::fcntl(shared_.fd(), F_DUPFD_CLOEXEC, kSharedFd + 1)};
  shared_.close_fd();
  theirs_control = Fd(above(theirs_control.release()));
  if (shared.get() < 0 || theirs_control.get() < 0)
    throw Error(PHOST_E_LOAD, label_ + ": cannot start a worker: " + errno_text("fcntl", errno));

  // posix_spawn (a vfork, not a copy of the host's memory); the child gets
  // fd 0 from /dev/null, 1 and 2 to the stderr pipe, 3 the control channel,
  // 4 the shared memory and no other descriptor (closefrom), default signal handling, an empty mask.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  posix_spawn_file_actions_adddup2(&actions, theirs_control.get(), kControlFd);
  posix_spawn_file_actions_adddup2(&actions, shared.get(), kSharedFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kSharedFd + 1);
  if (!setup.directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, setup.directory.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string parent = std::to_string(::getpid());
  char* argv[] = {const_cast<char*>(setup.program.c_str()), const_cast<char*>(parent.c_str()), nullptr};
  const int spawned = ::posix_spawn(&pid_, setup.program.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0)
    throw Error(PHOST_E_LOAD, label_ + ": cannot start the worker program " + setup.program + ": " +
                                  ::strerror(spawned) + " (set PHOST_WORKER to its path)");
  // Its exit is seen there even while a process it forked holds its channel open.
  pidfd_ = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  // The worker's ends are its own now: ours would keep its channel and pipe open past its death.
  theirs_control = Fd();
  err_write = Fd();
  shared = Fd();
  // The worker's every byte in the shared memory is hostile: a broken ring
  // is a broken worker, killed (its calls get 500) and replaced.
  channel_ = std::make_unique<RingChannel>(shared_, true, spin_ns(), [this](const std::string& why) {
    kill(KillReason::kBroken, "its call channel's shared memory is corrupt: " + why);
  });
  control_ = std::make_unique<Channel>(ours_control.release());
  // A thread reading the call channel looks at its own wait's limit (deadline,
  // cancellation) at least this often.
  channel_->set_receive_timeout(kReadPollMs);
  router_.share_hints(shared_.page().hints);
  relay_ = std::make_unique<Relay>(*channel_, [this](std::string&& frame) { dispatch(std::move(frame), false); });
  const int err_fd = err_read.release();
  stderr_reader_ = std::thread([this, err_fd] { read_stderr(err_fd); });
  reader_ = std::thread([this] { read_loop(); });

  try {
    Writer load(Type::kLoad);
    load.bytes(setup.plugin_path);
    load.value(setup.config);
    load.i64(setup.log_level);
    load.u64(setup.seccomp);
    control_->send(load.finish());
    std::string frame;
    const int64_t load_deadline = clock_ns() + kLoadTimeoutMs * 1'000'000;
    Mailbox::Wait waited;
    do {  // looks at abandon this often
      waited = load_box_.wait(frame, std::min(load_deadline, clock_ns() + kAbandonPollMs * 1'000'000));
      if (waited == Mailbox::Wait::kTimeout && setup.abandon && setup.abandon->load())
        throw Error(PHOST_E_CANCELLED, label_ + ": its load in a new worker was abandoned (the plugin is unloading)", 503);
    } while (waited == Mailbox::Wait::kTimeout && clock_ns() < load_deadline);
    if (waited == Mailbox::Wait::kTimeout) {
      kill(KillReason::kDeadline, "");
      throw Error(PHOST_E_LOAD, label_ + ": its worker did not load it within " +
                                    std::to_string(kLoadTimeoutMs / 1000) + " s");
    }
    if (waited == Mailbox::Wait::kClosed) {
      const Error died = death_error("");
      throw Error(PHOST_E_LOAD, label_ + " could not be loaded: " + died.message());
    }
    Reader r(frame);
    if (r.type() == Type::kLoadFailed) {
      r.u64();
      const auto status = static_cast<phost_status>(r.u64());
      const auto code = static_cast<int32_t>(r.i64());
      throw Error(status == PHOST_E_NOT_FOUND || status == PHOST_E_VERSION ? status : PHOST_E_LOAD,
                  std::string(r.bytes()) + " (in a worker process)", code);
    }
    ready_.plugin_name = r.bytes();
    ready_.plugin_version = r.bytes();
    const uint64_t n = r.u64();
    for (uint64_t i = 0; i < n; ++i) {
      Ready::Entry e;
      e.name = r.bytes();
      e.description = r.bytes();
      e.flags = static_cast<uint32_t>(r.u64());
      ready_.processes.push_back(std::move(e));
    }
  } catch (...) {
    kill(KillReason::kShutdown, "");
    if (reader_.joinable()) reader_.join();
    if (stderr_reader_.joinable()) stderr_reader_.join();
    throw;
  }
}

void Child::request_stop() {
  {
    std::lock_guard lock(mutex_);
    if (std::exchange(stopping_, true)) return;
  }
  if (!dead_.load()) control_->send(encode_id(Type::kShutdown, 0));
}

bool Child::stop_requested() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

Child::~Child() {
  request_stop();
  if (!dead_.load()) {
    std::unique_lock lock(mutex_);
    if (!died_cv_.wait_for(lock, kShutdownGrace, [this] { return dead_.load(); })) {
      lock.unlock();
      kill(KillReason::kShutdown, "");
    }
  }
  if (reader_.joinable()) reader_.join();
  if (stderr_reader_.joinable()) stderr_reader_.join();
  for (Caller& c : callers_) {
    // The last reference may go on one of these threads (a call it made
    // dropped a dead worker): it cannot join itself.
    if (c.thread.get_id() == std::this_thread::get_id())
      c.thread.detach();
    else
      c.thread.join();
  }
}

void Child::set_label(std::string label) {
  std::lock_guard lock(mutex_);
  label_ = std::move(label);
}

void Child::kill(KillReason reason, std::string detail) {
  std::lock_guard lock(mutex_);
  if (reaped_) return;  // the pid may be another process's by now
  if (kill_reason_ == KillReason::kNone) {
    kill_reason_ = reason;
    kill_detail_ = std::move(detail);
  }
  ::kill(pid_, SIGKILL);
}

void Child::read_loop() {
  std::string frame;
  while (control_->receive(frame)) dispatch(std::move(frame), true);
  reap();
}

void Child::dispatch(std::string&& frame, bool control) {
  Peek p;
  try {
    p = peek(frame);
  } catch (const Error&) {
    kill(KillReason::kBroken, "it sent a malformed message");  // as good as dead
    return;
  }
  switch (p.type) {
    case Type::kReady:
    case Type::kLoadFailed:
      if (control && !loaded_.exchange(true)) load_box_.post(std::move(frame));
      break;
    case Type::kResult:
    case Type::kError: router_.deliver(p.id, std::move(frame)); break;
    case Type::kDeadline:
      try {
        Reader r(frame);
        r.u64();
        router_.hint_deadline(p.id, r.i64());
      } catch (const Error&) {
      }
      break;
    case Type::kCall:
      if (p.via != 0) {
        if (!router_.deliver(p.via, std::move(frame)))
          channel_->send(encode_error(p.id, PHOST_E_INTERNAL, 500, "host: the call it was nested in has ended"));
      } else if (control && events_.top_level_call) {
        std::erase_if(callers_, [](Caller& c) {
          if (!c.done->load()) return false;
          c.thread.join();
          return true;
        });
        // A thread each, so many at once: a worker's own threads cannot make
        // the host start threads without end (or die when it no longer can).
        if (callers_.size() >= kMaxTopLevelCalls) {
          channel_->send(encode_error(p.id, PHOST_E_LIMIT, 0,
                                      "host: the worker's own threads have " + std::to_string(kMaxTopLevelCalls) +
                                          " calls running in its host, the most it serves at once"));
          break;
        }
        auto done = std::make_shared<std::atomic<bool>>(false);
        try {
          std::thread thread([this, done, f = std::move(frame)]() mutable {
            events_.top_level_call(*this, std::move(f));
            done->store(true);
          });
          callers_.push_back({std::move(thread), std::move(done)});
        } catch (const std::system_error& e) {
          channel_->send(encode_error(p.id, PHOST_E_NO_MEMORY, 0, std::string("host: no thread for the call: ") + e.what()));
        }
      }
      break;
    case Type::kLog:
      if (events_.log) {
        try {
          Reader r(frame);
          const auto level = static_cast<int32_t>(r.i64());
          r.bytes();  // the worker's logger name; the plugin's logger here says the same
          events_.log(level, r.bytes());
        } catch (const Error&) {
        }
      }
      break;
    default: break;
  }
}

// The channel ended: the worker exited, crashed or was killed. Make sure it
// is gone, collect its status and its last words, then fail whatever waits.
void Child::reap() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && kill_reason_ == KillReason::kNone) ::kill(pid_, SIGKILL);  // closed its channel yet lives
  }
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, 0);
  } while (got < 0 && errno == EINTR);
  exited_.store(true);
  if (stderr_reader_.joinable()) stderr_reader_.join();  // its pipe ends with it, or a program it ran holds it
  {
    std::lock_guard lock(mutex_);
    reaped_ = true;
    wait_status_ = got == pid_ ? status : 0;
    dead_.store(true);
  }
  died_cv_.notify_all();
  // Counted before any waiter learns of it, so that its next call sees the death.
  if (events_.died) events_.died(*this);
  {
    std::lock_guard lock(mutex_);
    death_told_ = true;
  }
  died_cv_.notify_all();
  channel_->shutdown();
  control_->shutdown();
  router_.close_all();
  load_box_.close();
}

void Child::read_stderr(int fd) {
  // The line being read, its first kStderrLineBytes only: a worker writing
  // without newlines costs the host neither memory nor a rescan per read.
  std::string pending;
  char buffer[4096];
  // A process the worker started (worker_seccomp: false) may hold the pipe,
  // and one it forked its control channel, open after the worker exited:
  // its exit (the pidfd, else exited_ from the reaping) ends both, once what
  // the pipe holds is read.
  bool exit_seen = false;
  size_t after_exit = 0;
  for (;;) {
    const bool exited = exit_seen || exited_.load();
    pollfd watched[2] = {{fd, POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
    const nfds_t count = pidfd_.get() >= 0 && !exit_seen ? 2 : 1;
    const int ready = ::poll(watched, count, exited ? 0 : count == 2 ? -1 : kStderrPollMs);
    if (ready < 0 && errno == EINTR) continue;
    if (count == 2 && watched[1].revents) {
      exit_seen = true;
      control_->shutdown();  // the reader thread reaps it
    }
    if (ready == 0 && exited) break;
    if (!watched[0].revents) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (exited && (after_exit += static_cast<size_t>(n)) > kStderrAfterExit) break;
    std::string_view chunk(buffer, static_cast<size_t>(n));
    for (;;) {
      const size_t end = chunk.find('\n');
      if (pending.size() < kStderrLineBytes)
        pending.append(chunk.substr(0, std::min(end, kStderrLineBytes - pending.size())));
      if (end == std::string_view::npos) break;
      chunk.remove_prefix(end + 1);
      std::string line = std::exchange(pending, std::string());
      if (line.empty()) continue;
      if (events_.log) events_.log(PHOST_LOG_WARN, "worker " + std::to_string(pid_) + ": " + line);
      keep_stderr_line(std::move(line));
    }
  }
  if (!pending.empty()) keep_stderr_line(std::move(pending));
  ::close(fd);
}

void Child::keep_stderr_line(std::string line) {
  // V8 10.2's last words ("# Fatal javascript OOM in ...", or "process OOM")
  // come before a stack trace that may push them out of the tail.
  const bool fatal_oom = line.find("Fatal") != std::string::npos && line.find(" OOM in ") != std::string::npos;
  std::lock_guard lock(mutex_);
  if (fatal_oom && out_of_memory_line_.empty()) out_of_memory_line_ = line;
  stderr_tail_.push_back(std::move(line));
  if (stderr_tail_.size() > kStderrTailLines) stderr_tail_.pop_front();
}

void Child::await_death() const {
  std::unique_lock lock(mutex_);
  died_cv_.wait_for(lock, kDeathNoticeWait, [this] { return death_told_; });
}

Error Child::death_error(std::string_view serving) const {
  std::lock_guard lock(mutex_);
  const std::string who = "the worker (pid " + std::to_string(pid_) + ") of " + label_;
  const std::string during = serving.empty() ? "" : " while serving '" + std::string(serving) + "'";
  const std::string call = serving.empty() ? "its call" : "'" + std::string(serving) + "'";
  switch (kill_reason_) {
    case KillReason::kDeadline:
      return Error(PHOST_E_TIMEOUT, call + " did not end " + kill_detail_ + ": " + who +
                                        " was killed and is replaced", 408);
    case KillReason::kCancelled:
      return Error(PHOST_E_CANCELLED, call + " did not stop " + kill_detail_ + ": " + who +
                                          " was killed and is replaced", 499);
    case KillReason::kMemory:
      return Error(PHOST_E_NO_MEMORY, who + " exceeded its memory ceiling (" + kill_detail_ + ")" + during +
                                          ": killed and replaced", 507);
    case KillReason::kShutdown:
      return Error(PHOST_E_CANCELLED, who + " was stopped" + during, 503);
    case KillReason::kBroken:
      return Error(PHOST_E_PROCESS, who + " broke its channel (" + kill_detail_ + ")" + during +
                                        ": killed and replaced", 500);
    case KillReason::kNone: break;
  }
  std::string last;
  bool out_of_memory = !out_of_memory_line_.empty();
  for (const std::string& line : stderr_tail_) {
    last += (last.empty() ? "" : " | ") + line;
    if (line.find("out of memory") != std::string::npos || line.find("Out of memory") != std::string::npos)
      out_of_memory = true;
  }
  const std::string how = reaped_ ? describe_status(wait_status_) : "ended its channel";
  std::string message = who + " died (" + how + ")" + during;
  if (!out_of_memory_line_.empty()) message += ", out of memory (" + out_of_memory_line_ + ")";
  if (!last.empty()) message += "; its last words: " + last;
  if (loaded_.load()) message += "; it is replaced";  // else its load failed
  if (out_of_memory) return Error(PHOST_E_NO_MEMORY, message, 507);
  return Error(PHOST_E_PROCESS, message, 500);
}

uint64_t Child::rss_bytes() const {
  std::ifstream statm("/proc/" + std::to_string(pid_) + "/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace phost::worker
