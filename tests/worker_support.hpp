// What the worker process tests share: a host that logs nothing (the
// workers' stderr would be logged), load options, the error a call fails
// with, and killing a worker.
#pragma once

#include <phost/host.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace test {

inline phost::Host quiet_host() {
  phost::HostOptions options;
  options.log = [](int, std::string_view, std::string_view) {};
  return phost::Host(std::move(options));
}

// In worker processes, killed 200 ms after a call's deadline.
inline phost::LoadOptions isolated(uint32_t workers = 1) {
  phost::LoadOptions o;
  o.isolation = phost::Isolation::process;
  o.workers = workers;
  o.grace = std::chrono::milliseconds(200);
  return o;
}

// The error a call fails with (FAILs when it succeeds).
inline phost::Error failure(phost::Host& host, std::string_view name, phost::View call_args = {},
                            const phost::CallOptions& options = {}) {
  try {
    host.call(name, call_args, options);
  } catch (const phost::Error& e) {
    return e;
  }
  FAIL("'" << name << "' succeeded");
  return phost::Error(0, "");
}

// Kills a worker and waits until it has exited: every thread gone, so its
// descriptors are closed, whether its host has reaped it yet or not. Through
// a pidfd, since a bare pid may be reused meanwhile (pid_max can be 32768,
// and parallel tests start many threads).
// False when pid is not a process of ours to kill, or it did not exit within timeout_ms.
inline bool kill_and_wait_for_exit(pid_t pid, int timeout_ms = 10'000) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return false;
  bool exited = false;
  if (::kill(pid, SIGKILL) == 0) {
    pollfd p{fd, POLLIN, 0};
    exited = ::poll(&p, 1, timeout_ms) == 1;
  }
  ::close(fd);
  return exited;
}

// The pids of this process's children (the workers), from /proc.
inline std::vector<pid_t> children() {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == ::getpid())
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

}  // namespace test
