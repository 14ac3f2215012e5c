// State a plugin in worker processes must hold in every worker
// (PHOST_PROCESS_SHARED_STATE): recorded by the host and replayed, in
// order, into a worker that replaces a dead one; and a call that could not
// reach a dead worker goes to a new one instead of failing.
#include <phost/host.hpp>

#include <doctest/doctest.h>

#include "worker_support.hpp"

#include <string>

namespace {

using phost::args;
using phost::Value;

void kill_and_wait_for_exit(int64_t pid) { REQUIRE(test::kill_and_wait_for_exit(static_cast<pid_t>(pid))); }

std::string get(phost::Host& host, const char* key) {
  const Value v = host.call("w.get", args(key));
  return v.is_null() ? std::string("(null)") : std::string(v.as_string());
}

}  // namespace

TEST_SUITE("workers") {

TEST_CASE("a call to a worker that died while idle runs on a new worker instead of failing") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value(), test::isolated());
  for (int round = 0; round < 10; ++round) {
    const int64_t pid = host.call("w.pid").as_int();
    kill_and_wait_for_exit(pid);
    const int64_t next = host.call("w.pid").as_int();
    CHECK(next != pid);
  }
}

TEST_CASE("shared-state calls are replayed into a replacement worker, those the plugin made itself too") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value(), test::isolated());
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
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value(), test::isolated());
  CHECK(host.call("w.set", args("a", "1")).as_bool());
  int64_t pid = host.call("w.pid").as_int();
  kill_and_wait_for_exit(pid);
  pid = host.call("w.pid").as_int();
  kill_and_wait_for_exit(pid);
  CHECK(get(host, "a") == "1");
}

}  // TEST_SUITE
