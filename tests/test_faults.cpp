// Faults at scale: after each one the host keeps serving, nothing leaks.
#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <string>

using namespace test;

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
  std::atomic<int> deepest{0};
  must_add(host.get(), "deep.recurse", [&](phost_call_ctx* ctx, const phost_value* args, phost_value** out) {
    const int depth = static_cast<int>(info_of(ctx).depth);
    if (depth > deepest) deepest = depth;
    if (depth >= 10000) return api().value_null(out);
    return api().call(nullptr, ctx, S("deep.recurse"), args, out);
  });
  Outcome o = call(host.get(), "deep.recurse");
  CHECK(o.status == PHOST_E_LIMIT);
  CHECK(o.error.code == 413);
  CHECK(o.error.message.find("call depth limit of 4096") != std::string::npos);
  CHECK(deepest == 4096);
  must_add(host.get(), "deep.ok", returns("fine"));
  CHECK(call(host.get(), "deep.ok").status == PHOST_OK);
}

}  // TEST_SUITE
