// Threads keep their isolate's locker parked between calls (parked_lock.hpp):
// idle threads never hold an isolate back from others, and parked lockers
// are released at thread exit, on isolate replacement and host destruction.
#include "runtime_support.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

using phost::Value;

namespace {

constexpr std::string_view kCalc = "const k = 3; function Mul(a, b) { return a * b + k; }";

// A gate threads wait at until it opens.
class Gate {
public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Counts arrivals; wait(n) returns once n have arrived.
class Counter {
public:
  void arrive() {
    {
      std::lock_guard lock(mutex_);
      ++n_;
    }
    cv_.notify_all();
  }
  void wait(int n) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return n_ >= n; });
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int n_ = 0;
};

int64_t parked_threads(rt_test::Runtime& rt) {
  return rt.host().call("runtime.stats").operator[]("heap")["parked_threads"].as_int();
}

int64_t mul(phost::Host& host, int a, int b, int timeout_ms = 0) {
  phost::CallOptions options;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  return host.call("scripts.calc.Mul", phost::args(a, b), options).as_int();
}

}  // namespace

TEST_CASE("an idle thread whose locker is parked never holds its isolate back from other threads") {
  rt_test::Runtime rt({.isolates = 1});
  rt.load("calc", kCalc);
  Gate done;
  Counter called;
  std::vector<std::thread> idle;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 3; ++t)
    idle.emplace_back([&, t] {
      if (mul(rt.host(), t, 2) != 2 * t + 3) ++wrong;
      called.arrive();
      done.wait();  // parked, idle, alive
      if (mul(rt.host(), t, 5) != 5 * t + 3) ++wrong;
    });
  called.wait(3);
  CHECK(parked_threads(rt) == 3);
  // The only isolate, with three idle threads parked on it: each call here
  // would time out if it waited for one of them.
  for (int i = 0; i < 200; ++i) REQUIRE(mul(rt.host(), i, 7, 2000) == 7 * i + 3);
  done.open();
  for (auto& th : idle) th.join();
  CHECK(wrong == 0);
  CHECK(parked_threads(rt) == 0);  // each released its locker as it exited
}

TEST_CASE("4 threads on 1 isolate and 4 threads on 2 isolates all get their own answers, and exit clean") {
  for (int isolates : {1, 2}) {
    CAPTURE(isolates);
    rt_test::Runtime rt({.isolates = isolates});
    rt.load("calc", kCalc);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 2000; ++i)
          if (mul(rt.host(), t, i) != t * i + 3) ++wrong;
      });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    CHECK(parked_threads(rt) == 0);
  }
}

TEST_CASE("short-lived threads release their parked lockers as they exit") {
  rt_test::Runtime rt({.isolates = 1});
  rt.load("calc", kCalc);
  for (int t = 0; t < 40; ++t) {
    int64_t got = 0;
    std::thread th([&] { got = mul(rt.host(), t, 3); });
    th.join();
    REQUIRE(got == 3 * t + 3);
  }
  CHECK(parked_threads(rt) == 0);
}

TEST_CASE("at most 8 idle threads keep a locker parked on one isolate, the others release theirs") {
  rt_test::Runtime rt({.isolates = 1});
  rt.load("calc", kCalc);
  Gate done;
  Counter called;
  std::atomic<int> wrong{0};
  std::vector<std::thread> idle;
  for (int t = 0; t < 12; ++t)
    idle.emplace_back([&, t] {
      if (mul(rt.host(), t, 2) != 2 * t + 3) ++wrong;
      called.arrive();
      done.wait();
      if (mul(rt.host(), t, 4) != 4 * t + 3) ++wrong;
    });
  called.wait(12);
  // This thread parked first (its load); the stats call is its own, so the
  // other seven of the eight are counted.
  CHECK(parked_threads(rt) == 7);
  done.open();
  for (auto& th : idle) th.join();
  CHECK(wrong == 0);
  CHECK(parked_threads(rt) == 0);
}

TEST_CASE("a thread exiting while its isolate's holder waits for that exit does not deadlock") {
  // The handler runs inside a script call on the only isolate and joins a
  // thread whose locker is parked on that isolate: the exiting thread can
  // only wait a bounded time for the isolate, then leaves its state to V8.
  std::unique_ptr<std::thread> worker;
  Gate parked, finish;
  rt_test::Options o;
  o.isolates = 1;
  o.processes.emplace_back("test.join", [&](phost::Call&) {
    finish.open();
    worker->join();
    return Value::boolean(true);
  });
  rt_test::Runtime rt(o);
  rt.load("calc", kCalc);
  rt.load("joiner", "function Join() { return Process('test.join'); }");
  std::atomic<int64_t> got{0};
  worker = std::make_unique<std::thread>([&] {
    got = mul(rt.host(), 2, 2);
    parked.open();
    finish.wait();
  });
  parked.wait();
  CHECK(got == 7);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(rt.json("scripts.joiner.Join") == "true");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  for (int i = 0; i < 100; ++i) REQUIRE(mul(rt.host(), i, 9) == 9 * i + 3);
}

TEST_CASE("a host destroyed while threads have lockers parked on its isolates, then those threads exiting, is safe") {
  auto rt = std::make_unique<rt_test::Runtime>(rt_test::Options{.isolates = 2});
  rt->load("calc", kCalc);
  Gate destroyed;
  Counter called;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        if (mul(rt->host(), t, i) != t * i + 3) ++wrong;
      called.arrive();
      destroyed.wait();
      // A second host on this thread: its own isolates, fresh lockers.
      rt_test::Runtime again({.isolates = 1});
      again.load("calc", kCalc);
      if (mul(again.host(), t, 1) != t + 3) ++wrong;
    });
  called.wait(4);
  rt.reset();
  destroyed.open();
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("an isolate replaced after running out of memory forgets the lockers parked on it") {
  rt_test::Runtime rt({.isolates = 1, .heap_mb = 32});
  rt.load("calc", kCalc);
  rt.load("bomb", "function Grow() { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); }");
  Gate replaced, done;
  Counter called;
  std::atomic<int> wrong{0};
  std::thread idle([&] {
    if (mul(rt.host(), 1, 2) != 5) ++wrong;
    called.arrive();
    replaced.wait();
    // Its old locker belonged to the disposed isolate: a fresh one now.
    if (mul(rt.host(), 2, 2) != 7) ++wrong;
    called.arrive();
    done.wait();
  });
  called.wait(1);
  CHECK(parked_threads(rt) == 1);
  CHECK(rt.error_of("scripts.bomb.Grow").code == 507);
  CHECK(parked_threads(rt) == 0);
  replaced.open();
  called.wait(2);
  CHECK(parked_threads(rt) == 1);
  done.open();
  idle.join();
  CHECK(wrong == 0);
  CHECK(parked_threads(rt) == 0);
}

// runtime.keep_isolate: a thread keeps the isolate it used between its calls
// (isolate_pool.hpp) until it gives it back, exits, or the runtime closes.
TEST_CASE("a thread keeping its isolate holds it back from other threads until it gives it back") {
  rt_test::Runtime rt({.isolates = 1});
  rt.load("calc", kCalc);
  CHECK(rt.json("runtime.keep_isolate") == "true");
  for (int i = 0; i < 20; ++i) REQUIRE(mul(rt.host(), i, 2) == 2 * i + 3);
  // The only isolate is this thread's: another thread waits for it until its deadline.
  auto other = [&] {
    phost::CallOptions options;
    options.timeout = std::chrono::milliseconds(300);
    rt_test::Failure f;
    std::thread([&] {
      try {
        f.message = rt.host().call("scripts.calc.Mul", phost::args(4, 5), options).to_json();
      } catch (const phost::Error& e) {
        f = {e.code(), e.status(), e.what(), {}};
      }
    }).join();
    return f;
  };
  const rt_test::Failure waited = other();
  CHECK(waited.code == 408);
  CHECK(waited.message.find("no isolate became free") != std::string::npos);
  CHECK(rt.json("runtime.release_isolate") == "true");
  const rt_test::Failure free = other();
  CHECK(free.code == 0);
  CHECK(free.message == "23");
  // Releasing what is not kept, and keeping twice, are harmless.
  CHECK(rt.json("runtime.release_isolate") == "true");
  CHECK(rt.json("runtime.keep_isolate") == "true");
  CHECK(rt.json("runtime.keep_isolate") == "true");
  CHECK(mul(rt.host(), 3, 3) == 12);
  CHECK(rt.json("runtime.release_isolate") == "true");
  CHECK(other().code == 0);
}

TEST_CASE("a kept isolate serves nested calls, loads and an out-of-memory replacement, and goes back as its thread exits") {
  rt_test::Options o;
  o.isolates = 1;
  o.heap_mb = 64;
  rt_test::Runtime rt(o);
  rt.load("calc", kCalc);
  rt.load("outer", "function Twice(a) { return Process('scripts.calc.Mul', a, 2) * 2; }\n"
                   "function Hog() { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }");
  std::atomic<int> wrong{0};
  std::thread keeper([&] {
    if (rt.host().call("runtime.keep_isolate").to_json() != "true") ++wrong;
    for (int i = 0; i < 10; ++i)
      if (rt.host().call("scripts.outer.Twice", phost::args(i)).as_int() != (2 * i + 3) * 2) ++wrong;
    rt.host().call("runtime.load", phost::args("calc", "function Mul(a, b) { return a * b - 1; }", "calc.js"));
    if (mul(rt.host(), 5, 5) != 24) ++wrong;
    try {
      rt.host().call("scripts.outer.Hog");
      ++wrong;
    } catch (const phost::Error& e) {
      if (e.code() != 507) ++wrong;
    }
    if (mul(rt.host(), 6, 6) != 35) ++wrong;  // on the isolate that replaced it, kept again
  });  // exits without giving it back
  keeper.join();
  CHECK(wrong == 0);
  phost::CallOptions options;
  options.timeout = std::chrono::milliseconds(2000);
  CHECK(rt.host().call("scripts.calc.Mul", phost::args(2, 2), options).as_int() == 3);
}

TEST_CASE("a script or a nested call cannot keep an isolate") {
  rt_test::Options o;
  o.process_allow = {"runtime.*", "native.*"};
  o.processes.emplace_back("native.keep", [](phost::Call& call) { return call.call("runtime.keep_isolate"); });
  rt_test::Runtime rt(o);
  rt.load("k", "function Keep() { return Process('runtime.keep_isolate'); }\n"
               "function Nested() { return Process('native.keep'); }");
  for (const char* name : {"scripts.k.Keep", "scripts.k.Nested"}) {
    CAPTURE(name);
    const auto e = rt.error_of(name);
    CHECK(e.code == 403);
    CHECK(e.message.find("is for the application's threads") != std::string::npos);
  }
}

#if !defined(__SANITIZE_ADDRESS__)  // the isolate given up on is leaked on purpose
TEST_CASE("a host destroyed while another thread keeps an isolate gives up on it after a bounded wait") {
  auto rt = std::make_unique<rt_test::Runtime>(rt_test::Options{.isolates = 2});
  rt->load("calc", kCalc);
  Gate kept, destroyed;
  std::atomic<int64_t> got{0};
  std::thread keeper([&] {
    rt->host().call("runtime.keep_isolate");
    got = mul(rt->host(), 7, 7);
    kept.open();
    destroyed.wait();
  });
  kept.wait();
  CHECK(got == 52);
  const auto t0 = std::chrono::steady_clock::now();
  rt.reset();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  destroyed.open();
  keeper.join();  // its exit finds the runtime gone and leaves the abandoned isolate alone
  // And a new host on this thread works.
  rt_test::Runtime again({.isolates = 1});
  again.load("calc", kCalc);
  CHECK(mul(again.host(), 2, 3) == 9);
}
#endif

TEST_CASE("a thread inside another host's call does not keep an isolate over the one it is in") {
  // V8's isolate entries unwind in order: B's isolate, entered inside A's
  // call, must be left before A's is, so it is given back after each call.
  rt_test::Runtime b({.isolates = 1});
  b.load("calc", kCalc);
  std::string other;  // another thread's call to B while this one is still inside A's call
  rt_test::Options oa;
  oa.processes.emplace_back("native.b", [&](phost::Call&) {
    b.host().call("runtime.keep_isolate");
    const int64_t mine = mul(b.host(), 4, 4);
    std::thread([&] {
      try {
        other = std::to_string(mul(b.host(), 5, 5, 500));
      } catch (const phost::Error& e) {
        other = e.what();
      }
    }).join();
    return Value::integer(mine);
  });
  rt_test::Runtime a(oa);
  a.load("outer", "function Main() { return Process('native.b') + 1; }");
  CHECK(a.json("scripts.outer.Main") == "20");
  CHECK(other == "28");
  // Outside A's call, this thread keeps B's isolate as asked.
  CHECK(mul(b.host(), 2, 2) == 7);
  std::thread([&] {
    try {
      other = std::to_string(mul(b.host(), 5, 5, 300));
    } catch (const phost::Error& e) {
      other = std::to_string(e.code());
    }
  }).join();
  CHECK(other == "408");
  CHECK(b.json("runtime.release_isolate") == "true");
}

// V8 keeps the isolates a thread entered as a stack, and leaving one restores
// the one entered before it: a kept isolate left from under another (released
// out of order, or kept from inside another runtime's call) left this thread
// on no isolate while it ran another's JS, and V8 crashed compiling it.
TEST_CASE("a thread keeping isolates of two runtimes, or keeping one from inside another's call, runs both safely") {
  constexpr std::string_view kChurn = "function Churn(n) { let keep = []; for (let i = 0; i < n; i++) {"
                                      " keep.push({a: [i], b: {c: i}}); if (keep.length > 5000) keep = []; }"
                                      " return keep.length; }";
  {
    rt_test::Runtime a({.isolates = 1}), b({.isolates = 1});
    for (rt_test::Runtime* rt : {&a, &b}) rt->load("calc", std::string(kCalc) + "\n" + std::string(kChurn));
    CHECK(a.json("runtime.keep_isolate") == "true");
    CHECK(mul(a.host(), 2, 3) == 9);
    CHECK(b.json("runtime.keep_isolate") == "true");
    CHECK(mul(b.host(), 2, 4) == 11);
    CHECK(a.json("runtime.release_isolate") == "true");
    for (int i = 0; i < 20; ++i) REQUIRE(b.json("scripts.calc.Churn", phost::args(200000)) != "");
    CHECK(b.json("runtime.release_isolate") == "true");
    CHECK(mul(a.host(), 2, 3) == 9);
  }
  auto a = std::make_unique<rt_test::Runtime>(rt_test::Options{.isolates = 1});
  a->load("calc", std::string(kCalc) + "\n" + std::string(kChurn));
  rt_test::Options o;
  o.process_allow = {"native.*"};
  phost::Host* host_a = &a->host();
  o.processes.emplace_back("native.keep_a", [host_a](phost::Call&) {
    host_a->call("runtime.keep_isolate");
    Value churned = host_a->call("scripts.calc.Churn", phost::args(100000));
    // Giving it back from here would leave it from under this call's isolate: refused.
    try {
      host_a->call("runtime.release_isolate");
      return Value::string("released from inside a call");
    } catch (const phost::Error& e) {
      if (e.code() != 409) throw;
    }
    return host_a->call("scripts.calc.Mul", phost::args(1, 1));
  });
  CHECK(a->json("runtime.keep_isolate") == "true");  // kept under b's isolates from here on
  CHECK(mul(a->host(), 2, 3) == 9);
  auto b = std::make_unique<rt_test::Runtime>(o);
  b->load("k", "function Go() { return Process('native.keep_a') + 1; }\n" + std::string(kChurn));
  CHECK(b->json("scripts.k.Go") == "5");
  for (int i = 0; i < 10; ++i) REQUIRE(b->json("scripts.k.Churn", phost::args(200000)) != "");
  b.reset();
  CHECK(mul(a->host(), 2, 3) == 9);
  CHECK(a->json("runtime.release_isolate") == "true");
  rt_test::Runtime c({.isolates = 1});
  c.load("calc", kCalc);
  CHECK(mul(c.host(), 2, 2) == 7);
  CHECK(mul(a->host(), 2, 3) == 9);
}

// A reload of a watched app dir waiting for the isolate this thread keeps
// held the host's destruction for load_timeout_ms (for good with none).
TEST_CASE("a host whose reload waits for the isolate its destroying thread keeps is destroyed at once") {
  const auto app = rt_test::temp_dir("keep-watch");
  rt_test::write(app / "scripts" / "calc.js", std::string(kCalc));
  rt_test::Options o;
  o.app_dir = app.string();
  o.watch = true;
  o.load_timeout_ms = 60000;
  auto rt = std::make_unique<rt_test::Runtime>(o);
  CHECK(rt->json("runtime.keep_isolate") == "true");
  CHECK(mul(rt->host(), 2, 3) == 9);
  rt_test::write(app / "scripts" / "calc.js", "function Mul(a, b) { return 1; }");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the reload starts and waits
  const auto t0 = std::chrono::steady_clock::now();
  rt.reset();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  std::filesystem::remove_all(app);
}

// The host's destruction waits for calls in flight; one waiting for the isolate
// the destroying thread keeps waited until its deadline (for good without one),
// since the kept isolate goes back only as the runtime closes, after that wait.
TEST_CASE("a call waiting for the isolate its host's destroying thread keeps fails at once with 503") {
  auto rt = std::make_unique<rt_test::Runtime>(rt_test::Options{.isolates = 1, .timeout_ms = 0});
  rt->load("calc", kCalc);
  CHECK(rt->json("runtime.keep_isolate") == "true");
  CHECK(mul(rt->host(), 1, 1) == 4);
  rt_test::Failure waited;
  std::thread waiter([&] {
    try {
      mul(rt->host(), 2, 2, 20000);
    } catch (const phost::Error& e) {
      waited = {e.code(), e.status(), e.what(), {}};
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // it waits for the kept isolate
  const auto t0 = std::chrono::steady_clock::now();
  rt.reset();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  waiter.join();
  CHECK(waited.code == 503);
  CHECK(waited.message.find("host is being destroyed") != std::string::npos);
}

// time.After's calls are made outside any call, on the runtime's own thread:
// a script could make that thread keep an isolate from everyone else.
TEST_CASE("a script cannot make the runtime's time.After thread keep an isolate") {
  rt_test::Options o;
  o.process_allow = {"*"};
  rt_test::Runtime rt(o);
  rt.load("h", std::string(kCalc) + "\nfunction Hijack() { Process('time.After', 0, 'runtime.keep_isolate');"
                                    " Process('time.After', 50, 'scripts.h.Mul', 1, 1); }");
  CHECK(rt.json("scripts.h.Hijack") == "null");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  phost::CallOptions options;
  options.timeout = std::chrono::milliseconds(1000);
  CHECK(rt.host().call("scripts.h.Mul", phost::args(2, 3), options).as_int() == 9);
  bool refused = false;
  for (const std::string& line : rt.log_lines())
    refused |= line.find("time.After: runtime.keep_isolate failed (403)") != std::string::npos;
  CHECK(refused);
}
