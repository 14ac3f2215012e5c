// Call handles (ABI 1.4): a call through a ref is a call by its name at the
// moment of the call, whatever changed in the registry since the lookup.
#include "support.hpp"

#include <phost/host.hpp>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

using namespace test;

namespace {

struct RefRelease {
  void operator()(phost_ref* r) const { phost_ref_release(r); }
};
using RefPtr = std::unique_ptr<phost_ref, RefRelease>;

RefPtr must_lookup(phost_host* host, std::string_view name) {
  phost_ref* ref = nullptr;
  const phost_status status = phost_lookup(host, S(name), &ref);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
  REQUIRE(ref != nullptr);
  return RefPtr(ref);
}

Outcome call_ref(phost_host* host, phost_ref* ref, const phost_value* args = nullptr,
                 const phost_call_options* options = nullptr) {
  phost_value* out = nullptr;
  Outcome o{phost_call_ref(host, ref, args, options, &out), Ref(out), {}};
  o.error = last_error();
  return o;
}

// Both outcomes alike: status, code, message and value.
void check_same(const Outcome& by_ref, const Outcome& by_name) {
  INFO("by ref: " << by_ref << ", by name: " << by_name);
  CHECK(by_ref.status == by_name.status);
  CHECK(by_ref.error.code == by_name.error.code);
  CHECK(by_ref.error.message == by_name.error.message);
  CHECK(by_ref.error.stack == by_name.error.stack);
  if (by_ref.status == PHOST_OK && by_name.status == PHOST_OK)
    CHECK(to_json(by_ref.value.get()) == to_json(by_name.value.get()));
}

// Returns {name, id, method, depth, session} of its call.
HandlerFn describes_call() {
  return [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    const phost_call_info info = info_of(ctx);
    const std::string text = std::string(V(info.name)) + "|" + std::string(V(info.id)) + "|" +
                             std::string(V(info.method)) + "|" + std::to_string(info.depth) + "|" +
                             std::string(V(info.session));
    return api().value_string(S(text), out);
  };
}

}  // namespace

TEST_SUITE("refs") {

TEST_CASE("the table of this host has the v1.4 call handle functions") {
  CHECK(api().abi_minor >= 4);
  CHECK(PHOST_API_HAS(&api(), lookup));
  CHECK(PHOST_API_HAS(&api(), call_ref));
  CHECK(PHOST_API_HAS(&api(), ref_release));
}

TEST_CASE("a call through a ref equals the call by name: values, context, errors and codes") {
  HostPtr host = make_host();
  must_add(host.get(), "app.echo", [](phost_call_ctx*, const phost_value* args, phost_value** out) {
    api().value_retain(args);
    *out = const_cast<phost_value*>(args);
    return PHOST_OK;
  });
  must_add(host.get(), "app.fail", [](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    api().ctx_set_error(ctx, 418, S("a teapot"));
    api().ctx_set_error_stack(ctx, S("    at fail (app.js:1:1)"));
    return PHOST_E_PROCESS;
  });
  must_add(host.get(), "app.describe", describes_call());
  must_add(host.get(), "grp", describes_call(), PHOST_PROCESS_GROUP);

  Ref args = json(R"([1, "two", {"three": [3.5, null, true]}])");
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.session = S("s-7");
  for (const char* name : {"app.echo", "App.Describe", "grp.Orders.Total", "app.fail"}) {
    CAPTURE(name);
    RefPtr ref = must_lookup(host.get(), name);
    check_same(call_ref(host.get(), ref.get(), args.get(), &options), call(host.get(), name, args.get(), &options));
    // Again: the second call takes the remembered resolution.
    check_same(call_ref(host.get(), ref.get(), args.get(), &options), call(host.get(), name, args.get(), &options));
  }
  Outcome grouped = call_ref(host.get(), must_lookup(host.get(), "GRP.Orders.Total").get(), nullptr, &options);
  REQUIRE(grouped.status == PHOST_OK);
  CHECK(get_string(grouped.value.get()) == "GRP.Orders.Total|orders|Total|1|s-7");

  Ref object = json(R"({"a":1})");
  check_same(call_ref(host.get(), must_lookup(host.get(), "app.echo").get(), object.get()),
             call(host.get(), "app.echo", object.get()));
}

TEST_CASE("lookup refuses a malformed name with 400 and an unknown one with 404, as a call would") {
  HostPtr host = make_host();
  must_add(host.get(), "grp", returns("g"), PHOST_PROCESS_GROUP);
  for (const char* name : {"", "a..b", "bad name", "nope.nothing", "grp.two"}) {
    CAPTURE(name);
    phost_ref* ref = reinterpret_cast<phost_ref*>(1);
    const phost_status status = phost_lookup(host.get(), S(name), &ref);
    const Err error = last_error();
    CHECK(ref == nullptr);
    const Outcome by_name = call(host.get(), name);
    CHECK(status == by_name.status);
    CHECK(error.code == by_name.error.code);
    CHECK(error.message == by_name.error.message);
  }
  phost_ref* ref = nullptr;
  CHECK(phost_lookup(nullptr, S("grp.a.B"), &ref) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "host is NULL");
  CHECK(phost_lookup(host.get(), S("grp.a.B"), nullptr) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "out is NULL");
}

TEST_CASE("a NULL ref a released one and another host's give 400 and the host runs on") {
  HostPtr host = make_host();
  HostPtr other = make_host();
  must_add(host.get(), "app.one", returns("one"));
  must_add(other.get(), "app.one", returns("other"));

  Outcome o = call_ref(host.get(), nullptr);
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "ref is NULL");

  RefPtr foreign = must_lookup(other.get(), "app.one");
  o = call_ref(host.get(), foreign.get());
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "ref 'app.one' was looked up in another host");

  // Not a ref at all (a value): refused by its tag, not called into.
  Ref not_a_ref = str_value("0123456789abcdef0123456789abcdef");
  o = call_ref(host.get(), reinterpret_cast<phost_ref*>(const_cast<phost_value*>(not_a_ref.get())));
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.message == "ref is not a live phost_ref (released?)");

  phost_value* out = nullptr;
  CHECK(api().call_ref(nullptr, nullptr, foreign.get(), nullptr, 0, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "self is NULL");
  CHECK(phost_call_ref(nullptr, foreign.get(), nullptr, nullptr, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "host is NULL");
  CHECK(phost_call_ref(host.get(), foreign.get(), nullptr, nullptr, nullptr) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "out_result is NULL");
  phost_ref_release(nullptr);
  api().ref_release(nullptr);

  Outcome fine = call_ref(other.get(), foreign.get());
  REQUIRE(fine.status == PHOST_OK);
  CHECK(get_string(fine.value.get()) == "other");
}

TEST_CASE("a ref follows its name: unregistered gives the name's 404, registered again the new handler") {
  HostPtr host = make_host();
  std::atomic<int> finalized{0};
  auto counted = [&](std::string text) {
    phost_process_desc desc = lambda_desc("app.x", returns(std::move(text)));
    struct Counted {
      phost_finalize_fn inner;
      void* data;
      std::atomic<int>* count;
    };
    desc.user_data = new Counted{desc.finalize, desc.user_data, &finalized};
    desc.handler = [](void* data, phost_call_ctx* ctx, const phost_value* args, phost_value** out) {
      return (*static_cast<HandlerFn*>(static_cast<Counted*>(data)->data))(ctx, args, out);
    };
    desc.finalize = [](void* data) {
      auto* c = static_cast<Counted*>(data);
      c->inner(c->data);
      c->count->fetch_add(1);
      delete c;
    };
    REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  };
  counted("first");
  RefPtr ref = must_lookup(host.get(), "app.x");
  CHECK(get_string(call_ref(host.get(), ref.get()).value.get()) == "first");

  REQUIRE(phost_unregister(host.get(), S("app.x")) == PHOST_OK);
  CHECK(finalized == 1);  // the ref does not keep the process alive
  Outcome gone = call_ref(host.get(), ref.get());
  check_same(gone, call(host.get(), "app.x"));
  CHECK(gone.status == PHOST_E_NOT_FOUND);
  CHECK(gone.error.code == 404);

  counted("second");
  Outcome back = call_ref(host.get(), ref.get());
  REQUIRE(back.status == PHOST_OK);
  CHECK(get_string(back.value.get()) == "second");
}

TEST_CASE("a ref sees a group shadowed by an exact name and an alias made later") {
  HostPtr host = make_host();
  must_add(host.get(), "grp", returns("group"), PHOST_PROCESS_GROUP);
  RefPtr ref = must_lookup(host.get(), "grp.a.B");
  CHECK(get_string(call_ref(host.get(), ref.get()).value.get()) == "group");
  must_add(host.get(), "grp.a.B", returns("exact"));
  CHECK(get_string(call_ref(host.get(), ref.get()).value.get()) == "exact");
  REQUIRE(phost_unregister(host.get(), S("grp.a.B")) == PHOST_OK);
  CHECK(get_string(call_ref(host.get(), ref.get()).value.get()) == "group");

  must_add(host.get(), "app.target", returns("target"));
  REQUIRE(phost_alias(host.get(), S("app.target"), S("grp.a.B")) == PHOST_OK);
  CHECK(get_string(call_ref(host.get(), ref.get()).value.get()) == "target");
}

TEST_CASE("through a ref the depth limit the serial gate and the deadline hold as by name") {
  HostPtr host = make_host(nullptr, 8);
  phost_ref* self_ref = nullptr;
  must_add(host.get(), "app.recurse", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call_ref(nullptr, ctx, self_ref, nullptr, 0, out);
  });
  RefPtr recurse = must_lookup(host.get(), "app.recurse");
  self_ref = recurse.get();
  Outcome deep = call_ref(host.get(), recurse.get());
  CHECK(deep.status == PHOST_E_LIMIT);
  CHECK(deep.error.code == 413);
  CHECK(deep.error.message == "call depth limit of 8 exceeded calling 'app.recurse'");

  phost_ref* serial_ref = nullptr;
  must_add(host.get(), "app.serial", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call_ref(nullptr, ctx, serial_ref, nullptr, 0, out);
  }, PHOST_PROCESS_SERIAL);
  RefPtr serial = must_lookup(host.get(), "app.serial");
  serial_ref = serial.get();
  Outcome reentered = call_ref(host.get(), serial.get());
  CHECK(reentered.status == PHOST_E_LIMIT);
  CHECK(reentered.error.code == 409);
  check_same(reentered, call(host.get(), "app.serial"));

  int64_t seen_deadline = -1;
  must_add(host.get(), "app.inner", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    seen_deadline = info_of(ctx).deadline_ns;
    return api().value_null(out);
  });
  RefPtr inner = must_lookup(host.get(), "app.inner");
  const int64_t tight = api().clock_ns() + 5'000'000'000;
  must_add(host.get(), "app.outer", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call_ref(nullptr, ctx, inner.get(), nullptr, tight, out);
  });
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.timeout_ms = 60'000;
  REQUIRE(call(host.get(), "app.outer", nullptr, &options).status == PHOST_OK);
  CHECK(seen_deadline == tight);

  // Past its deadline a call through a ref does not start.
  must_add(host.get(), "app.late", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call_ref(nullptr, ctx, inner.get(), nullptr, 1, out);
  });
  seen_deadline = -1;
  Outcome late = call(host.get(), "app.late");
  CHECK(late.status == PHOST_E_TIMEOUT);
  CHECK(late.error.message == "deadline passed before 'app.inner' started");
  CHECK(seen_deadline == -1);
}

TEST_CASE("a cancelled call through a ref does not start, as by name") {
  HostPtr host = make_host();
  int ran = 0;
  must_add(host.get(), "app.count", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    ++ran;
    return api().value_null(out);
  });
  RefPtr ref = must_lookup(host.get(), "app.count");
  CancelPtr cancel(phost_cancel_new());
  phost_cancel_trigger(cancel.get());
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.cancel = cancel.get();
  Outcome by_ref = call_ref(host.get(), ref.get(), nullptr, &options);
  CHECK(by_ref.status == PHOST_E_CANCELLED);
  CHECK(by_ref.error.code == 499);
  check_same(by_ref, call(host.get(), "app.count", nullptr, &options));
  CHECK(ran == 0);
}

TEST_CASE("a call through a ref once the host is being destroyed fails with 503") {
  HostPtr host = make_host();
  must_add(host.get(), "app.target", returns("t"));
  RefPtr target = must_lookup(host.get(), "app.target");
  Outcome during{PHOST_OK, nullptr, {}};
  phost_status waited = PHOST_OK;
  std::atomic<bool> started{false};
  must_add(host.get(), "app.nap", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    started = true;
    waited = api().ctx_wait(ctx, 0);  // returns once destruction begins
    phost_value* result = nullptr;
    during.status = api().call_ref(nullptr, ctx, target.get(), nullptr, 0, &result);
    during.value = Ref(result);
    during.error = last_error();
    return api().value_null(out);
  });
  phost_host* raw = host.get();
  std::thread caller([&] { call(raw, "app.nap"); });
  while (!started) std::this_thread::yield();
  host.reset();
  caller.join();
  CHECK(waited == PHOST_E_CANCELLED);
  CHECK(during.status == PHOST_E_CANCELLED);
  CHECK(during.error.code == 503);
  CHECK(during.error.message == "host is being destroyed: 'app.target' was not called");
  // The ref outlives its host; releasing it touches nothing of the host.
  target.reset();
}

TEST_CASE("a ref to a plugin's process outlives the plugin's unload and is released cleanly") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  RefPtr add = must_lookup(host.get(), "c.add");
  Outcome sum = call_ref(host.get(), add.get(), json("[40, 2]").get());
  INFO(sum);
  REQUIRE(sum.status == PHOST_OK);
  CHECK(get_int(sum.value.get()) == 42);
  host.reset();  // on_unload, the finalizers, then the library goes
  add.reset();   // touches neither the host nor the plugin (ASan would say)
}

TEST_CASE("a plugin's refs: lookup and call_ref from a handler, and the application's refs work there too") {
  HostPtr host = make_host();
  must_add(host.get(), "app.describe", describes_call());
  phost_ref* app_ref = nullptr;
  phost_status looked_up = PHOST_OK;
  Err lookup_error;
  must_add(host.get(), "app.via", [&](phost_call_ctx*, const phost_value*, phost_value** out) {
    phost_ref* own = nullptr;
    looked_up = api().lookup(nullptr, S("app.describe"), &own);  // a plugin's lookup needs its seat
    lookup_error = last_error();
    return api().value_null(out);
  });
  REQUIRE(call(host.get(), "app.via").status == PHOST_OK);
  CHECK(looked_up == PHOST_E_INVALID_ARG);
  CHECK(lookup_error.code == 400);
  CHECK(lookup_error.message == "self is NULL");

  must_add(host.get(), "app.nested", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call_ref(nullptr, ctx, app_ref, nullptr, 0, out);
  });
  RefPtr describe = must_lookup(host.get(), "app.describe");
  app_ref = describe.get();
  phost_call_options options{};
  options.struct_size = sizeof options;
  options.session = S("inherited");
  Outcome nested = call(host.get(), "app.nested", nullptr, &options);
  REQUIRE(nested.status == PHOST_OK);
  CHECK(get_string(nested.value.get()) == "app.describe|||2|inherited");
}

TEST_CASE("threads calling one ref while the process is replaced get one handler or the other") {
  HostPtr host = make_host();
  must_add(host.get(), "app.v", returns("old"));
  RefPtr ref = must_lookup(host.get(), "app.v");
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, calls{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t)
    callers.emplace_back([&] {
      while (!stop) {
        phost_value* out = nullptr;
        if (phost_call_ref(host.get(), ref.get(), nullptr, nullptr, &out) == PHOST_OK) {
          phost_str s{};
          api().value_get_str(out, &s);
          if (V(s) != "old" && V(s) != "new") ++wrong;
        } else if (last_error().code != 404) {
          ++wrong;
        }
        api().value_release(out);
        ++calls;
      }
    });
  for (int i = 0; i < 200; ++i) {
    REQUIRE(phost_unregister(host.get(), S("app.v")) == PHOST_OK);
    must_add(host.get(), "app.v", returns(i % 2 ? "old" : "new"));
  }
  while (calls < 1000) std::this_thread::yield();
  stop = true;
  for (std::thread& t : callers) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("the C++ Host lookup returns a ProcessRef whose call equals Host call") {
  phost::Host host;
  host.add("app.add", "adds", [](phost::Call& c) { return phost::Value::integer(c.arg<int64_t>(0) + c.arg<int64_t>(1)); });
  const phost::ProcessRef add = host.lookup("app.add");
  REQUIRE(add);
  CHECK(add.call(phost::args(2, 40)).as_int() == 42);
  try {
    add.call(phost::args("x", 1));
    FAIL("no error");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 400);
    CHECK(std::string(e.what()) == "argument 1: value is not an int");
  }
  try {
    (void)host.lookup("app.missing");
    FAIL("no error");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 404);
    CHECK(std::string(e.what()) == "no process named 'app.missing'");
  }
}

TEST_CASE("the sdk's ProcessHandle calls by name on a host older than 1.4") {
  HostPtr host = make_host();
  must_add(host.get(), "app.describe", describes_call());
  // The table of a 1.3 host: everything up to ctx_set_error_stack.
  phost_api older = api();
  older.struct_size = offsetof(phost_api, lookup);
  older.abi_minor = 3;
  std::string seen;
  must_add(host.get(), "app.outer", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    phost::set_api(&older);
    const phost::ProcessHandle handle(nullptr, "App.Describe");  // no lookup: nothing to refuse
    const bool by_name = handle.get() == nullptr;
    phost_value* result = nullptr;
    const phost_status status = handle.call(ctx, nullptr, 0, &result);
    phost::set_api(&api());
    if (status != PHOST_OK) return status;
    phost_str text{};
    api().value_get_str(result, &text);
    seen = std::string(V(text)) + (by_name ? " by name" : " by ref");
    *out = result;
    return PHOST_OK;
  });
  Outcome o = call(host.get(), "app.outer");
  INFO(o);
  REQUIRE(o.status == PHOST_OK);
  CHECK(seen == "App.Describe|||2| by name");

  // On this host the handle is a ref; a plugin's lookup needs its seat.
  try {
    const phost::ProcessHandle handle(nullptr, "app.describe");
    FAIL("no error");
  } catch (const phost::Error& e) {
    CHECK(e.code() == 400);
    CHECK(std::string(e.what()) == "self is NULL");
  }
}

}  // TEST_SUITE
