// Plugins in worker processes (phost_load_plugin_ex, "isolation": "process"):
// same names, same call context, same values and errors as in-process; a
// worker that crashes, hangs or grows is killed and replaced while the host
// keeps serving; nothing leaks (descriptors, processes, zombies).
#include <phost/host.hpp>

#include <doctest/doctest.h>

#include "worker_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using phost::Value;
using phost::View;
using test::failure;

using phost::args;

// This process's open descriptors, each with what it points at, so that a
// leak says what leaked.
std::string open_fds() {
  std::string listed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec) continue;  // the directory's own descriptor, closed by now
    listed += entry.path().filename().string() + "->" + target.string() + " ";
  }
  return listed;
}

// True when this process has no child left, not even a zombie.
bool no_children() {
  const pid_t got = ::waitpid(-1, nullptr, WNOHANG);
  return got == -1 && errno == ECHILD;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

TEST_SUITE("workers") {

TEST_CASE("an isolated plugin's processes are registered under their names and run in another process") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  bool listed = false;
  for (const phost::ProcessInfo& p : host.list())
    if (p.name == "w.echo") listed = p.plugin == "worker" && p.description == "Returns its arguments";
  CHECK(listed);
  const int64_t pid = host.call("w.pid").as_int();
  CHECK(pid != ::getpid());
  CHECK(alive(static_cast<pid_t>(pid)));
  CHECK(host.call("w.pid").as_int() == pid);  // one worker, kept
  host.alias("w.pid", "app.worker_pid");  // the worker knows only its own names
  CHECK(host.call("app.worker_pid").as_int() == pid);
}

TEST_CASE("a process registered in a worker after its load is refused with 501, not lost") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const Value said = host.call("w.register_late");
  CHECK(said["code"].as_int() == 501);
  CHECK(said["message"].as_string() == "'w.late' was not registered: a plugin in a worker process registers its "
                                       "processes while it loads; its host learns of those only");
  CHECK(failure(host, "w.late").code() == 404);
  // In-process the same plugin may register whenever it likes.
  phost::Host in_process = test::quiet_host();
  in_process.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN);
  CHECK(in_process.call("w.register_late")["code"].as_int() == 200);
  CHECK(in_process.call("w.late").as_int() == 1);
}

TEST_CASE("values keep every kind across the boundary") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  Value nested = Value::object();
  nested.set("max", Value::integer(INT64_MAX));
  nested.set("min", Value::integer(INT64_MIN));
  nested.set("half", Value::number(0.5));
  nested.set("bytes", Value::bytes(std::string("\0\xff\x01", 3)));
  nested.set("text", Value::string("h\xc3\xa9llo"));
  nested.set("list", args(Value::null(), Value::boolean(true), Value::boolean(false), Value::array()));
  const Value sent = args(std::move(nested), Value::string(""));
  const Value back = host.call("w.echo", sent);
  CHECK(back.to_json() == sent.to_json());
  CHECK(back[0]["max"].as_int() == INT64_MAX);
  CHECK(back[0]["min"].as_int() == INT64_MIN);
  CHECK(back[0]["bytes"].kind() == PHOST_BYTES);
  CHECK(back[0]["bytes"].as_string() == std::string("\0\xff\x01", 3));
  CHECK(back[0]["half"].kind() == PHOST_DOUBLE);
  CHECK(back[0]["list"][0].kind() == PHOST_NULL);
}

TEST_CASE("session, subject, global and deadline cross into the worker") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const Value subject = Value::from_json(R"({"user": 7})");
  const Value global = Value::from_json(R"({"tenant": "acme"})");
  phost::CallOptions options;
  options.session = "s-1";
  options.subject = subject;
  options.global = global;
  options.timeout = std::chrono::milliseconds(5000);
  const Value info = host.call("w.info", {}, options);
  CHECK(info["session"].as_string() == "s-1");
  CHECK(info["subject"].to_json() == subject.to_json());
  CHECK(info["global"].to_json() == global.to_json());
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  CHECK(info["deadline_ns"].as_int() > now);
  CHECK(info["deadline_ns"].as_int() < now + int64_t{5'000'000'000});
}

TEST_CASE("errors keep status, code and message across the boundary") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const phost::Error e = failure(host, "w.fail", args(Value::integer(418), Value::string("teapot")));
  CHECK(e.code() == 418);
  CHECK(std::string(e.what()) == "teapot");
  const phost::Error missing = failure(host, "w.via", args(Value::string("no.such.thing")));
  CHECK(missing.code() == 404);
  CHECK(missing.status() == PHOST_E_NOT_FOUND);
  CHECK(std::string(missing.what()).find("no.such.thing") != std::string::npos);
}

TEST_CASE("a nested call from the worker is served by the host, and calls back into the same worker") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated(1));
  host.add("app.session", "", [](phost::Call& call) { return Value::string(phost::to_view(call.info().session)); });
  // app.back calls into the worker again: with one worker, only re-entry can serve it.
  host.add("app.back", "", [](phost::Call& call) { return call.call("w.pid"); });
  phost::CallOptions options;
  options.session = "chain";
  options.timeout = std::chrono::milliseconds(10000);
  CHECK(host.call("w.via", args(Value::string("app.session")), options).as_string() == "chain");
  const int64_t pid = host.call("w.pid").as_int();
  CHECK(host.call("w.via", args(Value::string("app.back")), options).as_int() == pid);
  // Deeper: host -> worker -> host -> worker -> host -> worker.
  host.add("app.deeper", "", [](phost::Call& call) {
    return call.call("w.via", args(Value::string("app.back")));
  });
  CHECK(host.call("w.via", args(Value::string("app.deeper")), options).as_int() == pid);
  // The depth keeps counting on the host's side of each hop.
  host.add("app.depth", "", [](phost::Call& call) { return Value::integer(call.info().depth); });
  CHECK(host.call("w.via", args(Value::string("app.depth"))).as_int() == 2);
}

TEST_CASE("a call the plugin makes from a thread of its own is served by the host") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  host.add("app.hello", "", [](phost::Call& call) { return Value::integer(call.info().depth); });
  CHECK(host.call("w.background", args("app.hello")).as_int() == 1);  // a top-level call, not nested
  CHECK(failure(host, "w.background", args("app.none")).code() == 404);
}

TEST_CASE("a crashing worker fails its call with 500 naming the signal and is replaced") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t before = host.call("w.pid").as_int();
  const phost::Error e = failure(host, "w.crash");
  CHECK(e.code() == 500);
#if defined(__SANITIZE_ADDRESS__)
  // ASan's handler takes the signal, prints its report (the last words) and exits 1.
  CHECK_MESSAGE(std::string(e.what()).find("exited with status 1") != std::string::npos, std::string(e.what()));
#else
  CHECK_MESSAGE(std::string(e.what()).find("killed by signal 11 (SIGSEGV)") != std::string::npos,
                std::string(e.what()));
#endif
  CHECK(std::string(e.what()).find("w.crash") != std::string::npos);
  const phost::Error aborted = failure(host, "w.abort");
  CHECK(aborted.code() == 500);
  CHECK(std::string(aborted.what()).find("SIGABRT") != std::string::npos);
  const int64_t after = host.call("w.pid").as_int();
  CHECK(after != before);
  CHECK_FALSE(alive(static_cast<pid_t>(before)));  // reaped, not a zombie
}

TEST_CASE("a worker that dies of V8's out-of-memory abort fails its call with 507 quoting V8, past its stack trace") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const phost::Error e = failure(host, "w.v8_oom");
  CHECK_MESSAGE(e.code() == 507, e.what());
  CHECK_MESSAGE(std::string(e.what()).find("out of memory (# Fatal javascript OOM in invalid array length)") !=
                    std::string::npos,
                e.what());
  CHECK(host.call("w.pid").as_int() > 0);  // replaced
}

TEST_CASE("a call waiting for a new worker whose load hangs fails at its deadline, and unloading does not wait or leak") {
  const std::string fds_before = open_fds();
  const std::string flag = (std::filesystem::temp_directory_path() / ("phost-hang-" + std::to_string(::getpid()))).string();
  std::filesystem::remove(flag);
  auto host = std::make_unique<phost::Host>(test::quiet_host());
  host->load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, phost::Value::from_json(R"({"hang_at_load_if": ")" + flag + "\"}"),
                    test::isolated());
  { std::ofstream touch(flag); }
  CHECK(failure(*host, "w.abort").code() == 500);  // its replacement's load now hangs
  phost::CallOptions o;
  o.timeout = std::chrono::milliseconds(300);
  for (int attempt = 0; attempt < 2; ++attempt) {  // the second finds the load still going, and waits for it
    const auto t0 = std::chrono::steady_clock::now();
    const phost::Error e = failure(*host, "w.echo", phost::args(), o);
    CHECK(e.code() == 408);
    CHECK_MESSAGE(std::string(e.what()).find("(a new one is loading the plugin)") != std::string::npos,
                  std::string(e.what()));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));  // it held the call for 300 s
  }
  std::filesystem::remove(flag);  // the load finishes: the worker serves
  CHECK(host->call("w.echo", phost::args(1)).to_json() == "[1]");
  { std::ofstream touch(flag); }
  CHECK(failure(*host, "w.abort").code() == 500);
  CHECK(failure(*host, "w.echo", phost::args(), o).code() == 408);
  const auto t0 = std::chrono::steady_clock::now();
  host.reset();  // the hanging load is abandoned, its worker killed
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(open_fds() == fds_before);  // its pidfd was left open
  std::filesystem::remove(flag);
}

TEST_CASE("a name the worker's plugin unregistered fails with 500 saying so, not a ping-pong to the depth limit") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  CHECK(host.call("w.dropped").as_bool());
  CHECK(host.call("w.drop").as_int() == PHOST_OK);
  // Was 413 'call depth limit of 256 exceeded calling 'w.dropped'': the worker
  // sent the name back to its host, which sent it to the worker again.
  const phost::Error e = failure(host, "w.dropped");
  CHECK(e.status() == PHOST_E_INTERNAL);
  CHECK(e.code() == 500);
  CHECK_MESSAGE(std::string(e.what()).find("'w.dropped' is not registered in its worker (pid ") == 0, std::string(e.what()));
  CHECK(host.call("w.pid").as_int() > 0);
}

TEST_CASE("a worker that exits while a process it started lives on is reported at once") {
  for (const std::string how : {"spawn", "fork"}) {
    CAPTURE(how);
    std::mutex mutex;
    std::string started;
    phost::HostOptions options;
    options.log = [&](int, std::string_view, std::string_view message) {
      std::lock_guard lock(mutex);
      if (const size_t at = message.find("started "); at != std::string_view::npos) started = message.substr(at + 8);
    };
    phost::Host host(std::move(options));
    host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value::from_json(R"({"worker_seccomp": false})"), test::isolated());
    // The program held the worker's stderr pipe and its control channel (fd
    // 3; a forked child still does): the host learnt of the death only when
    // that process ended, 20 s later.
    const auto start = std::chrono::steady_clock::now();
    const phost::Error e = failure(host, "w.outlive_exit", args(20, how));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK_MESSAGE(std::string(e.what()).find("exited with status 3") != std::string::npos, std::string(e.what()));
    CHECK(took < std::chrono::seconds(10));
    CHECK(host.call("w.pid").as_int() > 0);  // replaced
    std::lock_guard lock(mutex);
    REQUIRE(!started.empty());
    const pid_t process = static_cast<pid_t>(std::stol(started));
    CHECK(::kill(process, 0) == 0);  // still running: not what ended the call
    ::kill(process, SIGKILL);
  }
}

TEST_CASE("a worker's own threads have at most 256 calls running in its host, and more are refused with 413") {
  phost::Host host = test::quiet_host();
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  int running = 0, most = 0;
  host.add("app.hold", "", [&](phost::Call&) {
    std::unique_lock lock(mutex);
    most = std::max(most, ++running);
    released_cv.notify_all();
    released_cv.wait_for(lock, std::chrono::seconds(20), [&] { return released; });
    --running;
    return Value::null();
  });
  host.add("app.release", "", [&](phost::Call&) {
    // A call admitted by the limit may not have reached app.hold yet (slow
    // under ASan): wait for those so `most` counts every admitted call.
    std::unique_lock lock(mutex);
    released_cv.wait_for(lock, std::chrono::seconds(10), [&] { return running >= 256; });
    released = true;
    released_cv.notify_all();
    return Value::null();
  });
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  // Each such call was a new host thread, without a limit: 300 here, and a
  // host out of threads died (std::system_error through the reader thread).
  const Value got = host.call("w.flood_host", args(300, 256));
  INFO(got.to_json());
  CHECK(got["ok"].as_int() == 256);
  CHECK(got["refused"].as_int() == 44);
  CHECK(got["message"].as_string().find("413 host: the worker's own threads have 256 calls running") == 0);
  CHECK(most == 256);
  CHECK(host.call("w.pid").as_int() > 0);
}

TEST_CASE("a worker flooding its stderr without newlines is served as fast as it writes") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  // The host kept the whole unfinished line (64 MB of it here) and searched
  // all of it for a newline after every 4 KB read: minutes, so 408 here.
  phost::CallOptions within;
  within.timeout = std::chrono::seconds(20);
  CHECK(host.call("w.stderr", args(64, "after the flood"), within).as_bool());
  CHECK(host.call("w.stderr", args(0, "a line of its own"), within).as_bool());
}

TEST_CASE("a worker that outlives its deadline by the grace period is killed with 408") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  phost::CallOptions options;
  options.timeout = std::chrono::milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  const phost::Error e = failure(host, "w.hang", {}, options);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(e.code() == 408);
  CHECK(e.status() == PHOST_E_TIMEOUT);
  CHECK(std::string(e.what()).find("killed") != std::string::npos);
  CHECK(took >= std::chrono::milliseconds(300));
  CHECK(took < std::chrono::seconds(5));
  // A handler that listens to its context stops by itself: no kill.
  const int64_t pid = host.call("w.pid").as_int();
  const phost::Error polite = failure(host, "w.wait", {}, options);
  CHECK(polite.code() == 408);
  CHECK(std::string(polite.what()) == "w.wait: stopped as asked");
  CHECK(host.call("w.pid").as_int() == pid);
}

TEST_CASE("a cancelled call reaches the worker's context") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  phost_cancel* cancel = phost_cancel_new();
  phost::CallOptions options;
  options.cancel = cancel;
  std::thread trigger([cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    phost_cancel_trigger(cancel);
  });
  const phost::Error e = failure(host, "w.wait", {}, options);
  trigger.join();
  phost_cancel_free(cancel);
  CHECK(e.code() == 408);  // the handler's own answer to its cancelled context
}

TEST_CASE("a worker past its memory ceiling is killed with 507") {
  phost::Host host = test::quiet_host();
  phost::LoadOptions options = test::isolated();
  options.rss_limit_mb = 64;
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, options);
  const phost::Error e = failure(host, "w.grow", args(Value::integer(200)));
  CHECK(e.code() == 507);
  CHECK(e.status() == PHOST_E_NO_MEMORY);
  CHECK(std::string(e.what()).find("memory ceiling") != std::string::npos);
  CHECK(host.call("w.echo", args(Value::integer(1)))[0].as_int() == 1);
}

TEST_CASE("a worker that keeps dying is backed off and the error says so") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  for (int i = 0; i < 3; ++i) CHECK(failure(host, "w.crash").code() == 500);
  const phost::Error e = failure(host, "w.pid");
  CHECK(e.code() == 503);
  CHECK(std::string(e.what()).find("3 times in a row") != std::string::npos);
  CHECK(std::string(e.what()).find("backoff") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the backoff itself is what is tested
  CHECK(host.call("w.pid").as_int() > 0);
}

TEST_CASE("a worker killed in the middle of a nested call chain fails the chain and is replaced") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  const int64_t pid = host.call("w.pid").as_int();
  host.add("app.kill", "", [pid](phost::Call&) {
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    return Value::null();
  });
  host.add("app.outer", "", [](phost::Call& call) { return call.call("w.via", args(Value::string("app.kill"))); });
  const phost::Error e = failure(host, "w.via", args(Value::string("app.outer")));
  CHECK(e.code() == 500);
  CHECK(std::string(e.what()).find("SIGKILL") != std::string::npos);
  CHECK(host.call("w.pid").as_int() != pid);
}

TEST_CASE("calls run on several workers at once") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated(2));
  std::vector<int64_t> pids(2);
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < pids.size(); ++i)
    threads.emplace_back([&host, &pids, i] { pids[i] = host.call("w.sleep", args(Value::integer(300))).as_int(); });
  for (std::thread& t : threads) t.join();
  CHECK(pids[0] != pids[1]);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
}

TEST_CASE("destroying the host stops a worker's call that has no deadline, instead of waiting for it for good") {
  std::latch started(1);
  std::atomic<int> code{0};
  auto host = std::make_unique<phost::Host>(test::quiet_host());
  host->load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated());
  host->add("app.started", "", [&started](phost::Call&) {
    started.count_down();
    return Value::null();
  });
  std::thread caller([h = host.get(), &code] {
    try {
      h->call("w.signal_then_wait", args(Value::string("app.started")));
    } catch (const phost::Error& e) {
      code = e.code();
    }
  });
  started.wait();  // the worker's handler now waits to be cancelled
  const auto t0 = std::chrono::steady_clock::now();
  host.reset();  // waits for the call, which it stops
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  caller.join();
  CHECK(code.load() == 499);  // its handler saw its ctx cancelled
}

TEST_CASE("the host destroyed while workers serve calls leaves no process, zombie or descriptor") {
  const std::string fds_before = open_fds();
  {
    std::latch started(2);
    std::vector<std::thread> threads;
    std::atomic<int> answered{0};
    {
      phost::Host host = test::quiet_host();
      host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, test::isolated(2));
      host.add("app.started", "", [&started](phost::Call&) {
        started.count_down();
        return Value::null();
      });
      for (int i = 0; i < 2; ++i)
        threads.emplace_back([&host, &answered] {
          try {
            host.call("w.via", args(Value::string("app.started")));
            host.call("w.sleep", args(Value::integer(200)));
            ++answered;
          } catch (const phost::Error&) {
            ++answered;  // 503: the host is being destroyed
          }
        });
      started.wait();
    }  // destroyed here, while the second calls may still run
    for (std::thread& t : threads) t.join();
    CHECK(answered.load() == 2);
  }
  CHECK(no_children());
  CHECK(open_fds() == fds_before);
}

TEST_CASE("a worker inherits no descriptor and runs in its own directory") {
  phost::Host host = test::quiet_host();
  phost::LoadOptions options = test::isolated();
  options.working_dir = "/tmp";
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, options);
  const Value seen = host.call("w.fds");
  CHECK(seen["cwd"].as_string() == "/tmp");
  std::vector<int64_t> fds;
  for (size_t i = 0; i < seen["fds"].size(); ++i) fds.push_back(seen["fds"][i].as_int());
  CHECK(fds == std::vector<int64_t>{0, 1, 2, 3});  // 3: its control channel (the call channel is in shared memory)
}

TEST_CASE("isolation set in the plugin's config is taken out before the plugin sees it") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN,
                   Value::from_json(R"({"isolation": "process", "workers": 2, "worker_grace_ms": 100})"));
  CHECK(host.call("w.pid").as_int() != ::getpid());
  host.load_plugin("echo", Value::from_json(R"({"isolation": "in-process"})"));
  CHECK(host.call("echo.add", args(Value::integer(2), Value::integer(3))).as_int() == 5);
}

TEST_CASE("worker settings in the config apply when the load options ask for workers, and are refused in-process") {
  phost::Host host = test::quiet_host();
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, Value::from_json(R"({"worker_rss_mb": 64})"), test::isolated());
  CHECK(failure(host, "w.grow", args(Value::integer(200))).code() == 507);
  try {
    host.load_plugin("echo", Value::from_json(R"({"worker_rss_mb": 64})"));
    FAIL("loaded");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 400);
    CHECK(std::string(e.what()) == "plugin config: 'worker_rss_mb' applies to worker processes, but plugin 'echo' "
                                   "is loaded in-process (set \"isolation\": \"process\")");
  }
  phost::LoadOptions options = test::isolated();
  options.working_dir = "/nonexistent-dir";
  try {
    host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, options);
    FAIL("loaded");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 400);
    CHECK(std::string(e.what()) ==
          "the workers' directory '/nonexistent-dir' (worker_dir, options->working_dir) is not a directory");
  }
}

TEST_CASE("bad isolation settings and plugins that fail in their worker get clear errors") {
  phost::Host host = test::quiet_host();
  auto load_error = [&host](std::string_view path, const char* config) {
    try {
      host.load_plugin(path, Value::from_json(config));
    } catch (const phost::Error& e) {
      return e;
    }
    FAIL("loaded");
    return phost::Error(0, "");
  };
  phost::Error e = load_error(PHOST_FIXTURE_WORKER_PLUGIN, R"({"isolation": "thread"})");
  CHECK(e.code() == 400);
  CHECK(std::string(e.what()).find("'isolation'") != std::string::npos);
  e = load_error(PHOST_FIXTURE_WORKER_PLUGIN, R"({"isolation": "process", "workers": 0})");
  CHECK(e.code() == 400);
  CHECK(std::string(e.what()).find("'workers'") != std::string::npos);
  e = load_error(PHOST_FIXTURE_INIT_FAILS, R"({"isolation": "process"})");
  CHECK(e.status() == PHOST_E_LOAD);
  CHECK(std::string(e.what()).find("worker") != std::string::npos);
  // Nothing was replaced: the load failed (was '...; it is replaced').
  e = load_error(PHOST_FIXTURE_WORKER_PLUGIN, R"({"isolation": "process", "exit_at_load": 3})");
  CHECK(e.status() == PHOST_E_LOAD);
  CHECK_MESSAGE(std::string(e.what()).find("died (exited with status 3)") != std::string::npos, std::string(e.what()));
  CHECK_MESSAGE(std::string(e.what()).find("replaced") == std::string::npos, std::string(e.what()));
  e = load_error("/nonexistent/libnothing.so", R"({"isolation": "process"})");
  CHECK(e.status() == PHOST_E_NOT_FOUND);
  CHECK(no_children());
}

}  // TEST_SUITE
