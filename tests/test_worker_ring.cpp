// The worker call channel's rings in shared memory (host/src/worker/ring*.cpp)
// seen through a host: a worker that scribbles on them is killed with 500 and
// replaced while the host keeps serving; frames bigger than a ring pass both
// ways; many threads on one worker get their own replies; a worker that dies
// while its caller spins on the ring or sleeps on its futex fails the call at
// once; a cancellation that comes before the worker read its call still
// reaches it, and a call stopped before it was read is not run elsewhere.
#include <phost/host.hpp>

#include <doctest/doctest.h>

#include "worker_support.hpp"

#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using phost::args;
using phost::Value;
using test::failure;

int64_t ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

bool alive(int64_t pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0; }

// Stops a worker and waits (a bounded time) until every thread of it is
// stopped: kill() returns before the signal has reached them all.
void stop(int64_t pid) {
  REQUIRE(::kill(static_cast<pid_t>(pid), SIGSTOP) == 0);
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  const auto all_stopped = [&] {
    DIR* dir = ::opendir(tasks.c_str());
    if (!dir) return false;
    bool stopped = true;
    while (const dirent* e = ::readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream stat(tasks + "/" + e->d_name + "/stat");
      std::string line;
      std::getline(stat, line);
      const size_t paren = line.rfind(')');
      if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'T') stopped = false;
    }
    ::closedir(dir);
    return stopped;
  };
  const auto start = std::chrono::steady_clock::now();
  while (!all_stopped()) {
    REQUIRE(ms_since(start) < 5'000);
    std::this_thread::yield();
  }
}

void scribbled_head_or_frame(const char* how, const char* why) {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t pid = host.call("w.pid").as_int();
  const auto start = std::chrono::steady_clock::now();
  const phost::Error e = failure(host, "w.scribble", args(how));
  CHECK(ms_since(start) < 5'000);
  CHECK(e.code() == 500);
  CHECK(e.status() == PHOST_E_PROCESS);
  const std::string message = e.what();
  CHECK_MESSAGE(message.find("broke its channel") != std::string::npos, message);
  CHECK_MESSAGE(message.find(why) != std::string::npos, message);
  CHECK_MESSAGE(message.find("w.scribble") != std::string::npos, message);
  CHECK(!alive(pid));
  const int64_t next = host.call("w.pid").as_int();  // replaced, and the host serves on
  CHECK(next != pid);
  CHECK(host.call("w.echo", args(7))[0].as_int() == 7);
}

}  // namespace

TEST_SUITE("workers") {

TEST_CASE("a worker that moves its ring's head out of bounds is killed with 500 and replaced") {
  scribbled_head_or_frame("head", "the head of its outbound ring is out of bounds");
}

TEST_CASE("a worker that writes a frame of a bad length in its ring is killed with 500 and replaced") {
  scribbled_head_or_frame("frame", "it sent a frame of 2147483647 bytes");
}

TEST_CASE("a worker that moves the tail of the host's ring out of bounds is replaced before the next call") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t pid = host.call("w.pid").as_int();
  CHECK(host.call("w.scribble", args("tail")).as_bool());
  // The next call cannot be written to that ring: the worker is killed and
  // the call, which never reached it, runs on its replacement.
  const int64_t next = host.call("w.pid").as_int();
  CHECK(next != pid);
  CHECK(!alive(pid));
}

TEST_CASE("frames bigger than a ring pass both ways, whole and in order") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  for (const size_t size : {size_t{256} * 1024 - 100, size_t{1} << 20, size_t{3} << 20}) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7 + size);
    const Value back = host.call("w.echo", args(Value::bytes(bytes), Value::integer(static_cast<int64_t>(size))));
    CHECK(back[0].as_string() == bytes);
    CHECK(back[1].as_int() == static_cast<int64_t>(size));
    CHECK(host.call("w.echo", args(1))[0].as_int() == 1);  // the small frame after the big one
  }
}

TEST_CASE("many threads on one worker each get their own replies") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  constexpr int kThreads = 8, kCalls = 200;
  std::atomic<int> wrong{0}, answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int64_t n = int64_t{t} * 1'000'000 + i;
        // Nested both ways: into the host and back into the same worker.
        const Value back = i % 4 ? host.call("w.echo", args(n)) : host.call("w.via", args("w.echo", n));
        if (back[0].as_int() != n)
          ++wrong;
        else
          ++answered;
      }
    });
  for (std::thread& t : threads) t.join();
  CHECK(wrong.load() == 0);
  CHECK(answered.load() == kThreads * kCalls);
}

TEST_CASE("a worker that dies while its caller spins on the ring fails the call at once") {
  ::setenv("PHOST_WORKER_SPIN_US", "1000", 1);  // read once, by this process and its workers
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  for (int i = 0; i < 100; ++i) host.call("w.echo", args(i));  // the spin's budget grows
  const auto start = std::chrono::steady_clock::now();
  const phost::Error e = failure(host, "w.crash");
  CHECK(ms_since(start) < 2'000);
  CHECK(e.code() == 500);
#if defined(__SANITIZE_ADDRESS__)
  const char* death = "exited with status 1";  // ASan's handler takes the signal
#else
  const char* death = "killed by signal 11 (SIGSEGV)";
#endif
  CHECK_MESSAGE(std::string(e.what()).find(death) != std::string::npos, std::string(e.what()));
  CHECK(host.call("w.echo", args(1))[0].as_int() == 1);
}

TEST_CASE("a worker killed while its caller sleeps on the ring's futex fails the call at once") {
  ::setenv("PHOST_WORKER_SPIN_US", "0", 1);
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t pid = host.call("w.pid").as_int();
  std::chrono::steady_clock::time_point killed_at;
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the caller is asleep by then
    killed_at = std::chrono::steady_clock::now();
    CHECK(test::kill_and_wait_for_exit(static_cast<pid_t>(pid)));
  });
  const phost::Error e = failure(host, "w.hang");
  killer.join();
  CHECK(ms_since(killed_at) < 2'000);
  CHECK(e.code() == 500);
  CHECK(std::string(e.what()).find("SIGKILL") != std::string::npos);
  CHECK(host.call("w.pid").as_int() != pid);
}

TEST_CASE("a cancellation that comes before the worker read its call gets 499 and the worker stays usable") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t pid = host.call("w.pid").as_int();
  // Stopped, the worker reads neither the call (ring) nor the cancellation
  // (control socket): both are there when it goes on, and its two reading
  // threads take them in either order (the cancellation first in about 1
  // round of 15 here; every round must end the same).
  for (int round = 0; round < 20; ++round) {
    stop(pid);
    phost_cancel* cancel = phost_cancel_new();
    phost::CallOptions options;
    options.cancel = cancel;
    std::thread trigger([cancel, pid] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the call is in the ring
      phost_cancel_trigger(cancel);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the host sent the cancellation
      ::kill(static_cast<pid_t>(pid), SIGCONT);
    });
    const phost::Error e = failure(host, "w.cancellable", {}, options);
    trigger.join();
    phost_cancel_free(cancel);
    CHECK(e.code() == 499);
    // Read first, the cancellation stops the call before its handler runs
    // ("cancelled before 'w.cancellable' started", the worker's early-cancel
    // list); read second, the handler sees it ("w.cancellable: cancelled ...").
    const std::string message = e.what();
    CHECK_MESSAGE(message.find("cancelled") != std::string::npos, message);
    CHECK_MESSAGE(message.find("w.cancellable") != std::string::npos, message);
    CHECK(host.call("w.pid").as_int() == pid);  // the same worker, still serving
  }
}

TEST_CASE("a worker killed for a deadline before it read the call fails it with 408 instead of running it elsewhere") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t pid = host.call("w.pid").as_int();
  stop(pid);  // the call stays unread in the ring
  phost::CallOptions options;
  options.timeout = std::chrono::milliseconds(100);
  const phost::Error e = failure(host, "w.pid", {}, options);
  CHECK(e.code() == 408);
  CHECK_MESSAGE(std::string(e.what()).find("killed") != std::string::npos, std::string(e.what()));
  CHECK(!alive(pid));
  CHECK(host.call("w.pid").as_int() != pid);
}

}  // TEST_SUITE
