// Broken handlers and careless callers: clear errors, and the host keeps serving.
#include "support.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

using namespace test;

namespace {

void still_serving(phost_host* host) {
  Outcome o = call(host, "rule.ok");
  INFO(o);
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == "still serving");
}

// What the fixtures' invalid UTF-8 becomes: one U+FFFD per maximal ill-formed subsequence.
constexpr std::string_view kFixed = "\xEF\xBF\xBD";

std::string listed_description(phost_host* host, std::string_view name) {
  phost_value* raw = nullptr;
  const phost_status status = phost_list(host, &raw);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
  Ref list(raw);
  CHECK(!to_json(list.get()).empty());  // the whole listing converts
  for (size_t i = 0; i < api().value_len(list.get()); ++i) {
    const phost_value* entry = api().value_at(list.get(), i, nullptr);
    if (get_string(field(entry, "name")) == name) return get_string(field(entry, "description"));
  }
  FAIL("not listed: " << name);
  return {};
}

}  // namespace

TEST_SUITE("bad input") {

TEST_CASE("a handler that succeeds without a value is PHOST_E_INTERNAL naming the process") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_RULE_BREAKER);
  Outcome o = call(host.get(), "rule.no_value");
  CHECK(o.status == PHOST_E_INTERNAL);
  CHECK(o.error.code == 500);
  CHECK(o.error.message == "process 'rule.no_value' returned PHOST_OK but no value");
  CHECK(o.value == nullptr);
  still_serving(host.get());
}

TEST_CASE("a handler that returns an unknown status is PHOST_E_INTERNAL naming the process") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_RULE_BREAKER);
  Outcome o = call(host.get(), "rule.bogus_status");
  CHECK(o.status == PHOST_E_INTERNAL);
  CHECK(o.error.code == 500);
  CHECK(o.error.message == "process 'rule.bogus_status' returned unknown status 12345");
  still_serving(host.get());

  // With a message set, the message and code are kept; the status becomes PHOST_E_PROCESS.
  must_add(host.get(), "app.bogus_with_message", [](phost_call_ctx* ctx, const phost_value*, phost_value**) {
    api().ctx_set_error(ctx, 422, S("explained, but with a made-up status"));
    return -7;
  });
  o = call(host.get(), "app.bogus_with_message");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 422);
  CHECK(o.error.message == "explained, but with a made-up status");
}

TEST_CASE("a failure's code outside 100-999 becomes its status's usual code") {
  HostPtr host = make_host();
  for (const int32_t code : {-1, 7, 99, 1000, INT32_MIN, INT32_MAX}) {
    CAPTURE(code);
    must_add(host.get(), "app.odd_code", [code](phost_call_ctx* ctx, const phost_value*, phost_value**) {
      api().ctx_set_error(ctx, code, S("odd"));
      return PHOST_E_INVALID_ARG;
    });
    const Outcome o = call(host.get(), "app.odd_code");
    CHECK(o.status == PHOST_E_INVALID_ARG);
    CHECK(o.error.code == 400);
    CHECK(o.error.message == "odd");
    REQUIRE(phost_unregister(host.get(), S("app.odd_code")) == PHOST_OK);
    api().error_set(PHOST_E_NOT_FOUND, code, S("set"));
    CHECK(last_error().code == 404);
  }
}

TEST_CASE("a handler that fails without a message keeps its status and gets one naming the process") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_RULE_BREAKER);
  Outcome o = call(host.get(), "rule.no_message");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 500);
  CHECK(o.error.message == "process 'rule.no_message' failed with PHOST_E_PROCESS and gave no message");
  still_serving(host.get());
}

TEST_CASE("a handler that calls itself forever hits the depth limit") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_RULE_BREAKER);
  Outcome o = call(host.get(), "rule.recurse");
  CHECK(o.status == PHOST_E_LIMIT);
  CHECK(o.error.code == 413);
  CHECK(o.error.message == "call depth limit of 256 exceeded calling 'rule.recurse'");
  still_serving(host.get());
}

TEST_CASE("a failing handler's stray result is released") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_RULE_BREAKER);
  Outcome o = call(host.get(), "rule.stray_result");  // leak checked by the sanitizer and valgrind runs
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.message == "rule.stray_result failed after building a result");
  CHECK(o.value == nullptr);
  still_serving(host.get());
}

TEST_CASE("NULL pointers given to the C API are refused") {
  HostPtr host = make_host();
  must_add(host.get(), "app.x", returns("x"));
  phost_value* out = nullptr;

  CHECK(phost_call(nullptr, S("app.x"), nullptr, nullptr, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "host is NULL");
  CHECK(phost_call(host.get(), S("app.x"), nullptr, nullptr, nullptr) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "out_result is NULL");
  CHECK(phost_call(host.get(), phost_str{nullptr, 5}, nullptr, nullptr, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "name is NULL with a length of 5");
  // A NULL view with a length is refused wherever it would be read, not read as empty.
  CHECK(api().value_string(phost_str{nullptr, 5}, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "the string is NULL with a length of 5");
  CHECK(api().value_bytes(phost_str{nullptr, 1000}, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "the bytes are NULL with a length of 1000");
  CHECK(api().value_from_json(phost_str{nullptr, 2}, &out) == PHOST_E_INVALID_ARG);
  CHECK(out == nullptr);
  phost_call_options session{};
  session.struct_size = sizeof session;
  session.session = phost_str{nullptr, 100};
  CHECK(phost_call(host.get(), S("app.x"), nullptr, &session, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "options->session is NULL with a length of 100");
  {
    phost_value* object = nullptr;
    phost_value* item = nullptr;
    REQUIRE(api().value_object(1, &object) == PHOST_OK);
    REQUIRE(api().value_int(1, &item) == PHOST_OK);
    CHECK(api().value_set(object, phost_str{nullptr, 3}, item) == PHOST_E_INVALID_ARG);  // item released
    CHECK(api().value_len(object) == 0);
    api().value_release(object);
  }
  CHECK(api().value_string(phost_str{nullptr, 0}, &out) == PHOST_OK);  // NULL and empty: the empty string
  api().value_release(out);
  CHECK(phost_load_plugin(nullptr, S("x.so"), nullptr) == PHOST_E_INVALID_ARG);
  CHECK(phost_unregister(nullptr, S("app.x")) == PHOST_E_INVALID_ARG);
  CHECK(phost_alias(nullptr, S("app.x"), S("app.y")) == PHOST_E_INVALID_ARG);
  CHECK(phost_list(nullptr, &out) == PHOST_E_INVALID_ARG);
  CHECK(phost_list(host.get(), nullptr) == PHOST_E_INVALID_ARG);
  CHECK(phost_host_create(nullptr, nullptr) == PHOST_E_INVALID_ARG);
  phost_host_destroy(nullptr);
  phost_cancel_trigger(nullptr);
  phost_cancel_free(nullptr);
  phost_last_error(nullptr);

  const phost_api& a = api();
  CHECK(a.value_null(nullptr) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "out is NULL");
  int64_t i = 0;
  CHECK(a.value_get_int(nullptr, &i) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "value is NULL");
  Ref one = int_value(1);
  CHECK(a.value_get_int(one.get(), nullptr) == PHOST_E_INVALID_ARG);
  CHECK(a.value_kind(nullptr) == PHOST_NULL);
  CHECK(a.value_len(nullptr) == 0);
  CHECK(a.value_at(nullptr, 0, nullptr) == nullptr);
  CHECK(a.value_find(nullptr, S("k")) == nullptr);
  a.value_retain(nullptr);
  a.value_release(nullptr);
  CHECK(a.value_to_json(nullptr, [](void*, phost_str) {}, nullptr) == PHOST_E_INVALID_ARG);
  CHECK(a.value_to_json(one.get(), nullptr, nullptr) == PHOST_E_INVALID_ARG);
  CHECK(a.ctx_info(nullptr, nullptr) == PHOST_E_INVALID_ARG);
  CHECK(a.ctx_cancelled(nullptr) == 0);
  a.ctx_set_error(nullptr, 500, S("nowhere"));
  CHECK(a.call(nullptr, nullptr, S("app.x"), nullptr, &out) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "self is NULL");
  CHECK(a.plugin_config(nullptr) == nullptr);
  a.log(nullptr, PHOST_LOG_ERROR, S("nowhere"));

  phost_process_desc desc = lambda_desc("app.y", returns("y"));
  CHECK(a.register_process(nullptr, &desc) == PHOST_E_INVALID_ARG);  // finalized even so (no leak)
  CHECK(a.unregister_process(nullptr, S("app.x")) == PHOST_E_INVALID_ARG);

  CHECK(call(host.get(), "app.x").status == PHOST_OK);
}

TEST_CASE("a host config without struct_size is refused") {
  phost_host_config config{};
  phost_host* host = reinterpret_cast<phost_host*>(uintptr_t{1});
  CHECK(phost_host_create(&config, &host) == PHOST_E_INVALID_ARG);
  CHECK(host == nullptr);
  CHECK(last_error().message == "config->struct_size is not set");
  CHECK(phost_host_create(nullptr, &host) == PHOST_OK);  // NULL config: defaults
  phost_host_destroy(host);
}

TEST_CASE("a huge timeout means no practical deadline instead of an overflow") {
  HostPtr host = make_host();
  int64_t deadline = 0;
  int32_t cancelled = -1;
  must_add(host.get(), "app.x", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    deadline = info_of(ctx).deadline_ns;
    cancelled = api().ctx_cancelled(ctx);
    return api().value_null(out);
  });
  for (int64_t timeout : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max() / 1000}) {
    CAPTURE(timeout);
    phost_call_options options{};
    options.struct_size = sizeof options;
    options.timeout_ms = timeout;
    Outcome o = call(host.get(), "app.x", nullptr, &options);
    REQUIRE(o.status == PHOST_OK);
    CHECK(cancelled == 0);
    CHECK((deadline == 0 || deadline > api().clock_ns()));  // none, or one far away
  }
  phost_call_options options{};
  options.struct_size = sizeof options;
  for (int64_t timeout : {int64_t{-5}, std::numeric_limits<int64_t>::min()}) {
    options.timeout_ms = timeout;
    const Outcome o = call(host.get(), "app.x", nullptr, &options);
    CHECK(o.status == PHOST_E_INVALID_ARG);
    CHECK(o.error.code == 400);
    CHECK(o.error.message == "options->timeout_ms is " + std::to_string(timeout) + ": milliseconds, 0 for none");
  }
}

TEST_CASE("a desc too small for ABI 1.0 is refused") {
  HostPtr host = make_host();
  phost_process_desc desc = lambda_desc("app.small", returns("s"));
  desc.struct_size = offsetof(phost_process_desc, finalize);
  CHECK(phost_register(host.get(), &desc) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message.find("is smaller than ABI v1.0's") != std::string::npos);
  CHECK(call(host.get(), "app.small").status == PHOST_E_NOT_FOUND);
  // The host cannot know where its finalizer is; the caller keeps ownership of what it could not pass.
  desc.finalize(desc.user_data);
}

TEST_CASE("ctx_info fills only the caller's struct_size") {
  HostPtr host = make_host();
  struct Small {
    uint32_t struct_size, depth;
    phost_str name;
    uint64_t guard;
  };
  Small seen{};
  must_add(host.get(), "app.x", [&](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    Small small{};
    small.struct_size = offsetof(phost_call_info, id);
    small.guard = 0xABCDABCDABCDABCDull;
    CHECK(api().ctx_info(ctx, reinterpret_cast<phost_call_info*>(&small)) == PHOST_OK);
    seen = small;
    return api().value_null(out);
  });
  REQUIRE(call(host.get(), "app.x").status == PHOST_OK);
  CHECK(seen.struct_size == offsetof(phost_call_info, id));
  CHECK(seen.depth == 1);
  CHECK(V(seen.name) == "app.x");
  CHECK(seen.guard == 0xABCDABCDABCDABCDull);
}

TEST_CASE("an invalid UTF-8 description is listed with U+FFFD and the listing still converts to JSON") {
  HostPtr host = make_host();
  must_add(host.get(), "app.good", returns("ok"));
  phost_process_desc desc = lambda_desc("app.bad", returns("ok"));
  desc.description = S("caf\xC3 ok \xED\xA0\x80 \xF0\x9F\x98");
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  const std::string fixed = "caf" + std::string(kFixed) + " ok " + std::string(kFixed) + std::string(kFixed) +
                            std::string(kFixed) + " " + std::string(kFixed);
  CHECK(listed_description(host.get(), "app.bad") == fixed);
  CHECK(listed_description(host.get(), "app.good") == "");

  must_load(host.get(), PHOST_FIXTURE_BAD_UTF8);  // the same text, registered through the ABI
  CHECK(listed_description(host.get(), "bad.utf8") == fixed);
}

TEST_CASE("an invalid UTF-8 error message reaches the caller as valid UTF-8 with its code") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_BAD_UTF8);
  const std::string fixed = "cannot parse " + std::string(kFixed) + "( here " + std::string(kFixed);
  Outcome o = call(host.get(), "bad.utf8");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 422);
  CHECK(o.error.message == fixed);
  CHECK(str_value(o.error.message) != nullptr);  // usable as a string value

  // Forwarded through a nested call: unchanged.
  must_add(host.get(), "app.via", [](phost_call_ctx* ctx, const phost_value*, phost_value** out) {
    return api().call(nullptr, ctx, S("bad.utf8"), nullptr, out);
  });
  o = call(host.get(), "app.via");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 422);
  CHECK(o.error.message == fixed);

  // error_set, as a plugin entry explains a failed load.
  api().error_set(PHOST_E_LOAD, 0, S("\xC0\xAF path"));
  CHECK(last_error().message == std::string(kFixed) + std::string(kFixed) + " path");
}

TEST_CASE("a plugin whose name is not valid UTF-8 fails to load and leaves nothing registered") {
  HostPtr host = make_host();
  Ref config = json(R"({"bad_name": true})");
  CHECK(load(host.get(), PHOST_FIXTURE_BAD_UTF8, config.get()) == PHOST_E_LOAD);
  const Err e = last_error();
  CHECK(e.message == std::string("plugin ") + PHOST_FIXTURE_BAD_UTF8 + " set an info->name that is not valid UTF-8");
  CHECK(call(host.get(), "bad.utf8").status == PHOST_E_NOT_FOUND);
  phost_value* raw = nullptr;
  REQUIRE(phost_list(host.get(), &raw) == PHOST_OK);
  Ref list(raw);
  CHECK(to_json(list.get()) == "[]");
}

TEST_CASE("destroying a host from inside its own call is refused and logged, not a wait for itself") {
  LogCapture logs;
  HostPtr host = make_host(&logs);
  phost_host* raw = host.get();
  must_add(host.get(), "app.destroy_me", [raw](phost_call_ctx*, const phost_value*, phost_value** out) {
    phost_host_destroy(raw);
    return api().value_string(S("still here"), out);
  });
  Outcome o = call(host.get(), "app.destroy_me");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == "still here");
  bool logged = false;
  for (const LogLine& line : logs.lines())
    logged |= line.level == PHOST_LOG_ERROR &&
              line.message == "phost_host_destroy refused: called from inside a call of this host; the host is left as it is";
  CHECK(logged);
  CHECK(call(host.get(), "app.destroy_me").status == PHOST_OK);  // the host still serves

  // Again from a finalizer, while the host is being destroyed: refused too.
  struct Again {
    phost_host* host;
    bool ran;
  } again{raw, false};
  phost_process_desc desc = lambda_desc("app.other", returns("x"));
  desc.finalize = [](void* data) {
    auto* a = static_cast<Again*>(data);
    phost_host_destroy(a->host);
    a->ran = true;
  };
  delete static_cast<HandlerFn*>(desc.user_data);
  desc.handler = [](void*, phost_call_ctx*, const phost_value*, phost_value** out) { return api().value_null(out); };
  desc.user_data = &again;
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  host.reset();
  CHECK(again.ran);
  logged = false;
  for (const LogLine& line : logs.lines())
    logged |= line.message == "phost_host_destroy refused: the host is already being destroyed; the host is left as it is";
  CHECK(logged);
}

// A process that unregisters itself during its own call is finalized as that
// call ends (the registry's sweep), still inside the call as far as the host
// knows: destroying the host from that finalizer is refused, not a wait.
TEST_CASE("a process unregistered by its own call is finalized as the call ends, and may not destroy the host there") {
  LogCapture logs;
  HostPtr host = make_host(&logs);
  struct Self {
    phost_host* host;
    bool returned = false;
    int finalized = 0;
    bool finalized_after_return = false;
  } self{host.get()};
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.name = S("app.self");
  desc.user_data = &self;
  desc.handler = [](void* data, phost_call_ctx*, const phost_value*, phost_value** out) {
    auto* s = static_cast<Self*>(data);
    REQUIRE(phost_unregister(s->host, S("app.self")) == PHOST_OK);
    CHECK(s->finalized == 0);  // its own call still runs it
    s->returned = true;
    return api().value_string(S("done"), out);
  };
  desc.finalize = [](void* data) {
    auto* s = static_cast<Self*>(data);
    ++s->finalized;
    s->finalized_after_return = s->returned;
    phost_host_destroy(s->host);  // refused: the call has not ended for the host
  };
  REQUIRE(phost_register(host.get(), &desc) == PHOST_OK);
  Outcome o = call(host.get(), "app.self");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_string(o.value.get()) == "done");
  CHECK(self.finalized == 1);
  CHECK(self.finalized_after_return);
  bool logged = false;
  for (const LogLine& line : logs.lines())
    logged |= line.message == "phost_host_destroy refused: called from inside a call of this host; the host is left as it is";
  CHECK(logged);
  CHECK(call(host.get(), "app.self").status == PHOST_E_NOT_FOUND);  // and the host still serves
}

}  // TEST_SUITE
