// The V8 runtime in worker processes ("isolation": "process"): the one-line
// scripts that abort V8 10.2's whole process, and the built-ins that ignore
// TerminateExecution, take down only their worker; the host keeps serving.
#include "runtime_support.hpp"
#include "../worker_support.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace {

using phost::Value;

struct App {
  App() : dir(rt_test::temp_dir("workers")) {
    rt_test::write(dir / "scripts" / "ok.js", R"(
function Add(a, b) { return a + b; }
function Big() { return 9007199254740993n; }
function Ask(name, ...args) { return Process(name, ...args); }
function Back(n) { return n > 0 ? Process("scripts.ok.Back", n - 1) + 1 : 0; }
)");
    rt_test::write(dir / "scripts" / "bad.js", R"(
function Die() { Process('app.kill_workers'); return 'not reached'; }
function Reverse() { return Array.prototype.reverse.call({length: 2**32 - 1}); }
function ForIn() { let n = 0; for (const k in new Uint8Array(2**25)) n++; return n; }
function Spread() { return Object.keys({...new Uint8Array(2**25)}).length; }
)");
  }
  ~App() { std::filesystem::remove_all(dir); }

  // A deadline well past the time V8 takes to abort on a loaded machine.
  Value config(int workers = 1, int timeout_ms = 1000) const {
    Value c = Value::object();
    c.set("isolation", Value::string("process"));
    c.set("workers", Value::integer(workers));
    c.set("worker_grace_ms", Value::integer(300));
    c.set("app_dir", Value::string(dir.string()));
    c.set("isolates", Value::integer(1));
    c.set("timeout_ms", Value::integer(timeout_ms));
    return c;
  }
  std::filesystem::path dir;
};

rt_test::Failure failure(phost::Host& host, std::string_view name) {
  try {
    host.call(name);
  } catch (const phost::Error& e) {
    return {e.code(), e.status(), e.what()};
  }
  FAIL("'" << name << "' succeeded");
  return {};
}

void serves(phost::Host& host) { CHECK(host.call("scripts.ok.Add", phost::args(2, 3)).as_int() == 5); }

bool no_children() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

}  // namespace

TEST_SUITE("runtime workers") {

TEST_CASE("scripts run in a worker with their names, values and nested calls") {
  const App app;
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_V8_PLUGIN, app.config());
  host.add("app.echo", "", [](phost::Call& call) { return call.args()[0].retain(); });
  serves(host);
  CHECK(host.call("scripts.ok.Ask", phost::args("app.echo", "hi")).as_string() == "hi");
  // Back calls itself through the host: each hop re-enters the same worker and isolate.
  CHECK(host.call("scripts.ok.Back", phost::args(20)).as_int() == 20);
  const rt_test::Failure missing = failure(host, "scripts.ok.Nope");
  CHECK(missing.code == 404);
}

TEST_CASE("a V8 worker that dies during a call fails only that call, with 500 saying so, and is replaced") {
  const App app;
  phost::Host host = test::quiet_host();
  host.add("app.kill_workers", "", [](phost::Call&) {
    for (const pid_t pid : test::children()) ::kill(pid, SIGKILL);
    return phost::Value::null();
  });
  host.load_plugin(PHOST_V8_PLUGIN, app.config(1, 60000));
  const rt_test::Failure f = failure(host, "scripts.bad.Die");
  CHECK_MESSAGE(f.code == 500, f.code, ": ", f.message);
  CHECK_MESSAGE(f.message.find("killed by signal 9 (SIGKILL)") != std::string::npos, f.message);
  serves(host);
}

TEST_CASE("a reverse of 2^32-1 items ends at its deadline and the worker serves on") {
  // V8's own reverse ignored termination (the worker was killed); the
  // hardened context reverses such a receiver in JS, which the deadline reaches.
  const App app;
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_V8_PLUGIN, app.config(1, 1000));
  const rt_test::Failure f = failure(host, "scripts.bad.Reverse");
  CHECK_MESSAGE(f.code == 408, f.code, ": ", f.message);
  CHECK(f.message.find("killed") == std::string::npos);
  serves(host);
}

TEST_CASE("built-ins that ignore termination are killed with their worker after the grace period") {
  const App app;
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_V8_PLUGIN, app.config());
  // Listing a typed array's 32M indexes runs in V8's own code for seconds.
  for (const char* name : {"scripts.bad.ForIn", "scripts.bad.Spread"}) {
    const auto start = std::chrono::steady_clock::now();
    const rt_test::Failure f = failure(host, name);
    CHECK_MESSAGE(f.code == 408, name, ": ", f.message);
    CHECK(f.message.find("killed") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    serves(host);
  }
}

TEST_CASE("the host destroyed with V8 workers loaded leaves no process behind") {
  const App app;
  {
    phost::Host host = test::quiet_host();
    host.load_plugin(PHOST_V8_PLUGIN, app.config(2));
    serves(host);
  }
  CHECK(no_children());
}

}  // TEST_SUITE
