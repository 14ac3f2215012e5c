// Calls: arguments, the inherited context, the depth limit, errors across
// hops, cancellation and deadlines.
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

using namespace test;

namespace {

// Calls name (with no arguments) from inside a handler, forwarding any failure.
HandlerFn calls(std::string name) {
  return [name = std::move(name)](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call(nullptr, ctx, S(name), nullptr, out);
  };
}

// A flag one thread raises and another waits for, without sleeping.
class Signal {
public:
  void raise() {
    {
      std::lock_guard lock(mutex_);
      raised_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return raised_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool raised_ = false;
};

// Raises started, then spins until the call is cancelled or past its deadline.
HandlerFn spins_until_stopped(Signal* started, phost_status status, int32_t code) {
  return [=](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    if (started) started->raise();
    while (!api().ctx_cancelled(ctx)) std::this_thread::yield();
    api().ctx_set_error(ctx, code, S("stopped as asked"));
    return status;
  };
}

}  // namespace

TEST_SUITE("calls") {

TEST_CASE("arguments arrive as an array and the result comes back") {
  HostPtr host = make_host();
  must_add(host.get(), "app.sum", [](phost_call_ctx*, const phost_value* args, phost_value** out) {
    int64_t total = 0;
    for (size_t i = 0; i < api().value_len(args); ++i) {
      int64_t item = 0;
      if (const phost_status status = api().value_get_int(api().value_at(args, i, nullptr), &item)) return status;
      total += item;
    }
    return api().value_int(total, out);
  });
  Outcome o = call_json(host.get(), "app.sum", "[1, 2, 39]");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 42);
  CHECK(last_error().status == PHOST_OK);

  o = call(host.get(), "app.sum", nullptr);  // NULL: no arguments
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 0);

  o = call_json(host.get(), "app.sum", R"({"a":1})");
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "arguments of 'app.sum' must be an array");
}

TEST_CASE("nested calls inherit session global subject and deadline") {
  HostPtr host = make_host();
  phost_call_info outer{}, inner{};
  must_add(host.get(), "app.inner", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    inner = info_of(ctx);
    return api().value_null(out);
  });
  must_add(host.get(), "app.outer", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    outer = info_of(ctx);
    return api().call(nullptr, ctx, S("App.Inner"), nullptr, out);
  });

  Ref subject = json(R"({"user":"ada","roles":["admin"]})");
  Ref global = json(R"({"tenant":"t1"})");
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.session = S("session-42");
  options.subject = subject.get();
  options.global = global.get();
  options.timeout_ms = 60'000;
  const int64_t before = api().clock_ns();
  Outcome o = call(host.get(), "app.outer", nullptr, &options);
  INFO(o);
  REQUIRE(o.status == PHOST_OK);

  CHECK(outer.depth == 1);
  CHECK(inner.depth == 2);
  CHECK(V(inner.name) == "App.Inner");
  CHECK(V(inner.session) == "session-42");
  CHECK(inner.subject == subject.get());
  CHECK(inner.global == global.get());
  CHECK(inner.deadline_ns == outer.deadline_ns);
  CHECK(outer.deadline_ns >= before + 60'000'000'000);
  CHECK(outer.deadline_ns <= api().clock_ns() + 60'000'000'000);

  // Without options: empty session, no subject, no global, no deadline.
  o = call(host.get(), "app.outer");
  REQUIRE(o.status == PHOST_OK);
  CHECK(V(inner.session).empty());
  CHECK(inner.subject == nullptr);
  CHECK(inner.global == nullptr);
  CHECK(inner.deadline_ns == 0);
}

TEST_CASE("a plugin's nested call inherits the context too") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_SDK_PLUGIN);
  Ref subject = json(R"("ada")");
  Ref global = json(R"({"tenant":"t1"})");
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.session = S("s1");
  options.subject = subject.get();
  options.global = global.get();
  options.timeout_ms = 60'000;
  Ref args = json(R"(["sdk.info"])");
  Outcome o = call(host.get(), "sdk.via", args.get(), &options);
  INFO(o);
  REQUIRE(o.status == PHOST_OK);
  const phost_value* info = o.value.get();
  CHECK(get_int(field(info, "depth")) == 2);
  CHECK(get_string(field(info, "name")) == "sdk.info");
  CHECK(get_string(field(info, "session")) == "s1");
  CHECK(to_json(field(info, "subject")) == R"("ada")");
  CHECK(to_json(field(info, "global")) == R"({"tenant":"t1"})");
  CHECK(get_int(field(info, "deadline_ns")) > api().clock_ns());
}

TEST_CASE("the depth limit stops runaway recursion") {
  HostPtr host = make_host(nullptr, 16);
  std::atomic<uint32_t> deepest{0};
  must_add(host.get(), "app.recurse", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    deepest = info_of(ctx).depth;
    return api().call(nullptr, ctx, S("app.recurse"), nullptr, out);
  });
  Outcome o = call(host.get(), "app.recurse");
  CHECK(o.status == PHOST_E_LIMIT);
  CHECK(o.error.code == 413);
  CHECK(o.error.message == "call depth limit of 16 exceeded calling 'app.recurse'");
  CHECK(deepest == 16);

  // Exactly at the limit is fine.
  must_add(host.get(), "app.countdown", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    if (info_of(ctx).depth == 16) return api().value_int(16, out);
    return api().call(nullptr, ctx, S("app.countdown"), nullptr, out);
  });
  o = call(host.get(), "app.countdown");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 16);
}

TEST_CASE("an error keeps its code and message across two hops") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_SDK_PLUGIN);
  // app.a -> sdk.teapot (418); app.a returns the nested status unchanged.
  must_add(host.get(), "app.a", calls("sdk.teapot"));
  Outcome o = call(host.get(), "app.a");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 418);
  CHECK(o.error.message == "I'm a teapot");

  // Three hops, all native: app.b -> app.a -> sdk.teapot.
  must_add(host.get(), "app.b", calls("app.a"));
  o = call(host.get(), "app.b");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 418);
  CHECK(o.error.message == "I'm a teapot");

  // Through the sdk's Call::call, which rethrows and reports at its boundary.
  Ref args = json(R"(["app.a"])");
  o = call(host.get(), "sdk.via", args.get());
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 418);
  CHECK(o.error.message == "I'm a teapot");

  // A status and code of another kind survive as well.
  must_add(host.get(), "app.lookup", calls("app.not_there"));
  o = call(host.get(), "app.lookup");
  CHECK(o.status == PHOST_E_NOT_FOUND);
  CHECK(o.error.code == 404);
  CHECK(o.error.message == "no process named 'app.not_there'");
}

TEST_CASE("an error's stack goes with it across hops, and a v1.0-sized phost_error is left alone") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_SDK_PLUGIN);
  must_add(host.get(), "app.deep", [](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    api().ctx_set_error_stack(ctx, S("    at Deep (deep.js:2:9)\n    at bad \xff (deep.js:5:1)"));
    api().ctx_set_error(ctx, 418, S("deep failure"));
    return PHOST_E_PROCESS;
  });
  const std::string stack = "    at Deep (deep.js:2:9)\n    at bad \xEF\xBF\xBD (deep.js:5:1)";  // U+FFFD
  Outcome o = call(host.get(), "app.deep");
  CHECK(o.error.code == 418);
  CHECK(o.error.message == "deep failure");
  CHECK(o.error.stack == stack);

  // Forwarded by returning the nested status, and by the sdk's rethrow.
  must_add(host.get(), "app.a", calls("app.deep"));
  o = call(host.get(), "app.a");
  CHECK(o.error.code == 418);
  CHECK(o.error.stack == stack);
  Ref args = json(R"(["app.a"])");
  o = call(host.get(), "sdk.via", args.get());
  CHECK(o.error.code == 418);
  CHECK(o.error.stack == stack);

  // A handler's own error has its own stack (none here).
  must_add(host.get(), "app.wraps", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    CHECK(api().call(nullptr, ctx, S("app.deep"), nullptr, out) == PHOST_E_PROCESS);
    api().ctx_set_error(ctx, 502, S("upstream failed"));
    return PHOST_E_PROCESS;
  });
  o = call(host.get(), "app.wraps");
  CHECK(o.error.code == 502);
  CHECK(o.error.stack.empty());

  // A caller built against v1.0 passes a shorter phost_error: nothing past message is written.
  CHECK(call(host.get(), "app.deep").status == PHOST_E_PROCESS);
  phost_error old{};
  old.struct_size = offsetof(phost_error, stack);
  old.stack = S("untouched");
  phost_last_error(&old);
  CHECK(old.code == 418);
  CHECK(V(old.message) == "deep failure");
  CHECK(V(old.stack) == "untouched");

  // Success clears it.
  CHECK(call(host.get(), "sdk.teapot").error.stack.empty());
  must_add(host.get(), "app.ok", returns("1"));
  o = call(host.get(), "app.ok");
  CHECK(o.status == PHOST_OK);
  CHECK(o.error.stack.empty());
}

TEST_CASE("a handler forwarding the status of a call it made without its ctx forwards that call's error") {
  HostPtr host = make_host();
  phost_host* h = host.get();
  must_add(h, "app.lost", [](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    api().ctx_set_error(ctx, 404, S("the real reason"));
    return PHOST_E_NOT_FOUND;
  });
  // An application handler calls through the application's API, which has no ctx to pass.
  must_add(h, "app.forward", [h](phost_call_ctx*, const phost_value*, phost_value** out) {
    return phost_call(h, S("app.lost"), nullptr, nullptr, out);
  });
  Outcome o = call(h, "app.forward");
  CHECK(o.status == PHOST_E_NOT_FOUND);
  CHECK(o.error.code == 404);
  CHECK(o.error.message == "the real reason");
  // A failure before the handler ran, or another status, is not taken for its own.
  CHECK(call(h, "app.nothing").status == PHOST_E_NOT_FOUND);
  must_add(h, "app.other", [h](phost_call_ctx*, const phost_value*, phost_value** out) {
    if (phost_call(h, S("app.lost"), nullptr, nullptr, out) == PHOST_OK) return PHOST_OK;
    return PHOST_E_PROCESS;
  });
  o = call(h, "app.other");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.message == "process 'app.other' failed with PHOST_E_PROCESS and gave no message");
  must_add(h, "app.silent", [](phost_call_ctx*, const phost_value*, phost_value**) { return PHOST_E_NOT_FOUND; });
  o = call(h, "app.silent");
  CHECK(o.error.message == "process 'app.silent' failed with PHOST_E_NOT_FOUND and gave no message");
}

TEST_CASE("a failure's message is kept up to 1 MiB, then cut saying how long it was") {
  HostPtr host = make_host();
  const std::string huge(3 << 20, 'm');
  must_add(host.get(), "app.verbose", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    api().ctx_set_error(ctx, 500, S(huge));
    return PHOST_E_PROCESS;
  });
  must_add(host.get(), "app.direct", [&](phost_call_ctx*, const phost_value*, phost_value**) {
    api().error_set(PHOST_E_PROCESS, 500, S(huge));
    return PHOST_E_PROCESS;
  });
  for (const char* name : {"app.verbose", "app.direct"}) {
    CAPTURE(name);
    const Outcome o = call(host.get(), name);
    CHECK(o.status == PHOST_E_PROCESS);
    CHECK(o.error.message.size() < (1u << 20) + 100);
    CHECK(o.error.message.rfind(std::string(1000, 'm'), 0) == 0);
    CHECK_MESSAGE(o.error.message.ends_with("m... (3145728 bytes)"), o.error.message.substr(o.error.message.size() - 60));
  }
}

TEST_CASE("a handler's own error replaces a nested one") {
  HostPtr host = make_host();
  must_add(host.get(), "app.fails", [](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    api().ctx_set_error(ctx, 418, S("inner failure"));
    return PHOST_E_PROCESS;
  });
  must_add(host.get(), "app.wraps", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    CHECK(api().call(nullptr, ctx, S("app.fails"), nullptr, out) == PHOST_E_PROCESS);
    api().ctx_set_error(ctx, 502, S("upstream failed: inner failure"));
    return PHOST_E_PROCESS;
  });
  Outcome o = call(host.get(), "app.wraps");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 502);
  CHECK(o.error.message == "upstream failed: inner failure");
}

TEST_CASE("a nested failure the handler recovered from does not become its own failure") {
  HostPtr host = make_host();
  must_add(host.get(), "app.recovers", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    CHECK(api().call(nullptr, ctx, S("app.missing"), nullptr, out) == PHOST_E_NOT_FOUND);
    return PHOST_E_UNSUPPORTED;  // a failure of its own, without a message
  });
  Outcome o = call(host.get(), "app.recovers");
  CHECK(o.status == PHOST_E_UNSUPPORTED);
  CHECK(o.error.code == 501);
  CHECK(o.error.message == "process 'app.recovers' failed with PHOST_E_UNSUPPORTED and gave no message");

  must_add(host.get(), "app.recovers_ok", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    CHECK(api().call(nullptr, ctx, S("app.missing"), nullptr, out) == PHOST_E_NOT_FOUND);
    return api().value_string(S("fallback"), out);
  });
  o = call(host.get(), "app.recovers_ok");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == "fallback");
  CHECK(last_error().status == PHOST_OK);
}

TEST_CASE("a cancel from another thread stops a handler that watches ctx_cancelled") {
  HostPtr host = make_host();
  Signal started;
  must_add(host.get(), "app.spin", spins_until_stopped(&started, PHOST_E_CANCELLED, 499));
  CancelPtr cancel(phost_cancel_new());
  REQUIRE(cancel != nullptr);
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.cancel = cancel.get();

  Outcome result{PHOST_OK, nullptr, {}};
  std::thread caller([&] { result = call(host.get(), "app.spin", nullptr, &options); });
  started.wait();
  phost_cancel_trigger(cancel.get());
  caller.join();
  CHECK(result.status == PHOST_E_CANCELLED);
  CHECK(result.error.code == 499);
  CHECK(result.error.message == "stopped as asked");

  // The token stays triggered: the next call with it does not start.
  std::atomic<int> ran{0};
  must_add(host.get(), "app.never", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    ++ran;
    return api().value_null(out);
  });
  Outcome o = call(host.get(), "app.never", nullptr, &options);
  CHECK(o.status == PHOST_E_CANCELLED);
  CHECK(o.error.code == 499);
  CHECK(o.error.message == "cancelled before 'app.never' started");
  CHECK(ran == 0);
}

TEST_CASE("a cancel reaches nested calls") {
  HostPtr host = make_host();
  Signal started;
  must_add(host.get(), "app.spin", spins_until_stopped(&started, PHOST_E_CANCELLED, 499));
  must_add(host.get(), "app.outer", calls("app.spin"));
  CancelPtr cancel(phost_cancel_new());
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.cancel = cancel.get();
  Outcome result{PHOST_OK, nullptr, {}};
  std::thread caller([&] { result = call(host.get(), "app.outer", nullptr, &options); });
  started.wait();
  phost_cancel_trigger(cancel.get());
  caller.join();
  CHECK(result.status == PHOST_E_CANCELLED);
  CHECK(result.error.message == "stopped as asked");
}

TEST_CASE("timeout_ms sets a deadline that ctx_cancelled reports") {
  HostPtr host = make_host();
  int64_t deadline = 0;
  must_add(host.get(), "app.spin", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    deadline = info_of(ctx).deadline_ns;
    while (!api().ctx_cancelled(ctx)) std::this_thread::yield();
    api().ctx_set_error(ctx, 408, S("gave up at the deadline"));
    return PHOST_E_TIMEOUT;
  });
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.timeout_ms = 50;
  const int64_t start = api().clock_ns();
  Outcome o = call(host.get(), "app.spin", nullptr, &options);
  const int64_t end = api().clock_ns();
  CHECK(o.status == PHOST_E_TIMEOUT);
  CHECK(o.error.code == 408);
  CHECK(o.error.message == "gave up at the deadline");
  CHECK(deadline >= start + 50'000'000);
  CHECK(end >= deadline);
}

TEST_CASE("a nested call after the deadline does not start") {
  HostPtr host = make_host();
  std::atomic<int> inner_ran{0};
  must_add(host.get(), "app.inner", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    ++inner_ran;
    return api().value_null(out);
  });
  must_add(host.get(), "app.outer", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    while (!api().ctx_cancelled(ctx)) std::this_thread::yield();
    return api().call(nullptr, ctx, S("app.inner"), nullptr, out);
  });
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.timeout_ms = 20;
  Outcome o = call(host.get(), "app.outer", nullptr, &options);
  CHECK(o.status == PHOST_E_TIMEOUT);
  CHECK(o.error.code == 408);
  CHECK(o.error.message == "deadline passed before 'app.inner' started");
  CHECK(inner_ran == 0);
}

TEST_CASE("options global must be an object") {
  HostPtr host = make_host();
  std::atomic<int> ran{0};
  must_add(host.get(), "app.x", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    ++ran;
    return api().value_null(out);
  });
  for (const char* not_object : {"[1]", "\"text\"", "null", "3"}) {
    CAPTURE(not_object);
    Ref global = json(not_object);
    phost_call_options options{};
    options.struct_size = sizeof options;
    options.global = global.get();
    Outcome o = call(host.get(), "app.x", nullptr, &options);
    CHECK(o.status == PHOST_E_INVALID_ARG);
    CHECK(o.error.code == 400);
    CHECK(o.error.message == "options->global must be an object");
  }
  CHECK(ran == 0);
}

TEST_CASE("options from an older caller are read up to their struct_size") {
  HostPtr host = make_host();
  phost_call_info seen{};
  must_add(host.get(), "app.x", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    seen = info_of(ctx);
    return api().value_null(out);
  });
  phost_call_options options{};
  options.struct_size = offsetof(phost_call_options, subject);  // knows only the session
  options.session = S("old");
  options.timeout_ms = 1;  // past its struct_size: ignored
  Outcome o = call(host.get(), "app.x", nullptr, &options);
  REQUIRE(o.status == PHOST_OK);
  CHECK(V(seen.session) == "old");
  CHECK(seen.deadline_ns == 0);
}

TEST_CASE("arguments are frozen for the handler even when the caller held the only reference") {
  HostPtr host = make_host();
  phost_status push_status = PHOST_OK, set_status = PHOST_OK;
  std::string push_message;
  must_add(host.get(), "app.mutate", [&](phost_call_ctx*, const phost_value* args, phost_value** out) {
    // A handler that ignores the const: the host still refuses.
    push_status = api().value_push(const_cast<phost_value*>(args), int_value(99).release());
    push_message = last_error().message;
    set_status = api().value_set(const_cast<phost_value*>(api().value_at(args, 0, nullptr)), S("k"),
                                 int_value(99).release());
    return api().value_null(out);
  });
  phost_value* v = nullptr;
  REQUIRE(api().value_object(0, &v) == PHOST_OK);
  phost_value* item = v;
  REQUIRE(api().value_set(item, S("k"), int_value(1).release()) == PHOST_OK);
  REQUIRE(api().value_array(1, &v) == PHOST_OK);
  Ref args(v);
  REQUIRE(api().value_push(args.get(), item) == PHOST_OK);

  Outcome o = call(host.get(), "app.mutate", args.get());
  REQUIRE(o.status == PHOST_OK);
  CHECK(push_status == PHOST_E_INVALID_ARG);
  CHECK(push_message == "value_push: value is shared (frozen); build it before passing it on");
  CHECK(set_status == PHOST_E_INVALID_ARG);
  CHECK(to_json(args.get()) == "[{\"k\":1}]");
  // Frozen by the call for good: the caller cannot change what a handler may have kept.
  CHECK(api().value_push(args.get(), int_value(2).release()) == PHOST_E_INVALID_ARG);
  CHECK(to_json(args.get()) == "[{\"k\":1}]");
}

TEST_CASE("a result is frozen even when the caller receives the only reference") {
  HostPtr host = make_host();
  must_add(host.get(), "app.fresh", [](phost_call_ctx*, const phost_value*, phost_value** out) {
    return api().value_array(0, out);
  });
  Outcome o = call(host.get(), "app.fresh");
  REQUIRE(o.status == PHOST_OK);
  CHECK(api().value_push(o.value.get(), int_value(1).release()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value_push: value is shared (frozen); build it before passing it on");
  CHECK(api().value_len(o.value.get()) == 0);
}

TEST_CASE("a serial process runs one call at a time") {
  HostPtr host = make_host();
  std::atomic<int> inside{0}, most{0};
  must_add(
      host.get(), "app.serial",
      [&](phost_call_ctx*, const phost_value*, phost_value** out) {
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        for (int i = 0; i < 1000; ++i) std::this_thread::yield();
        --inside;
        return api().value_null(out);
      },
      PHOST_PROCESS_SERIAL);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) CHECK(call(host.get(), "app.serial").status == PHOST_OK);
    });
  for (std::thread& t : threads) t.join();
  CHECK(most == 1);
}

TEST_CASE("a serial process that calls itself on the same thread gets 409 naming it, not a deadlock") {
  HostPtr host = make_host();
  Err direct, chained;
  must_add(
      host.get(), "app.self",
      [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
        phost_value* again = nullptr;
        CHECK(api().call(nullptr, ctx, S("app.self"), nullptr, &again) == PHOST_E_LIMIT);
        direct = last_error();
        return api().value_string(S("recovered"), out);
      },
      PHOST_PROCESS_SERIAL);
  // a -> b -> a: the second entry into a is on the same thread, through b.
  must_add(
      host.get(), "app.a",
      [&](phost_call_ctx* ctx, const phost_value* args, phost_value** out) {
        if (api().value_len(args) == 0) return calls("app.b")(ctx, args, out);
        return api().value_null(out);
      },
      PHOST_PROCESS_SERIAL);
  must_add(host.get(), "app.b", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    Ref args = json("[1]");
    const phost_status status = api().call(nullptr, ctx, S("app.a"), args.get(), out);
    chained = last_error();
    return status;
  });

  Outcome o = call(host.get(), "app.self");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == "recovered");
  CHECK(direct.status == PHOST_E_LIMIT);
  CHECK(direct.code == 409);
  CHECK(direct.message ==
        "process 'app.self' is serial (PHOST_PROCESS_SERIAL) and already running on this thread; calling it again "
        "from inside itself would wait for itself forever");

  o = call(host.get(), "app.a");
  CHECK(o.status == PHOST_E_LIMIT);
  CHECK(o.error.code == 409);
  CHECK(o.error.message.rfind("process 'app.a' is serial (PHOST_PROCESS_SERIAL) and already running", 0) == 0);
  CHECK(chained.code == 409);
  // Nothing stays locked: the process serves the next call.
  CHECK(call(host.get(), "app.self").status == PHOST_OK);
}

TEST_CASE("a caller waiting for a busy serial process keeps its deadline and its cancellation") {
  HostPtr host = make_host();
  std::mutex mutex;
  std::condition_variable changed;
  bool inside = false, release = false;
  must_add(
      host.get(), "app.busy",
      [&](phost_call_ctx*, const phost_value*, phost_value** out) {
        std::unique_lock lock(mutex);
        inside = true;
        changed.notify_all();
        changed.wait_for(lock, std::chrono::seconds(3), [&] { return release; });  // bounded, whatever happens
        return api().value_null(out);
      },
      PHOST_PROCESS_SERIAL);
  std::thread holder([&] { CHECK(call(host.get(), "app.busy").status == PHOST_OK); });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return inside; });
  }

  phost_call_options options{};
  options.struct_size = sizeof options;
  options.timeout_ms = 100;
  auto start = std::chrono::steady_clock::now();
  Outcome o = call(host.get(), "app.busy", nullptr, &options);
  CHECK(o.status == PHOST_E_TIMEOUT);
  CHECK(o.error.code == 408);
  CHECK(o.error.message == "deadline passed while waiting for serial process 'app.busy'");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));

  CancelPtr cancel(phost_cancel_new());
  options.timeout_ms = 0;
  options.cancel = cancel.get();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    phost_cancel_trigger(cancel.get());
  });
  start = std::chrono::steady_clock::now();
  o = call(host.get(), "app.busy", nullptr, &options);
  canceller.join();
  CHECK(o.status == PHOST_E_CANCELLED);
  CHECK(o.error.code == 499);
  CHECK(o.error.message == "cancelled while waiting for serial process 'app.busy'");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));

  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  holder.join();
  CHECK(call(host.get(), "app.busy").status == PHOST_OK);
}

}  // TEST_SUITE

// ---- v1.2: ctx_wait and call_with_deadline

TEST_CASE("ctx_wait returns at its own time when nothing stops the call") {
  HostPtr host = make_host();
  must_add(host.get(), "app.nap", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    const int64_t start = api().clock_ns();
    const phost_status s = api().ctx_wait(ctx, start + 20'000'000);
    if (s != PHOST_OK) return s;
    return api().value_int((api().clock_ns() - start) / 1'000'000, out);
  });
  Outcome o = call(host.get(), "app.nap");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) >= 20);
}

TEST_CASE("ctx_wait ends at the call's deadline with 408") {
  HostPtr host = make_host();
  must_add(host.get(), "app.nap", [](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    return api().ctx_wait(ctx, 0);  // no limit of its own: only the deadline ends it
  });
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.timeout_ms = 30;
  const int64_t start = api().clock_ns();
  Outcome o = call(host.get(), "app.nap", nullptr, &options);
  CHECK(o.status == PHOST_E_TIMEOUT);
  CHECK(o.error.code == 408);
  CHECK(o.error.message == "deadline passed while 'app.nap' waited");
  CHECK(api().clock_ns() - start >= 30'000'000);
}

TEST_CASE("ctx_wait wakes at once when the call is cancelled from another thread") {
  HostPtr host = make_host();
  Signal started;
  must_add(host.get(), "app.nap", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    started.raise();
    return api().ctx_wait(ctx, api().clock_ns() + 60'000'000'000);  // a minute
  });
  must_add(host.get(), "app.outer", calls("app.nap"));
  CancelPtr cancel(phost_cancel_new());
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.cancel = cancel.get();
  Outcome result{PHOST_OK, nullptr, {}};
  std::thread caller([&] { result = call(host.get(), "app.outer", nullptr, &options); });
  started.wait();
  const int64_t triggered = api().clock_ns();
  phost_cancel_trigger(cancel.get());
  caller.join();
  CHECK(result.status == PHOST_E_CANCELLED);
  CHECK(result.error.code == 499);
  CHECK(result.error.message == "cancelled while 'app.nap' waited");
  CHECK(api().clock_ns() - triggered < 5'000'000'000);  // not the minute
}

TEST_CASE("ctx_wait wakes with 503 when its host is being destroyed") {
  HostPtr host = make_host();
  Signal started;
  must_add(host.get(), "app.nap", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    started.raise();
    return api().ctx_wait(ctx, 0);  // nothing but the host's end stops it
  });
  Outcome result{PHOST_OK, nullptr, {}};
  phost_host* raw = host.get();
  std::thread caller([&] { result = call(raw, "app.nap"); });
  started.wait();
  host.reset();  // waits for the call, which must wake up
  caller.join();
  CHECK(result.status == PHOST_E_CANCELLED);
  CHECK(result.error.code == 503);
  CHECK(result.error.message == "host is being destroyed while 'app.nap' waited");
}

TEST_CASE("ctx_wait refuses a NULL ctx") {
  CHECK(api().ctx_wait(nullptr, 0) == PHOST_E_INVALID_ARG);
}

TEST_CASE("call_with_deadline gives the callee a tighter deadline than its caller's") {
  HostPtr host = make_host();
  int64_t outer_deadline = 0, inner_deadline = 0;
  must_add(host.get(), "app.inner", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    inner_deadline = info_of(ctx).deadline_ns;
    return api().ctx_wait(ctx, 0);
  });
  must_add(host.get(), "app.outer", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    outer_deadline = info_of(ctx).deadline_ns;
    phost_value* inner = nullptr;
    const phost_status s =
        api().call_with_deadline(nullptr, ctx, S("app.inner"), nullptr, api().clock_ns() + 20'000'000, &inner);
    api().value_release(inner);
    phost_error e{};
    e.struct_size = sizeof e;
    api().last_error(&e);
    return api().value_string(S(std::to_string(s) + " " + std::to_string(e.code)), out);  // the caller goes on
  });
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.timeout_ms = 60000;
  Outcome o = call(host.get(), "app.outer", nullptr, &options);
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == std::to_string(PHOST_E_TIMEOUT) + " 408");
  CHECK(inner_deadline > 0);
  CHECK(inner_deadline < outer_deadline);

  // A later deadline than the inherited one changes nothing.
  must_add(host.get(), "app.later", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call_with_deadline(nullptr, ctx, S("app.peek"), nullptr, outer_deadline + 1'000'000'000'000, out);
  });
  must_add(host.get(), "app.peek", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().value_int(info_of(ctx).deadline_ns, out);
  });
  options.timeout_ms = 1000;
  Outcome later = call(host.get(), "app.later", nullptr, &options);
  REQUIRE(later.status == PHOST_OK);
  CHECK(get_int(later.value.get()) <= api().clock_ns() + 1'000'000'000);
}
