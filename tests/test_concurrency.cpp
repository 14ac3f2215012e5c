// Many threads at once: calls racing with registration, unregistration and
// aliases; finalizers on whichever thread ends last; per-thread last errors.
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace test;

namespace {

// Adds its two integer arguments; counts its finalizer into *finalized.
phost_process_desc adder(std::string_view name, std::atomic<int>* finalized) {
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.name = S(name);
  desc.user_data = finalized;
  desc.handler = [](void*, phost_call_ctx*, const phost_value* args, phost_value** out) {
    int64_t a = 0, b = 0;
    if (const phost_status s = api().value_get_int(api().value_at(args, 0, nullptr), &a)) return s;
    if (const phost_status s = api().value_get_int(api().value_at(args, 1, nullptr), &b)) return s;
    return api().value_int(a + b, out);
  };
  desc.finalize = [](void* data) { ++*static_cast<std::atomic<int>*>(data); };
  return desc;
}

Ref pair(int64_t a, int64_t b) { return json("[" + std::to_string(a) + "," + std::to_string(b) + "]"); }

}  // namespace

TEST_SUITE("concurrency") {

TEST_CASE("eight threads call while two threads register unregister and alias") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  std::atomic<int> finalized{0}, registered{0};
  const phost_process_desc stable = adder("stable.add", &finalized);
  REQUIRE(phost_register(host.get(), &stable) == PHOST_OK);
  ++registered;

  constexpr int kCallers = 8, kCalls = 4000, kChurn = 3000;
  std::atomic<int> wrong{0}, found_churn{0}, missed_churn{0}, may_miss_calls{0};
  std::vector<std::thread> threads;

  // Churn 1: registers and unregisters churn.add.<0..3> (and the group "churn").
  threads.emplace_back([&] {
    for (int i = 0; i < kChurn; ++i) {
      const std::string name = "churn.add" + std::to_string(i % 4);
      const phost_process_desc desc = adder(name, &finalized);
      const phost_status status = phost_register(host.get(), &desc);
      if (status == PHOST_OK) {
        ++registered;
        if (phost_unregister(host.get(), S(name)) != PHOST_OK) ++wrong;
      } else {
        ++wrong;
      }
      phost_process_desc group_desc = adder("churn", &finalized);
      group_desc.flags = PHOST_PROCESS_GROUP;
      if (phost_register(host.get(), &group_desc) == PHOST_OK) {
        ++registered;
        if (phost_unregister(host.get(), S("churn")) != PHOST_OK) ++wrong;
      } else {
        ++wrong;
      }
    }
  });
  // Churn 2: aliases stable.add and the C plugin's c.add under changing names, then drops them.
  threads.emplace_back([&] {
    for (int i = 0; i < kChurn; ++i) {
      const std::string alias = "alias.n" + std::to_string(i % 8);
      const char* target = i % 2 ? "stable.add" : "c.add";
      if (phost_alias(host.get(), S(target), S(alias)) != PHOST_OK) ++wrong;
      if (phost_unregister(host.get(), S(alias)) != PHOST_OK) ++wrong;
      phost_value* list = nullptr;
      if (phost_list(host.get(), &list) != PHOST_OK) ++wrong;
      api().value_release(list);
    }
  });
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int64_t a = t * 100000 + i, b = i;
        Ref args = pair(a, b);
        const char* names[] = {"stable.add", "c.add", "churn.add0", "churn.add3", "churn.x.Add", "alias.n1",
                               "alias.n2"};
        const char* name = names[i % 7];
        Outcome o = call(host.get(), name, args.get());
        const bool may_miss = std::string_view(name).rfind("stable", 0) != 0 && std::string_view(name) != "c.add";
        if (may_miss) ++may_miss_calls;
        if (o.status == PHOST_OK) {
          int64_t sum = 0;
          if (api().value_get_int(o.value.get(), &sum) != PHOST_OK || sum != a + b) ++wrong;
          if (may_miss) ++found_churn;
        } else if (may_miss && o.status == PHOST_E_NOT_FOUND && o.error.code == 404 &&
                   o.error.message.rfind("no process named '", 0) == 0) {
          ++missed_churn;
        } else {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  CHECK(wrong == 0);
  CHECK(found_churn + missed_churn == may_miss_calls);
  CHECK(may_miss_calls > 0);
  CHECK(call(host.get(), "churn.add0").status == PHOST_E_NOT_FOUND);
  CHECK(call(host.get(), "alias.n1").status == PHOST_E_NOT_FOUND);
  CHECK(finalized == registered - 1);  // all but stable.add
  host.reset();
  CHECK(finalized == registered);
}

TEST_CASE("the finalizer runs once after the last of many in-flight calls") {
  HostPtr host = make_host();
  std::mutex mutex;
  std::condition_variable cv;
  int inside = 0;
  bool release = false;
  std::atomic<int> finalized{0};
  struct State {
    std::mutex& mutex;
    std::condition_variable& cv;
    int& inside;
    bool& release;
    std::atomic<int>& finalized;
  } state{mutex, cv, inside, release, finalized};

  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.name = S("app.gate");
  desc.user_data = &state;
  desc.handler = [](void* data, phost_call_ctx*, const phost_value*, phost_value** out) {
    auto& s = *static_cast<State*>(data);
    std::unique_lock lock(s.mutex);
    ++s.inside;
    s.cv.notify_all();
    s.cv.wait(lock, [&] { return s.release; });
    return api().value_null(out);
  };
  desc.finalize = [](void* data) { ++static_cast<State*>(data)->finalized; };
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  // By name, or through one ref all threads share (the registry holds the
  // process for each call the same way).
  phost_ref* shared_ref = nullptr;
  bool by_ref = false;
  SUBCASE("by name") {}
  SUBCASE("through a ref") { by_ref = true; }
  if (by_ref) REQUIRE(phost_lookup(host.get(), S("app.gate"), &shared_ref) == PHOST_OK);

  constexpr int kThreads = 6;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      phost_value* out = nullptr;
      const phost_status status = by_ref ? phost_call_ref(host.get(), shared_ref, nullptr, nullptr, &out)
                                         : phost_call(host.get(), S("app.gate"), nullptr, nullptr, &out);
      api().value_release(out);
      if (status == PHOST_OK) ++ok;
    });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return inside == kThreads; });
  }
  REQUIRE(phost_unregister(host.get(), S("app.gate")) == PHOST_OK);
  CHECK(finalized == 0);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
  CHECK(ok == kThreads);
  CHECK(finalized == 1);
  if (by_ref) {  // and the ref now gives the name's 404
    phost_value* out = nullptr;
    CHECK(phost_call_ref(host.get(), shared_ref, nullptr, nullptr, &out) == PHOST_E_NOT_FOUND);
    phost_ref_release(shared_ref);
  }
}

// An unregistered process that no call runs is finalized by the unregister
// itself, before it returns, however many other calls end meanwhile on other
// threads (even while another retired process waits for its last call).
TEST_CASE("unregistering an idle process finalizes it before returning while other threads' calls end") {
  HostPtr host = make_host();
  phost_host* h = host.get();
  // A retired process with a call running keeps the registry's sweep armed.
  std::mutex mutex;
  std::condition_variable cv;
  bool inside = false, release = false;
  must_add(h, "app.gate", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    std::unique_lock lock(mutex);
    inside = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return api().value_null(out);
  });
  std::thread gated([&] { CHECK(call(h, "app.gate").status == PHOST_OK); });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return inside; });
  }
  REQUIRE(phost_unregister(h, S("app.gate")) == PHOST_OK);

  must_add(h, "app.busy", [](phost_call_ctx*, const phost_value*, phost_value** out) { return api().value_null(out); });
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&] {
      while (!stop.load()) CHECK(call(h, "app.busy").status == PHOST_OK);
    });
  int late = 0;
  for (int round = 0; round < 300; ++round) {
    std::atomic<int> finalized{0};
    phost_process_desc desc{};
    desc.struct_size = sizeof desc;
    desc.name = S("app.idle");
    desc.user_data = &finalized;
    desc.handler = [](void*, phost_call_ctx*, const phost_value*, phost_value** out) { return api().value_null(out); };
    desc.finalize = [](void* data) { ++*static_cast<std::atomic<int>*>(data); };
    REQUIRE(phost_register(h, &desc) == PHOST_OK);
    REQUIRE(phost_unregister(h, S("app.idle")) == PHOST_OK);
    late += finalized.load() != 1;
    while (finalized.load() == 0) std::this_thread::yield();  // the finalizer still holds &finalized
  }
  CHECK(late == 0);
  stop = true;
  for (auto& t : callers) t.join();
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  gated.join();
}

TEST_CASE("each thread keeps its own last error") {
  HostPtr host = make_host();
  must_add(host.get(), "app.ok", returns("fine"));
  std::mutex mutex;
  std::condition_variable cv;
  int step = 0;
  auto wait_for = [&](int s) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return step >= s; });
  };
  auto advance = [&] {
    {
      std::lock_guard lock(mutex);
      ++step;
    }
    cv.notify_all();
  };
  Err seen_by_failer;
  std::thread failer([&] {
    CHECK(call(host.get(), "app.missing").status == PHOST_E_NOT_FOUND);
    advance();   // step 1: failed
    wait_for(2); // the other thread succeeded meanwhile
    seen_by_failer = last_error();
  });
  std::thread succeeder([&] {
    wait_for(1);
    CHECK(call(host.get(), "app.ok").status == PHOST_OK);
    advance();  // step 2
  });
  failer.join();
  succeeder.join();
  CHECK(seen_by_failer.status == PHOST_E_NOT_FOUND);
  CHECK(seen_by_failer.message == "no process named 'app.missing'");
}

TEST_CASE("one cancel token stops calls on many threads") {
  HostPtr host = make_host();
  constexpr int kThreads = 4;
  std::atomic<int> started{0};
  must_add(host.get(), "app.spin", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    ++started;
    while (!api().ctx_cancelled(ctx)) std::this_thread::yield();
    api().ctx_set_error(ctx, 499, S("cancelled while spinning"));
    return PHOST_E_CANCELLED;
  });
  CancelPtr cancel(phost_cancel_new());
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.cancel = cancel.get();
  std::atomic<int> cancelled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      Outcome o = call(host.get(), "app.spin", nullptr, &options);
      if (o.status == PHOST_E_CANCELLED && o.error.code == 499) ++cancelled;
    });
  while (started < kThreads) std::this_thread::yield();
  phost_cancel_trigger(cancel.get());
  for (std::thread& t : threads) t.join();
  CHECK(cancelled == kThreads);
}

TEST_CASE("values are shared read-only across threads") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  Ref shared = json(R"([{"k":[1,2,3]},"text",42])");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        api().value_retain(shared.get());
        Ref mine(shared.get());
        Outcome o = call(host.get(), "c.echo", mine.get());
        if (o.status != PHOST_OK || o.value.get() != shared.get()) ++wrong;
        if (api().value_len(field(api().value_at(mine.get(), 0, nullptr), "k")) != 3) ++wrong;
      }
    });
  for (std::thread& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(to_json(shared.get()) == R"([{"k":[1,2,3]},"text",42])");
}

TEST_CASE("a handler's ctx may be the parent of nested calls on several threads at once") {
  HostPtr host = make_host();
  // Long messages (past any small-string buffer), one per code, so a torn or
  // raced copy shows as a wrong message (or as a report under TSan and ASan).
  auto message = [](int64_t k) { return "failure number " + std::to_string(k) + " " + std::string(300, 'x'); };
  must_add(host.get(), "app.fail", [&](phost_call_ctx* ctx, const phost_value* args, phost_value**) {
    int64_t k = 0;
    api().value_get_int(api().value_at(args, 0, nullptr), &k);
    const std::string text = message(k);
    api().ctx_set_error(ctx, 400 + static_cast<int32_t>(k), S(text));
    return PHOST_E_INVALID_ARG;
  });
  constexpr int kThreads = 8;
  // Nested failures on every thread: the one forwarded is whole.
  must_add(host.get(), "app.fan", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([ctx, t] {
        phost_value* args = nullptr;
        phost_value* k = nullptr;
        api().value_array(1, &args);
        api().value_int(t, &k);
        api().value_push(args, k);
        for (int i = 0; i < 200; ++i) {
          phost_value* out = nullptr;
          if (api().call(nullptr, ctx, S("app.fail"), args, &out) == PHOST_OK) api().value_release(out);
        }
        api().value_release(args);
      });
    for (std::thread& t : threads) t.join();
    return PHOST_E_INVALID_ARG;
  });
  // ctx_set_error from every thread: the error returned is one of theirs, whole.
  must_add(host.get(), "app.fan_errors", [&](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, ctx, t] {
        const std::string text = message(t);
        for (int i = 0; i < 200; ++i) api().ctx_set_error(ctx, 500 + t, S(text));
      });
    for (std::thread& t : threads) t.join();
    return PHOST_E_PROCESS;
  });

  for (int round = 0; round < 5; ++round) {
    Outcome o = call(host.get(), "app.fan");
    CHECK(o.status == PHOST_E_INVALID_ARG);
    REQUIRE(o.error.code >= 400);
    REQUIRE(o.error.code < 400 + kThreads);
    CHECK(o.error.message == message(o.error.code - 400));

    o = call(host.get(), "app.fan_errors");
    CHECK(o.status == PHOST_E_PROCESS);
    REQUIRE(o.error.code >= 500);
    REQUIRE(o.error.code < 500 + kThreads);
    CHECK(o.error.message == message(o.error.code - 500));
  }
}

TEST_CASE("host destruction waits for a call running on another thread, whose nested calls then fail with 503") {
  HostPtr host = make_host();
  // app.worker keeps calling app.ping through the host until the host refuses.
  struct Worker {
    std::atomic<bool> inside{false}, returned{false}, finalized_after_return{false};
    Err refused;
  } worker;
  must_add(host.get(), "app.ping", returns("pong"));
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.name = S("app.worker");
  desc.user_data = &worker;
  desc.handler = [](void* data, phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    auto* w = static_cast<Worker*>(data);
    w->inside = true;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      phost_value* pong = nullptr;
      const phost_status status = api().call(nullptr, ctx, S("app.ping"), nullptr, &pong);
      api().value_release(pong);
      if (status != PHOST_OK) {
        w->refused = last_error();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    w->returned = true;
    return api().value_null(out);
  };
  desc.finalize = [](void* data) {
    auto* w = static_cast<Worker*>(data);
    w->finalized_after_return = w->returned.load();
  };
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);

  phost_status worker_status = PHOST_E_INTERNAL;
  std::thread caller([&, h = host.get()] { worker_status = call(h, "app.worker").status; });
  while (!worker.inside) std::this_thread::yield();
  host.reset();  // returns only once app.worker has returned
  CHECK(worker.returned);
  caller.join();
  CHECK(worker_status == PHOST_OK);
  CHECK(worker.refused.status == PHOST_E_CANCELLED);
  CHECK(worker.refused.code == 503);
  CHECK(worker.refused.message == "host is being destroyed: 'app.ping' was not called");
  CHECK(worker.finalized_after_return);
}

}  // TEST_SUITE
