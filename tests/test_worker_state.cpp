// State a plugin in worker processes must hold in every worker
// (PHOST_PROCESS_SHARED_STATE): recorded by the host and replayed, in
// order, into a worker that replaces a dead one; and a call that could not
// reach a dead worker goes to a new one instead of failing.
#include <phost/host.hpp>

#include <doctest/doctest.h>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

namespace {

using phost::args;
using phost::Value;

phost::Host quiet_host() {
  phost::HostOptions options;
  options.log = [](int, std::string_view, std::string_view) {};
  return phost::Host(std::move(options));
}

phost::LoadOptions one_worker() {
  phost::LoadOptions o;
  o.isolation = phost::Isolation::process;
  o.workers = 1;
  return o;
}

// True once every thread of pid has exited, so that its descriptors are
// closed, whether its host has reaped it yet or not. A zombie leader alone
// does not say so: its other threads may still be exiting.
bool exited(int64_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  DIR* dir = ::opendir((proc + "/task").c_str());
  if (!dir) return true;
  int others = 0;
  while (const dirent* e = ::readdir(dir)) others += e->d_name[0] != '.' && std::to_string(pid) != e->d_name;
  ::closedir(dir);
  if (others) return false;
  std::FILE* stat = std::fopen((proc + "/stat").c_str(), "r");
  if (!stat) return true;
  char state = 'Z';  // a read that fails: reaped meanwhile
  if (std::fscanf(stat, "%*d (%*[^)]) %c", &state) != 1) state = 'Z';
  std::fclose(stat);
  return state == 'Z';
}

// Kills the worker and waits until it has exited (its end of the channel is
// closed), whether or not its host has noticed yet.
void kill_and_wait_for_exit(int64_t pid) {
  REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!exited(pid) && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  REQUIRE(exited(pid));
}

std::string get(phost::Host& host, const char* key) {
  const Value v = host.call("w.get", args(key));
  return v.is_null() ? std::string("(null)") : std::string(v.as_string());
}

}  // namespace

TEST_SUITE("workers") {

TEST_CASE("a call to a worker that died while idle runs on a new worker instead of failing") {
  phost::Host host = quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value(), one_worker());
  for (int round = 0; round < 10; ++round) {
    const int64_t pid = host.call("w.pid").as_int();
    kill_and_wait_for_exit(pid);
    const int64_t next = host.call("w.pid").as_int();
    CHECK(next != pid);
  }
}

TEST_CASE("shared-state calls are replayed into a replacement worker, those the plugin made itself too") {
  phost::Host host = quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value(), one_worker());
  CHECK(host.call("w.set", args("a", "1")).as_bool());
  CHECK(host.call("w.set", args("b", "1")).as_bool());
  CHECK(host.call("w.set", args("a", "2")).as_bool());  // replaces the record of a = 1
  // Made inside the worker: goes through the host, which records it.
  CHECK(host.call("w.via", args("w.set", "c", "3")).as_bool());
  // Refused: nothing recorded.
  CHECK_THROWS_AS(host.call("w.set", args("b", "fail")), phost::Error);
  REQUIRE(get(host, "a") == "2");

  const int64_t pid = host.call("w.pid").as_int();
  kill_and_wait_for_exit(pid);
  CHECK(host.call("w.pid").as_int() != pid);
  CHECK(get(host, "a") == "2");
  CHECK(get(host, "b") == "1");
  CHECK(get(host, "c") == "3");
  CHECK(get(host, "d") == "(null)");
}

TEST_CASE("the records replayed into one replacement worker are replayed again into the next") {
  phost::Host host = quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value(), one_worker());
  CHECK(host.call("w.set", args("a", "1")).as_bool());
  int64_t pid = host.call("w.pid").as_int();
  kill_and_wait_for_exit(pid);
  pid = host.call("w.pid").as_int();
  kill_and_wait_for_exit(pid);
  CHECK(get(host, "a") == "1");
}

}  // TEST_SUITE
