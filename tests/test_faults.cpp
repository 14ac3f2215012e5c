// Faults at scale: after each one the host keeps serving, nothing leaks.
#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#endif

using namespace test;

namespace {

// Runs fn on a new thread whose stack is `bytes` and waits for it. fn must
// not use REQUIRE (it would throw on the wrong thread).
bool run_on_stack(size_t bytes, std::function<void()> fn) {
#ifdef _WIN32
  HANDLE thread = CreateThread(
      nullptr, bytes,
      [](void* f) -> DWORD {
        (*static_cast<std::function<void()>*>(f))();
        return 0;
      },
      &fn, STACK_SIZE_PARAM_IS_A_RESERVATION, nullptr);
  if (!thread) return false;
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
#else
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* f) -> void* {
        (*static_cast<std::function<void()>*>(f))();
        return nullptr;
      },
      &fn);
  pthread_attr_destroy(&attr);
  if (rc != 0) return false;
  pthread_join(thread, nullptr);
#endif
  return true;
}

// ASan's redzones make every frame about four times larger.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kFrameScale = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr size_t kFrameScale = 4;
#else
constexpr size_t kFrameScale = 1;
#endif
#else
constexpr size_t kFrameScale = 1;
#endif

constexpr size_t kMiB = 1024 * 1024;

// A process that calls itself until depth `until`, on a thread with a stack
// of `stack_bytes`; the outcome and the deepest depth reached.
struct Recursion {
  Outcome outcome;
  int deepest = 0;
};
Recursion recurse_on_stack(phost_host* host, size_t stack_bytes, int until) {
  std::atomic<int> deepest{0};
  must_add(host, "deep.recurse", [&](phost_call_ctx* ctx, const phost_value* args, phost_value** out) {
    const int depth = static_cast<int>(info_of(ctx).depth);
    if (depth > deepest) deepest = depth;
    if (depth >= until) return api().value_null(out);
    return api().call(nullptr, ctx, S("deep.recurse"), args, out);
  });
  Recursion r;
  REQUIRE(run_on_stack(stack_bytes, [&] { r.outcome = call(host, "deep.recurse"); }));
  r.deepest = deepest;
  REQUIRE(phost_unregister(host, S("deep.recurse")) == PHOST_OK);  // its handler refers to this frame
  return r;
}

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("100000 registered processes are all callable and all finalized once") {
  static std::atomic<int> finalized{0};
  finalized = 0;
  {
    HostPtr host = make_host();
    auto handler = [](void*, phost_call_ctx*, const phost_value* args, phost_value** out) -> phost_status {
      api().value_retain(args);
      *out = const_cast<phost_value*>(args);
      return PHOST_OK;
    };
    for (int i = 0; i < 100000; ++i) {
      const std::string name = "many.p" + std::to_string(i);
      phost_process_desc desc{};
      desc.struct_size = sizeof desc;
      desc.name = S(name);
      desc.handler = handler;
      desc.finalize = [](void*) { ++finalized; };
      REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
    }
    CHECK(call_json(host.get(), "many.p99999", "[7]").status == PHOST_OK);
    CHECK(call_json(host.get(), "MANY.P0", "[7]").status == PHOST_OK);
    for (int i = 0; i < 100000; i += 2) REQUIRE(phost_unregister(host.get(), S("many.p" + std::to_string(i))) == PHOST_OK);
    CHECK(finalized == 50000);
    CHECK(call_json(host.get(), "many.p0", "[]").status == PHOST_E_NOT_FOUND);
    CHECK(call_json(host.get(), "many.p1", "[1]").status == PHOST_OK);
  }
  CHECK(finalized == 100000);
}

TEST_CASE("a 10 MB log line from a plugin reaches the log and the host goes on") {
  LogCapture logs;
  HostPtr host = make_host(&logs);
  must_load(host.get(), PHOST_FIXTURE_SDK_PLUGIN);
  const std::string huge(10 * 1024 * 1024, 'x');
  phost_value* raw = nullptr;
  REQUIRE(api().value_array(1, &raw) == PHOST_OK);
  Ref args(raw);
  REQUIRE(api().value_push(raw, str_value(huge).release()) == PHOST_OK);
  Outcome logged = call(host.get(), "sdk.log", args.get());
  REQUIRE(logged.status == PHOST_OK);
  CHECK(get_int(logged.value.get()) == 10 * 1024 * 1024);
  size_t longest = 0;
  for (const LogLine& line : logs.lines())
    if (line.logger == "phost.sdk") longest = std::max(longest, line.message.size());
  CHECK(longest == huge.size());
  CHECK(call_json(host.get(), "sdk.double", "[21]").status == PHOST_OK);
}

TEST_CASE("a handler recursing 10000 deep through the host stops at the depth limit without a crash") {
  HostPtr host = make_host(nullptr, 100000);  // asks for more than the host allows (4096)
  const Recursion r = recurse_on_stack(host.get(), 16 * kMiB * kFrameScale, 10000);
  CHECK(r.outcome.status == PHOST_E_LIMIT);
  CHECK(r.outcome.error.code == 413);
  CHECK(r.outcome.error.message.find("call depth limit of 4096") != std::string::npos);
  CHECK(r.deepest == 4096);
  must_add(host.get(), "deep.ok", returns("fine"));
  CHECK(call(host.get(), "deep.ok").status == PHOST_OK);
}

TEST_CASE("on a 1 MB stack (an MSVC program's default) deep recursion stops before the stack overflows") {
  HostPtr host = make_host(nullptr, 4096);
  const Recursion r = recurse_on_stack(host.get(), 1 * kMiB * kFrameScale, 10000);
  INFO(r.outcome.error.message);
  CHECK(r.outcome.status == PHOST_E_LIMIT);
  CHECK(r.outcome.error.code == 413);
  CHECK(r.outcome.error.message.find("call depth limit: the thread's stack is nearly used up (") == 0);
  CHECK(r.outcome.error.message.find("calling 'deep.recurse'") != std::string::npos);
  CHECK(r.deepest > 256);
  CHECK(r.deepest < 4096);
  must_add(host.get(), "deep.ok", returns("fine"));
  CHECK(call(host.get(), "deep.ok").status == PHOST_OK);
}

TEST_CASE("a plugin whose finalizers and on_unload throw does not end the process") {
  LogCapture logs;
  {
    HostPtr host = make_host(&logs);
    REQUIRE(load(host.get(), PHOST_FIXTURE_THROWS_LATE) == PHOST_OK);
    Outcome o = call(host.get(), "late.answer");
    REQUIRE(o.status == PHOST_OK);
    CHECK(get_int(o.value.get()) == 42);
    CHECK(phost_unregister(host.get(), S("late.answer")) == PHOST_OK);  // its finalizer throws
    CHECK(call(host.get(), "late.answer").status == PHOST_E_NOT_FOUND);
    CHECK(call(host.get(), "late.other").status == PHOST_OK);
  }  // late.other's finalizer and on_unload throw
  bool said = false;
  for (const LogLine& line : logs.lines())
    said = said || line.message == "plugin throws_late threw an exception from on_unload (the C ABI forbids it); ignored";
  CHECK(said);
}

TEST_CASE("a plugin whose entry throws, or that names itself with 100,000 characters, fails to load saying so") {
  HostPtr host = make_host();
  const std::string path = PHOST_FIXTURE_THROWS_LATE;
  Ref throwing = json(R"({"throw_at_entry": true})");
  CHECK(load(host.get(), path, throwing.get()) == PHOST_E_LOAD);
  CHECK(last_error().message ==
        "plugin " + path + " failed to initialise: its entry threw (the C ABI forbids it): throws_late: the entry gave up");
  Ref silent = json(R"({"throw_empty_at_entry": true})");
  CHECK(load(host.get(), path, silent.get()) == PHOST_E_LOAD);
  CHECK(last_error().message == "plugin " + path + " failed to initialise: its entry threw (the C ABI forbids it): ");
  Ref long_name = json(R"({"long_name": true})");
  CHECK(load(host.get(), path, long_name.get()) == PHOST_E_LOAD);
  CHECK(last_error().message ==
        "plugin " + path + " set an info->name of 100000 bytes; at most 256 are allowed");
  CHECK(call(host.get(), "late.answer").status == PHOST_E_NOT_FOUND);  // what they registered went with them
  REQUIRE(load(host.get(), path) == PHOST_OK);
  CHECK(call(host.get(), "late.answer").status == PHOST_OK);
}

TEST_CASE("recursion through calls made anew (no parent ctx) stops before the stack overflows") {
  // Each call is a thread's "first" as far as depth goes; the stack check
  // sees that the thread is already inside a call.
  HostPtr host = make_host();
  phost_host* h = host.get();
  std::atomic<int> calls{0};
  must_add(h, "anew.recurse", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    ++calls;
    return phost_call(h, S("anew.recurse"), nullptr, nullptr, out);  // the application's API: no ctx
  });
  Outcome o;
  REQUIRE(run_on_stack(1 * kMiB * kFrameScale, [&] { o = call(h, "anew.recurse"); }));
  CHECK(o.status == PHOST_E_LIMIT);
  CHECK(o.error.code == 413);
  CHECK_MESSAGE(o.error.message.find("call depth limit: the thread's stack is nearly used up (") == 0, o.error.message);
  CHECK(calls > 10);
  REQUIRE(phost_unregister(h, S("anew.recurse")) == PHOST_OK);  // its handler refers to this frame
  must_add(h, "anew.ok", returns("fine"));
  CHECK(call(h, "anew.ok").status == PHOST_OK);
}

TEST_CASE("on a 1 MB stack the default depth limit of 256 trips first") {
  HostPtr host = make_host();
  const Recursion r = recurse_on_stack(host.get(), 1 * kMiB * kFrameScale, 10000);
  CHECK(r.outcome.status == PHOST_E_LIMIT);
  CHECK(r.outcome.error.message == "call depth limit of 256 exceeded calling 'deep.recurse'");
  CHECK(r.deepest == 256);
}

}  // TEST_SUITE
