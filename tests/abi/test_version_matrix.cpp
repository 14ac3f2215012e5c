// The version matrix: a plugin built against a frozen header (v1.0 to v1.4) keeps
// working in this host, and a plugin built against this header copes with a
// host of an older minor (a shorter phost_api table).
#include "support.hpp"

#include "fixtures/probe.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include <cstddef>
#include <cstring>

using namespace test;

TEST_SUITE_BEGIN("abi");

namespace {

void check_frozen_plugin(const char* path) {
  phost_test_probe probe{};
  LogCapture logs;
  {
    HostPtr host = make_host(&logs);
    Ref config = json("{\"probe\":" + std::to_string(reinterpret_cast<intptr_t>(&probe)) +
                      ",\"greeting\":\"hello\"}");
    must_load(host.get(), path, config.get());

    Outcome kinds = call(host.get(), "v10.kinds");
    INFO(kinds);
    REQUIRE(kinds.status == PHOST_OK);
    CHECK(to_json(kinds.value.get()) ==
          R"({"null":null,"bool":true,"int":-9007199254740993,"double":0.5,"string":"v1.0","bytes":"YWI=",)"
          R"("array":[1,{}]})");

    phost_call_options options{};
    options.struct_size = sizeof options;
    options.session = S("s-1");
    options.timeout_ms = 60000;
    Ref subject = json(R"({"user":"ann"})");
    options.subject = subject.get();
    Ref args = json("[1,2,3]");
    Outcome inspected = call(host.get(), "V10.Inspect", args.get(), &options);
    REQUIRE(inspected.status == PHOST_OK);
    CHECK(to_json(inspected.value.get()) ==
          R"({"name":"V10.Inspect","session":"s-1","depth":1,"info_size":96,"has_deadline":true,)"
          R"("cancelled":false,"args":3,"subject_kind":7,"greeting":"hello"})");

    Outcome converted = call_json(host.get(), "v10.json", R"([{"a":[1,2.5,"x",null,true]}])");
    REQUIRE(converted.status == PHOST_OK);
    CHECK(to_json(converted.value.get()) ==
          R"({"text":"{\"a\":[1,2.5,\"x\",null,true]}","parsed":{"a":[1,2.5,"x",null,true]}})");

    phost_value* bytes = nullptr;
    REQUIRE(api().value_bytes(S("ab"), &bytes) == PHOST_OK);
    Ref read_args = json(R"([true,40,1.5,"str"])");
    REQUIRE(api().value_push(read_args.get(), bytes) == PHOST_OK);
    Outcome read = call(host.get(), "v10.read", read_args.get());
    INFO(read);
    REQUIRE(read.status == PHOST_OK);
    CHECK(to_json(read.value.get()) == R"({"joined":"str/ab","sum":42.5})");

    Outcome refused = call_json(host.get(), "v10.read", "[1]");
    CHECK(refused.status == PHOST_E_INVALID_ARG);
    CHECK(refused.error.code == 400);

    Outcome failed = call(host.get(), "v10.fail");
    CHECK(failed.status == PHOST_E_PROCESS);
    CHECK(failed.error.code == 418);
    CHECK(failed.error.message == "v10.fail: a teapot");

    Outcome nested = call(host.get(), "v10.nested");
    INFO(nested);
    REQUIRE(nested.status == PHOST_OK);
    CHECK(to_json(nested.value.get()) == to_json(kinds.value.get()));

    Outcome grouped = call(host.get(), "v10grp.Orders.Total");
    REQUIRE(grouped.status == PHOST_OK);
    CHECK(get_string(grouped.value.get()) == "orders/Total");

    CHECK(call(host.get(), "v10.temp").status == PHOST_E_NOT_FOUND);
    CHECK(probe.finalized == 1);  // v10.temp's, unregistered during the entry
    CHECK(probe.on_unload == 0);

    bool logged = false;
    for (const LogLine& line : logs.lines())
      logged = logged || (line.logger == "phost.v10" && line.message == "v10.inspect ran");
    CHECK(logged);
  }
  CHECK(probe.on_unload == 1);
  CHECK(probe.finalized == 8);  // one per process registered
  CHECK(probe.on_unload_at == 2);  // after v10.temp's finalizer, before the other seven
  CHECK(probe.events == 9);
}

}  // namespace

TEST_CASE("a plugin built against the v1.0 header loads into this host and its processes work") {
  check_frozen_plugin(PHOST_FIXTURE_ABI_V1_0);
}

TEST_CASE("a plugin built against the v1.1 header loads into this host and its processes work") {
  check_frozen_plugin(PHOST_FIXTURE_ABI_V1_1);
}

TEST_CASE("a plugin built against the v1.2 header loads into this host and its processes work") {
  check_frozen_plugin(PHOST_FIXTURE_ABI_V1_2);
}

TEST_CASE("a plugin built against the v1.3 header loads into this host and its processes work") {
  check_frozen_plugin(PHOST_FIXTURE_ABI_V1_3);
}

TEST_CASE("a plugin built against the v1.4 header loads into this host and its processes work") {
  check_frozen_plugin(PHOST_FIXTURE_ABI_V1_4);
}

TEST_CASE("a plugin built against this header finds value_to_json in this host's table") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_ABI_API_HAS);
  Outcome has = call_json(host.get(), "abi.api_has", R"([1,"x"])");
  INFO(has);
  REQUIRE(has.status == PHOST_OK);
  CHECK(to_json(has.value.get()) == R"({"value_from_json":true,"value_to_json":true,"json":"[1,\"x\"]"})");
}

namespace {

// The host the plugin's register_process reaches: the test plays an older
// host whose table is a shortened copy of this one's.
phost_host* g_older_host = nullptr;

phost_status PHOST_CALL register_into_older_host(phost_plugin*, const phost_process_desc* desc) {
  return phost_register(g_older_host, desc);
}

// The plugin library opened by hand, as an older host would.
class Library {
public:
  explicit Library(const char* path) {
#ifdef _WIN32
    handle_ = LoadLibraryA(path);
#else
    handle_ = dlopen(path, RTLD_NOW | RTLD_LOCAL);
#endif
  }
  ~Library() {
    if (!handle_) return;
#ifdef _WIN32
    FreeLibrary(handle_);
#else
    dlclose(handle_);
#endif
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  explicit operator bool() const { return handle_ != nullptr; }
  phost_plugin_entry_v1_fn entry() const {
#ifdef _WIN32
    // Through void (*)(), the one function type gcc lets FARPROC become silently.
    const FARPROC symbol = GetProcAddress(handle_, PHOST_PLUGIN_ENTRY_SYMBOL);
    return reinterpret_cast<phost_plugin_entry_v1_fn>(reinterpret_cast<void (*)()>(symbol));
#else
    return reinterpret_cast<phost_plugin_entry_v1_fn>(dlsym(handle_, PHOST_PLUGIN_ENTRY_SYMBOL));
#endif
  }

private:
#ifdef _WIN32
  HMODULE handle_;
#else
  void* handle_;
#endif
};

// Runs the plugin's entry by hand with this host's table cut to end just
// before member `end` (at byte offset end_offset), and calls its process.
std::string api_has_with_table_cut_at(size_t end_offset) {
  HostPtr host = make_host();
  g_older_host = host.get();

  const Library library(PHOST_FIXTURE_ABI_API_HAS);
  REQUIRE(static_cast<bool>(library));
  const phost_plugin_entry_v1_fn entry = library.entry();
  REQUIRE(static_cast<bool>(entry));

  phost_api older;
  std::memcpy(&older, phost_get_api(PHOST_ABI_MAJOR), sizeof older);
  older.struct_size = static_cast<uint32_t>(end_offset);
  // Past an older host's table lies memory that is not a table: poison it, so
  // that a plugin reading a member without PHOST_API_HAS calls garbage.
  std::memset(reinterpret_cast<unsigned char*>(&older) + end_offset, 0xA5, sizeof older - end_offset);
  older.register_process = register_into_older_host;

  phost_plugin_info info{};
  info.struct_size = sizeof info;
  const phost_status status = entry(&older, nullptr, &info);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
  CHECK(info.abi_major == PHOST_ABI_MAJOR);
  CHECK(std::string(info.name) == "api_has");

  Outcome has = call_json(host.get(), "abi.api_has", R"([1,"x"])");
  INFO(has);
  REQUIRE(has.status == PHOST_OK);
  std::string result = to_json(has.value.get());
  has.value.reset();

  host.reset();  // runs the process's finalizer, which is the plugin's code
  g_older_host = nullptr;
  if (info.on_unload) info.on_unload(info.plugin_data);
  return result;
}

}  // namespace

TEST_CASE("a plugin built against this header does without value_to_json in an older host's shorter table") {
  CHECK(api_has_with_table_cut_at(offsetof(phost_api, value_to_json)) ==
        R"({"value_from_json":true,"value_to_json":false,"json":null})");
  CHECK(api_has_with_table_cut_at(offsetof(phost_api, value_from_json)) ==
        R"({"value_from_json":false,"value_to_json":false,"json":null})");
  // One byte short of the member is still without it.
  CHECK(api_has_with_table_cut_at(offsetof(phost_api, value_to_json) + sizeof(void*) - 1) ==
        R"({"value_from_json":true,"value_to_json":false,"json":null})");
  // The whole v1.0 table, cut by hand, is this host's.
  CHECK(api_has_with_table_cut_at(sizeof(phost_api)) ==
        R"({"value_from_json":true,"value_to_json":true,"json":"[1,\"x\"]"})");
}

// A desc from a newer minor (larger struct_size) with a zero tail is accepted,
// with a non-zero tail refused with PHOST_E_UNSUPPORTED and finalized once:
// tests/test_registry.cpp, "a refused desc still has its finalizer run exactly once".

TEST_SUITE_END();
