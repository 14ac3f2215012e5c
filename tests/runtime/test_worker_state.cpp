// Scripts loaded at run time (runtime.load, unload, reload: the runtime
// registers them PHOST_PROCESS_SHARED_STATE) reach every worker of the
// pool, those started later included, in the order they succeeded.
#include "runtime_support.hpp"
#include "../worker_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using phost::Value;

struct StateApp {
  StateApp() : dir(rt_test::temp_dir("worker-state")) {
    rt_test::write(dir / "scripts" / "ok.js", R"(
function Add(a, b) { return a + b; }
function Ask(name, ...args) { return Process(name, ...args); }
)");
  }
  ~StateApp() { std::filesystem::remove_all(dir); }
  Value config(int workers) const {
    Value c = Value::object();
    c.set("isolation", Value::string("process"));
    c.set("workers", Value::integer(workers));
    c.set("app_dir", Value::string(dir.string()));
    c.set("isolates", Value::integer(1));
    return c;
  }
  std::filesystem::path dir;
};

void load(phost::Host& host, const std::string& id, const std::string& source) {
  host.call("runtime.load", phost::args(id, source));
}

int32_t code_of(phost::Host& host, std::string_view name) {
  try {
    host.call(name);
  } catch (const phost::Error& e) {
    return e.code();
  }
  return 200;
}

// Kills the only worker and waits until it has exited.
void kill_the_worker() {
  const std::vector<pid_t> pids = test::children();
  REQUIRE(pids.size() == 1);
  REQUIRE(test::kill_and_wait_for_exit(pids[0]));
}

// Keeps a worker inside a call (scripts.ok.Ask -> app.wait) from construction
// to release(), so that calls made meanwhile start or use other workers.
class HeldWorker {
public:
  explicit HeldWorker(phost::Host& host) {
    host.add("app.wait", "", [this](phost::Call&) {
      std::unique_lock lock(mutex_);
      inside_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
      return Value::integer(1);
    });
    holder_ = std::thread([this, &host] { CHECK(host.call("scripts.ok.Ask", phost::args("app.wait")).as_int() == 1); });
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return inside_; });
  }
  ~HeldWorker() { release(); }
  HeldWorker(const HeldWorker&) = delete;
  HeldWorker& operator=(const HeldWorker&) = delete;

  void release() {
    if (!holder_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
    holder_.join();
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool inside_ = false, released_ = false;
  std::thread holder_;
};

}  // namespace

TEST_SUITE("runtime workers") {

TEST_CASE("a script loaded with runtime.load is served by a worker started after the load") {
  const StateApp app;
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_V8_PLUGIN, app.config(2));
  load(host, "dyn", "function F() { return 7; }");

  // Keep the first worker inside a call until the second has answered.
  HeldWorker held(host);
  int64_t answer = 0;
  int32_t code = 200;
  try {
    answer = host.call("scripts.dyn.F").as_int();
  } catch (const phost::Error& e) {
    code = e.code();
    MESSAGE(e.what());
  }
  held.release();
  CHECK(code == 200);
  CHECK(answer == 7);
  CHECK(test::children().size() == 2);
}

TEST_CASE("a replaced worker gets back the latest version of each loaded script and none of the unloaded") {
  const StateApp app;
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_V8_PLUGIN, app.config(1));
  load(host, "a", "function F() { return 1; }");
  load(host, "a", "function F() { return 2; }");
  load(host, "b", "function F() { return 3; }");
  CHECK(host.call("runtime.unload", phost::args("b")).as_bool());
  // A load that fails changes nothing, here or in a replacement.
  CHECK_THROWS_AS(load(host, "broken", "function ("), phost::Error);
  REQUIRE(host.call("scripts.a.F").as_int() == 2);

  kill_the_worker();
  CHECK(host.call("scripts.ok.Add", phost::args(2, 3)).as_int() == 5);
  CHECK(host.call("scripts.a.F").as_int() == 2);
  CHECK(code_of(host, "scripts.b.F") == 404);
  CHECK(code_of(host, "scripts.broken.F") == 404);

  // And again: what the first replacement got is kept for the next.
  load(host, "c", "function F() { return 4; }");
  kill_the_worker();
  CHECK(host.call("scripts.a.F").as_int() == 2);
  CHECK(host.call("scripts.c.F").as_int() == 4);
}

TEST_CASE("loads made in two workers at once leave both holding the same version") {
  const StateApp app;
  phost::Host host = test::quiet_host();
  Value config = app.config(2);
  Value allow = Value::array();
  allow.push(Value::string("*"));  // runtime.* too: scripts load scripts here
  config.set("process_allow", std::move(allow));
  host.load_plugin(PHOST_V8_PLUGIN, config);
  // Scripts load other versions of "x" from inside each worker, many times, at once.
  load(host, "loader", R"(
function Load(n) { return Process("runtime.load", "x", "function V() { return " + n + "; }"); }
)");
  std::vector<std::thread> threads;
  for (int t = 1; t <= 2; ++t)
    threads.emplace_back([&host, t] {
      for (int i = 0; i < 20; ++i) host.call("scripts.loader.Load", phost::args(t * 100 + i));
    });
  for (std::thread& t : threads) t.join();
  // Two chains held in the two workers at once: each asks its own worker.
  std::mutex mutex;
  std::condition_variable cv;
  int inside = 0;
  host.add("app.meet", "", [&](phost::Call&) {
    std::unique_lock lock(mutex);
    ++inside;
    cv.notify_all();
    cv.wait(lock, [&] { return inside == 2; });
    return Value::integer(0);
  });
  std::vector<int64_t> seen;
  threads.clear();
  load(host, "reader", R"(
function Both() { Process("app.meet"); return Process("scripts.x.V"); }
)");
  threads.clear();
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&] {
      const int64_t v = host.call("scripts.reader.Both").as_int();
      std::lock_guard lock(mutex);
      seen.push_back(v);
    });
  for (std::thread& t : threads) t.join();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == seen[1]);
  CHECK(seen[0] >= 100);
  CHECK(test::children().size() == 2);
}

TEST_CASE("a load that kills every worker it is run again in is dropped after two, and the plugin serves again") {
  const StateApp app;
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_V8_PLUGIN, app.config(2));
  // The top level kills every worker but the first (as a V8 abort would).
  int loads = 0;
  std::vector<pid_t> first;
  host.add("app.loads", "", [&](phost::Call&) {
    if (loads > 0)
      for (const pid_t pid : test::children())
        if (std::find(first.begin(), first.end(), pid) == first.end()) ::kill(pid, SIGKILL);
    return Value::integer(loads++);
  });
  load(host, "bomb", "if (Process('app.loads') > 0) throw new Error('not reached: its worker is killed');\n"
                     "function F() { return 1; }");
  REQUIRE(host.call("scripts.bomb.F").as_int() == 1);
  first = test::children();

  // Keep the first worker busy, so that each call below starts a new one.
  HeldWorker held(host);
  std::vector<std::string> messages;
  for (int i = 0; i < 2; ++i) {
    try {
      host.call("scripts.ok.Add", phost::args(1, 2));
      messages.push_back("served");
    } catch (const phost::Error& e) {
      CHECK_MESSAGE(e.code() == 500, e.what());
      messages.push_back(e.what());
    }
  }
  int64_t sum = 0;
  int32_t bomb = 0;
  try {
    sum = host.call("scripts.ok.Add", phost::args(1, 2)).as_int();
    bomb = code_of(host, "scripts.bomb.F");  // the new worker does not hold it
  } catch (const phost::Error& e) {
    MESSAGE(e.what());
  }
  held.release();
  REQUIRE(messages.size() == 2);
  for (const std::string& m : messages)
    CHECK_MESSAGE(m.find("running 'runtime.load' ('bomb') again, which every worker must hold, before "
                         "'scripts.ok.Add': the worker") != std::string::npos, m);
  CHECK(messages[0].find("dropped") == std::string::npos);
  CHECK_MESSAGE(messages[1].find("killed a worker each time it was run again, so it is dropped") != std::string::npos,
                messages[1]);
  CHECK(sum == 3);
  CHECK(bomb == 404);
  CHECK(loads == 3);
}

TEST_CASE("runtime.load beyond the record's 64 MiB is refused with 413 before any worker runs it") {
  const StateApp app;
  phost::Host host = test::quiet_host();
  Value config = app.config(1);
  config.set("max_script_mb", Value::integer(64));  // sources as large as the record takes
  host.load_plugin(PHOST_V8_PLUGIN, config);
  const std::string padding(40u << 20, 'x');
  load(host, "big1", "function F() { return 1; }\n//" + padding);
  try {
    load(host, "big2", "function F() { return 2; }\n//" + padding);
    FAIL("the second load was accepted");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 413);
    CHECK(std::string(e.what()).find("runtime.load") != std::string::npos);
  }
  CHECK(code_of(host, "scripts.big2.F") == 404);
  CHECK(host.call("scripts.big1.F").as_int() == 1);
  // Replacing a record frees its room.
  load(host, "big1", "function F() { return 3; }");
  load(host, "big2", "function F() { return 2; }\n//" + padding);
  CHECK(host.call("scripts.big2.F").as_int() == 2);
}

}  // TEST_SUITE
