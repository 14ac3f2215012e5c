// The registry: names, case, groups, aliases, refusals and finalizers.
#include "support.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

using namespace test;

namespace {

// A process whose finalizer counts into *count.
phost_process_desc counted_desc(std::string_view name, std::atomic<int>* count, uint32_t flags = 0) {
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.flags = flags;
  desc.name = S(name);
  desc.handler = [](void*, phost_call_ctx*, const phost_value*, phost_value** out) { return api().value_null(out); };
  desc.user_data = count;
  desc.finalize = [](void* data) { ++*static_cast<std::atomic<int>*>(data); };
  return desc;
}

// ctx_info's name, id and method as "name|id|method".
HandlerFn reports_names() {
  return [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    const phost_call_info info = info_of(ctx);
    const std::string text = std::string(V(info.name)) + "|" + std::string(V(info.id)) + "|" + std::string(V(info.method));
    return api().value_string(S(text), out);
  };
}

std::string names_seen(phost_host* host, std::string_view name) {
  Outcome o = call(host, name);
  INFO(o);
  REQUIRE(o.status == PHOST_OK);
  return get_string(o.value.get());
}

}  // namespace

TEST_SUITE("registry") {

TEST_CASE("a registered process can be called and unregistered") {
  HostPtr host = make_host();
  must_add(host.get(), "app.hello", returns("hi"));
  Outcome o = call(host.get(), "app.hello");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == "hi");

  REQUIRE(phost_unregister(host.get(), S("app.hello")) == PHOST_OK);
  o = call(host.get(), "app.hello");
  CHECK(o.status == PHOST_E_NOT_FOUND);
  CHECK(o.error.code == 404);
  CHECK(o.error.message == "no process named 'app.hello'");

  CHECK(phost_unregister(host.get(), S("app.hello")) == PHOST_E_NOT_FOUND);
  CHECK(last_error().message == "no process named 'app.hello'");
}

TEST_CASE("an unknown name is PHOST_E_NOT_FOUND with code 404") {
  HostPtr host = make_host();
  Outcome o = call(host.get(), "nobody.home");
  CHECK(o.status == PHOST_E_NOT_FOUND);
  CHECK(o.error.code == 404);
  CHECK(o.error.message == "no process named 'nobody.home'");
  CHECK(o.value == nullptr);
}

TEST_CASE("lookup ignores the case of an exact name") {
  HostPtr host = make_host();
  must_add(host.get(), "App.Orders.Find", reports_names());
  CHECK(names_seen(host.get(), "app.orders.find") == "app.orders.find||");  // not a group: no id, no method
  CHECK(names_seen(host.get(), "APP.ORDERS.FIND") == "APP.ORDERS.FIND||");

  Ref list;
  phost_value* out = nullptr;
  REQUIRE(phost_list(host.get(), &out) == PHOST_OK);
  list.reset(out);
  REQUIRE(api().value_len(list.get()) == 1);
  CHECK(get_string(field(api().value_at(list.get(), 0, nullptr), "name")) == "App.Orders.Find");  // as registered
}

TEST_CASE("a group handler gets the id in lower case and the method with its case") {
  HostPtr host = make_host();
  must_add(host.get(), "scripts", reports_names(), PHOST_PROCESS_GROUP);
  CHECK(names_seen(host.get(), "Scripts.Orders.Sub.Total") == "Scripts.Orders.Sub.Total|orders.sub|Total");
  CHECK(names_seen(host.get(), "scripts.orders.total") == "scripts.orders.total|orders|total");
  CHECK(names_seen(host.get(), "SCRIPTS.a.b.c.d.getX") == "SCRIPTS.a.b.c.d.getX|a.b.c.d|getX");

  Outcome o = call(host.get(), "scripts.orders");  // no method
  CHECK(o.status == PHOST_E_NOT_FOUND);
  CHECK(o.error.message == "no process named 'scripts.orders' (group 'scripts' takes names like scripts.<id>.<Method>)");
  o = call(host.get(), "scripts");
  CHECK(o.status == PHOST_E_NOT_FOUND);
}

TEST_CASE("an exact name wins over its group") {
  HostPtr host = make_host();
  must_add(host.get(), "scripts", returns("group"), PHOST_PROCESS_GROUP);
  must_add(host.get(), "scripts.special.Run", returns("exact"));
  CHECK(get_string(call(host.get(), "scripts.special.run").value.get()) == "exact");
  CHECK(get_string(call(host.get(), "scripts.other.Run").value.get()) == "group");
  REQUIRE(phost_unregister(host.get(), S("scripts.special.Run")) == PHOST_OK);
  CHECK(get_string(call(host.get(), "scripts.special.Run").value.get()) == "group");
}

TEST_CASE("a group and an exact process may share a name") {
  HostPtr host = make_host();
  must_add(host.get(), "tools", returns("group"), PHOST_PROCESS_GROUP);
  must_add(host.get(), "tools", returns("exact"));
  CHECK(get_string(call(host.get(), "tools").value.get()) == "exact");
  CHECK(get_string(call(host.get(), "tools.x.Y").value.get()) == "group");
}

TEST_CASE("an alias calls the same process under another name") {
  HostPtr host = make_host();
  must_add(host.get(), "app.hello", reports_names());
  REQUIRE(phost_alias(host.get(), S("APP.HELLO"), S("Legacy.Greet")) == PHOST_OK);
  CHECK(names_seen(host.get(), "legacy.greet") == "legacy.greet||");

  CHECK(phost_alias(host.get(), S("app.missing"), S("x.y")) == PHOST_E_NOT_FOUND);
  Err e = last_error();
  CHECK(e.code == 404);
  CHECK(e.message == "no process named 'app.missing' to alias");

  must_add(host.get(), "app.other", returns("other"));
  CHECK(phost_alias(host.get(), S("app.hello"), S("APP.other")) == PHOST_E_EXISTS);
  e = last_error();
  CHECK(e.code == 409);
  CHECK(e.message == "process 'APP.other' is already registered");
  CHECK(get_string(call(host.get(), "app.other").value.get()) == "other");

  CHECK(phost_alias(host.get(), S("app.hello"), S("bad name")) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message.rfind("malformed process name 'bad name'", 0) == 0);

  phost_value* out = nullptr;
  REQUIRE(phost_list(host.get(), &out) == PHOST_OK);
  Ref list(out);
  CHECK(to_json(list.get()).find(R"({"name":"legacy.greet","description":"","plugin":"application","group":false})") !=
        std::string::npos);
}

TEST_CASE("unregistering an alias leaves the process") {
  HostPtr host = make_host();
  must_add(host.get(), "app.hello", returns("hi"));
  REQUIRE(phost_alias(host.get(), S("app.hello"), S("app.hi")) == PHOST_OK);
  REQUIRE(phost_unregister(host.get(), S("app.hi")) == PHOST_OK);
  CHECK(call(host.get(), "app.hi").status == PHOST_E_NOT_FOUND);
  CHECK(call(host.get(), "app.hello").status == PHOST_OK);
}

TEST_CASE("unregistering a process removes its aliases and runs its finalizer") {
  HostPtr host = make_host();
  std::atomic<int> finalized{0};
  const phost_process_desc desc = counted_desc("app.hello", &finalized);
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  REQUIRE(phost_alias(host.get(), S("app.hello"), S("app.hi")) == PHOST_OK);
  REQUIRE(phost_alias(host.get(), S("app.hello"), S("app.hey")) == PHOST_OK);
  REQUIRE(phost_unregister(host.get(), S("App.Hello")) == PHOST_OK);
  CHECK(call(host.get(), "app.hi").status == PHOST_E_NOT_FOUND);
  CHECK(call(host.get(), "app.hey").status == PHOST_E_NOT_FOUND);
  CHECK(finalized == 1);
  host.reset();
  CHECK(finalized == 1);
}

TEST_CASE("a taken name is PHOST_E_EXISTS with code 409 and the refused finalizer runs once") {
  HostPtr host = make_host();
  std::atomic<int> first{0}, second{0}, group_second{0};
  phost_process_desc desc = counted_desc("app.hello", &first);
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);

  desc = counted_desc("APP.hello", &second);  // same name in another case
  CHECK(phost_register(host.get(), &desc) == PHOST_E_EXISTS);
  const Err e = last_error();
  CHECK(e.code == 409);
  CHECK(e.message == "process 'APP.hello' is already registered by the application");
  CHECK(second == 1);
  CHECK(first == 0);
  CHECK(call(host.get(), "app.hello").status == PHOST_OK);

  desc = counted_desc("grp", &group_second, PHOST_PROCESS_GROUP);
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  std::atomic<int> group_third{0};
  desc = counted_desc("Grp", &group_third, PHOST_PROCESS_GROUP);
  CHECK(phost_register(host.get(), &desc) == PHOST_E_EXISTS);
  CHECK(last_error().message == "group 'Grp' is already registered by the application");
  CHECK(group_third == 1);

  host.reset();
  CHECK(first == 1);
  CHECK(second == 1);
  CHECK(group_second == 1);
}

TEST_CASE("malformed names are PHOST_E_INVALID_ARG with code 400") {
  HostPtr host = make_host();
  const std::string names[] = {"",           "a..b",        "a.",         ".a",     "has space",
                               "tab\tname",  "caf\xC3\xA9", "a/b",        "a:b",    std::string("nul\0x", 5),
                               std::string(300, 'a'), std::string(257, 'b')};
  for (const std::string& name : names) {
    CAPTURE(name);
    std::atomic<int> finalized{0};
    const phost_process_desc desc = counted_desc(name, &finalized);
    CHECK(phost_register(host.get(), &desc) == PHOST_E_INVALID_ARG);
    Err e = last_error();
    CHECK(e.code == 400);
    CHECK(e.message.rfind("malformed process name '", 0) == 0);
    CHECK(finalized == 1);

    Outcome o = call(host.get(), name);
    CHECK(o.status == PHOST_E_INVALID_ARG);
    CHECK(o.error.code == 400);
    CHECK(o.error.message.rfind("malformed process name '", 0) == 0);

    CHECK(phost_unregister(host.get(), S(name)) == PHOST_E_INVALID_ARG);
  }
  CHECK(call(host.get(), "").error.message == "malformed process name '': empty");
  CHECK(call(host.get(), "a..b").error.message == "malformed process name 'a..b': empty segment");
  CHECK(call(host.get(), "caf\xC3\xA9").error.message ==
        "malformed process name 'caf?" "?': only letters, digits, '_', '-', '$' and '.' are allowed");
  CHECK(call(host.get(), std::string(300, 'a')).error.message ==
        "malformed process name '" + std::string(80, 'a') + "...': longer than 256 bytes");

  // The longest name and every allowed character work.
  must_add(host.get(), std::string(256, 'z'), returns("long"));
  CHECK(call(host.get(), std::string(256, 'Z')).status == PHOST_OK);
  must_add(host.get(), "a_b-c$d.E9", returns("chars"));
  CHECK(call(host.get(), "A_B-C$D.e9").status == PHOST_OK);
}

TEST_CASE("a group name must be a single segment") {
  HostPtr host = make_host();
  std::atomic<int> finalized{0};
  const phost_process_desc desc = counted_desc("scripts.orders", &finalized, PHOST_PROCESS_GROUP);
  CHECK(phost_register(host.get(), &desc) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "group name 'scripts.orders' must be a single segment");
  CHECK(finalized == 1);
}

TEST_CASE("a refused desc still has its finalizer run exactly once") {
  HostPtr host = make_host();
  std::atomic<int> finalized{0};

  phost_process_desc desc = counted_desc("app.no_handler", &finalized);
  desc.handler = nullptr;
  CHECK(phost_register(host.get(), &desc) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "register_process: handler is NULL");
  CHECK(finalized == 1);

  desc = counted_desc("app.flags", &finalized, 0x80);
  CHECK(phost_register(host.get(), &desc) == PHOST_E_UNSUPPORTED);
  CHECK(last_error().code == 501);
  CHECK(finalized == 2);

  // A desc from a newer minor whose unknown tail is set: refused, still finalized.
  struct NewerDesc {
    phost_process_desc v1;
    uint64_t future;
  } newer{counted_desc("app.newer", &finalized), 1};
  newer.v1.struct_size = sizeof newer;
  CHECK(phost_register(host.get(), &newer.v1) == PHOST_E_UNSUPPORTED);
  CHECK(finalized == 3);
  // ... and accepted when that tail is zero.
  newer = NewerDesc{counted_desc("app.newer", &finalized), 0};
  newer.v1.struct_size = sizeof newer;
  CHECK(phost_register(host.get(), &newer.v1) == PHOST_OK);
  CHECK(call(host.get(), "app.newer").status == PHOST_OK);

  CHECK(phost_register(host.get(), nullptr) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "register_process: desc is NULL");

  host.reset();
  CHECK(finalized == 4);
}

TEST_CASE("an unregistered process finalizes once its in-flight call finishes") {
  HostPtr host = make_host();
  std::mutex mutex;
  std::condition_variable cv;
  bool started = false, release = false;
  std::atomic<int> finalized{0};

  struct State {
    std::mutex* mutex;
    std::condition_variable* cv;
    bool *started, *release;
    std::atomic<int>* finalized;
  } state{&mutex, &cv, &started, &release, &finalized};
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.name = S("app.slow");
  desc.user_data = &state;
  desc.handler = [](void* data, phost_call_ctx*, const phost_value*, phost_value** out) {
    auto* s = static_cast<State*>(data);
    std::unique_lock lock(*s->mutex);
    *s->started = true;
    s->cv->notify_all();
    s->cv->wait(lock, [&] { return *s->release; });
    return api().value_string(S("done"), out);
  };
  desc.finalize = [](void* data) { ++*static_cast<State*>(data)->finalized; };
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);

  Outcome result{PHOST_OK, nullptr, {}};
  std::thread caller([&] { result = call(host.get(), "app.slow"); });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return started; });
  }
  REQUIRE(phost_unregister(host.get(), S("app.slow")) == PHOST_OK);
  CHECK(call(host.get(), "app.slow").status == PHOST_E_NOT_FOUND);  // gone for new calls
  CHECK(finalized == 0);                                             // but not finalized yet
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  caller.join();
  CHECK(result.status == PHOST_OK);
  CHECK(get_string(result.value.get()) == "done");
  CHECK(finalized == 1);
  host.reset();
  CHECK(finalized == 1);
}

TEST_CASE("destroying the host finalizes every process exactly once") {
  std::atomic<int> a{0}, b{0}, c{0};
  {
    HostPtr host = make_host();
    phost_process_desc desc = counted_desc("app.a", &a);
    REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
    desc = counted_desc("app.b", &b);
    REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
    REQUIRE(phost_alias(host.get(), S("app.b"), S("app.b2")) == PHOST_OK);
    desc = counted_desc("grp", &c, PHOST_PROCESS_GROUP);
    REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
    CHECK(a + b + c == 0);
  }
  CHECK(a == 1);
  CHECK(b == 1);
  CHECK(c == 1);
}

TEST_CASE("phost_list returns every name sorted with its owner and kind") {
  HostPtr host = make_host();
  phost_process_desc desc = lambda_desc("zeta.last", returns("z"));
  desc.description = S("The last one");
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  must_add(host.get(), "alpha", returns("a"), PHOST_PROCESS_GROUP);
  must_add(host.get(), "mid.one", returns("m"));
  phost_value* out = nullptr;
  REQUIRE(phost_list(host.get(), &out) == PHOST_OK);
  Ref list(out);
  CHECK(to_json(list.get()) ==
        R"([{"name":"alpha","description":"","plugin":"application","group":true},)"
        R"({"name":"mid.one","description":"","plugin":"application","group":false},)"
        R"({"name":"zeta.last","description":"The last one","plugin":"application","group":false}])");
}

}  // TEST_SUITE
