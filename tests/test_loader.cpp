// The plugin loader: every way a load fails, and working plugins (plain C
// and sdk C++) called end to end.
#include "support.hpp"

#include "fixtures/probe.h"

#include <stdlib.h>

#include <filesystem>
#include <string>

using namespace test;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

bool registered(phost_host* host, std::string_view name) {
  phost_value* out = nullptr;
  REQUIRE(phost_list(host, &out) == PHOST_OK);
  Ref list(out);
  for (size_t i = 0; i < api().value_len(list.get()); ++i)
    if (get_string(field(api().value_at(list.get(), i, nullptr), "name")) == name) return true;
  return false;
}

#ifdef _WIN32
constexpr const char* kPathSeparator = ";";
constexpr const char* kModuleSuffix = ".dll";
#else
constexpr const char* kPathSeparator = ":";
constexpr const char* kModuleSuffix = ".so";
#endif

// An empty value removes the variable.
void set_env(const char* name, const std::string& value) {
#ifdef _WIN32
  REQUIRE(::_putenv_s(name, value.c_str()) == 0);
#else
  if (value.empty())
    REQUIRE(::unsetenv(name) == 0);
  else
    REQUIRE(::setenv(name, value.c_str(), 1) == 0);
#endif
}

size_t registered_count(phost_host* host) {
  phost_value* out = nullptr;
  REQUIRE(phost_list(host, &out) == PHOST_OK);
  Ref list(out);
  return api().value_len(list.get());
}

}  // namespace

TEST_SUITE("loader") {

TEST_CASE("a missing file is PHOST_E_NOT_FOUND") {
  HostPtr host = make_host();
  const std::string path = std::string(PHOST_FIXTURE_C_PLUGIN) + ".missing";
  CHECK(load(host.get(), path) == PHOST_E_NOT_FOUND);
  const Err e = last_error();
  CHECK(e.code == 404);
  CHECK(e.message == "plugin file not found: " + path);
  CHECK(load(host.get(), "") == PHOST_E_NOT_FOUND);
}

TEST_CASE("a directory or a device is a file that cannot be loaded, not a missing one") {
  HostPtr host = make_host();
  const std::string dir = std::filesystem::temp_directory_path().string();
  CHECK(load(host.get(), dir) == PHOST_E_LOAD);
  CHECK(last_error().message == "cannot load plugin " + dir + ": it is a directory");
#ifndef _WIN32
  CHECK(load(host.get(), "/dev/null") == PHOST_E_LOAD);
  CHECK(last_error().message == "cannot load plugin /dev/null: it is not a regular file");
#endif
}

TEST_CASE("a bare name is looked up in PHOST_PLUGIN_PATH, then in the installed plugin folder") {
  HostPtr host = make_host();
  const std::filesystem::path fixture(PHOST_FIXTURE_C_PLUGIN);
  set_env("PHOST_PLUGIN_PATH",
          std::string("/nonexistent") + kPathSeparator + kPathSeparator + fixture.parent_path().string());
  CHECK(load(host.get(), fixture.filename().string()) == PHOST_OK);  // c_plugin.so, c_plugin.dll
  CHECK(registered(host.get(), "c.add"));
  // The shipped plugins: next to libphost, in lib/phost (of the build tree here).
  CHECK(load(host.get(), "echo") == PHOST_OK);
  CHECK(registered(host.get(), "echo.add"));
}

TEST_CASE("a bare name found nowhere is PHOST_E_NOT_FOUND naming where phost looked") {
  HostPtr host = make_host();
  set_env("PHOST_PLUGIN_PATH", "/nonexistent");
  CHECK(load(host.get(), "nope") == PHOST_E_NOT_FOUND);
  const Err e = last_error();
  CHECK(e.code == 404);
  const std::string so = kModuleSuffix;
  CHECK(contains(e.message, "no plugin 'nope' (libphost_nope" + so + " or libnope" + so + ") in /nonexistent, "));
  const std::string plugin_dir = std::filesystem::path("/lib/phost").make_preferred().string();
  CHECK(contains(e.message, plugin_dir));
  CHECK(contains(e.message, "; set PHOST_PLUGIN_PATH, or give a path such as ./libphost_nope" + so));
}

TEST_CASE("a bare name is never taken from the working directory") {
  HostPtr host = make_host();
  set_env("PHOST_PLUGIN_PATH", "");
  const std::filesystem::path fixture(PHOST_FIXTURE_C_PLUGIN);
  std::filesystem::current_path(fixture.parent_path());
  CHECK(load(host.get(), fixture.filename().string()) == PHOST_E_NOT_FOUND);
  CHECK(load(host.get(), "./" + fixture.filename().string()) == PHOST_OK);
}

TEST_CASE("a file that is not a shared library is PHOST_E_LOAD") {
  HostPtr host = make_host();
  CHECK(load(host.get(), PHOST_FIXTURE_NOT_A_LIBRARY_SO) == PHOST_E_LOAD);
  const Err e = last_error();
  CHECK(e.code == 500);
  CHECK(e.message.rfind("cannot load plugin " + std::string(PHOST_FIXTURE_NOT_A_LIBRARY_SO) + ": ", 0) == 0);
#ifdef _WIN32
  CHECK(contains(e.message, ": not a DLL for this system (Windows error 193)"));  // ERROR_BAD_EXE_FORMAT
#else
  CHECK(contains(e.message, "invalid ELF header"));
#endif
  CHECK(registered_count(host.get()) == 0);
}

TEST_CASE("a library without the entry symbol is PHOST_E_LOAD") {
  HostPtr host = make_host();
  CHECK(load(host.get(), PHOST_FIXTURE_NO_ENTRY) == PHOST_E_LOAD);
  CHECK(last_error().message ==
        "plugin " + std::string(PHOST_FIXTURE_NO_ENTRY) + " is not a phost plugin: it exports no phost_plugin_entry_v1");
}

TEST_CASE("a plugin built for ABI 2 is PHOST_E_VERSION") {
  HostPtr host = make_host();
  CHECK(load(host.get(), PHOST_FIXTURE_NEWER_ABI) == PHOST_E_VERSION);
  const Err e = last_error();
  CHECK(e.code == 500);
  CHECK(e.message == "plugin " + std::string(PHOST_FIXTURE_NEWER_ABI) +
                         " was built for phost ABI 2; this host serves ABI 1");
}

TEST_CASE("a plugin that declares ABI major 2 is PHOST_E_VERSION and leaves nothing registered") {
  HostPtr host = make_host();
  CHECK(load(host.get(), PHOST_FIXTURE_DECLARES_MAJOR2) == PHOST_E_VERSION);
  const Err e = last_error();
  CHECK(contains(e.message, "declares phost ABI 2.0; this host serves ABI 1."));
  CHECK(call(host.get(), "major2.thing").status == PHOST_E_NOT_FOUND);
  CHECK(registered_count(host.get()) == 0);
}

TEST_CASE("a failing init passes its message on and leaves nothing registered") {
  phost_test_probe probe{};
  {
    HostPtr host = make_host();
    Ref config = probe_config(&probe);
    CHECK(load(host.get(), PHOST_FIXTURE_INIT_FAILS, config.get()) == PHOST_E_LOAD);
    const Err e = last_error();
    CHECK(e.code == 503);
    CHECK(e.message == "plugin " + std::string(PHOST_FIXTURE_INIT_FAILS) +
                           " failed to initialise: init_fails: the database is unreachable");
    CHECK(call(host.get(), "initfails.ghost").status == PHOST_E_NOT_FOUND);
    CHECK(registered_count(host.get()) == 0);
    CHECK(probe.on_unload == 1);  // on_unload first, then the finalizer
    CHECK(probe.finalized == 1);
    CHECK(probe.on_unload_at < probe.first_final_at);
  }
  CHECK(probe.on_unload == 1);  // and never again at destroy
  CHECK(probe.finalized == 1);
}

TEST_CASE("a plugin that registers a taken name fails to load and leaves nothing registered") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  CHECK(load(host.get(), PHOST_FIXTURE_DUPLICATE) == PHOST_E_LOAD);
  const Err e = last_error();
  CHECK(e.code == 409);
  CHECK(e.message == "plugin " + std::string(PHOST_FIXTURE_DUPLICATE) +
                         " failed to initialise: process 'c.echo' is already registered by plugin 'c' (" +
                         PHOST_FIXTURE_C_PLUGIN + ")");
  CHECK(!registered(host.get(), "dup.own"));
  CHECK(registered(host.get(), "c.echo"));
  CHECK(call_json(host.get(), "c.add", "[1,2]").status == PHOST_OK);  // the first plugin is untouched
}

TEST_CASE("loading the same plugin twice into one host fails the second time") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  CHECK(load(host.get(), PHOST_FIXTURE_C_PLUGIN) == PHOST_E_LOAD);
  CHECK(contains(last_error().message, "process 'c.echo' is already registered by plugin 'c'"));
  Outcome o = call_json(host.get(), "c.add", "[40,2]");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 42);
}

TEST_CASE("a plugin config must be an object") {
  HostPtr host = make_host();
  Ref config = json("[1]");
  CHECK(load(host.get(), PHOST_FIXTURE_C_PLUGIN, config.get()) == PHOST_E_INVALID_ARG);
  CHECK(last_error().message == "config of plugin '" + std::string(PHOST_FIXTURE_C_PLUGIN) + "' must be an object");
  CHECK(registered_count(host.get()) == 0);
}

TEST_CASE("the C plugin works end to end and logs as phost.c") {
  LogCapture logs;
  HostPtr host = make_host(&logs);
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);

  Ref args = json(R"([1, "two", {"three": [3]}, null])");
  Outcome o = call(host.get(), "C.Echo", args.get());
  REQUIRE(o.status == PHOST_OK);
  CHECK(o.value.get() == args.get());  // the very same (frozen) array
  CHECK(to_json(o.value.get()) == R"([1,"two",{"three":[3]},null])");
  CHECK(api().value_push(args.get(), int_value(5).release()) == PHOST_E_INVALID_ARG);  // shared now

  o = call_json(host.get(), "c.add", "[9223372036854775806, 1]");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 9223372036854775807);

  o = call_json(host.get(), "c.add", R"([1, "x"])");
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "c.add takes two integers");
  o = call_json(host.get(), "c.add", "[9223372036854775807, 1]");
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.message == "c.add: the sum does not fit in 64 bits");

  bool warned = false;
  for (const LogLine& line : logs.lines())
    if (line.logger == "phost.c" && line.level == PHOST_LOG_WARN && line.message == "c.add takes two integers")
      warned = true;
  CHECK(warned);
  bool ready = false;  // logged from inside the entry, before the host knew the plugin's name
  for (const LogLine& line : logs.lines())
    if (line.logger == "phost.c" && line.level == PHOST_LOG_INFO && line.message == "c plugin ready") ready = true;
  CHECK(ready);
  bool loaded = false;
  for (const LogLine& line : logs.lines())
    if (line.logger == "phost" && line.level == PHOST_LOG_INFO && contains(line.message, "loaded plugin 'c' 1.0.0"))
      loaded = true;
  CHECK(loaded);

  phost_value* out = nullptr;
  REQUIRE(phost_list(host.get(), &out) == PHOST_OK);
  Ref list(out);
  CHECK(to_json(list.get()) == R"([{"name":"c.add","description":"Adds two integers","plugin":"c","group":false},)"
                               R"({"name":"c.echo","description":"Returns its arguments","plugin":"c","group":false}])");
}

TEST_CASE("log lines below the host's level are dropped") {
  LogCapture logs;
  phost_host_config config{};
  config.struct_size = sizeof config;
  config.log = &LogCapture::sink;
  config.log_data = &logs;
  config.log_level = PHOST_LOG_ERROR;
  phost_host* raw = nullptr;
  REQUIRE(phost_host_create(&config, &raw) == PHOST_OK);
  HostPtr host(raw);
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  CHECK(call_json(host.get(), "c.add", "[]").status == PHOST_E_INVALID_ARG);  // logs a warning
  CHECK(logs.lines().empty());
}

TEST_CASE("the sdk plugin turns exceptions and bad arguments into codes") {
  HostPtr host = make_host();
  must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
  must_load(host.get(), PHOST_FIXTURE_SDK_PLUGIN);

  Outcome o = call(host.get(), "sdk.teapot");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 418);
  CHECK(o.error.message == "I'm a teapot");

  // phost::fail: the status follows the code.
  const std::pair<int32_t, phost_status> expected[] = {
      {400, PHOST_E_INVALID_ARG}, {404, PHOST_E_NOT_FOUND}, {408, PHOST_E_TIMEOUT}, {413, PHOST_E_LIMIT},
      {499, PHOST_E_CANCELLED},   {507, PHOST_E_NO_MEMORY}, {409, PHOST_E_PROCESS}, {503, PHOST_E_PROCESS}};
  for (const auto& [code, status] : expected) {
    o = call_json(host.get(), "sdk.fail", "[" + std::to_string(code) + ", \"no\"]");
    CHECK(o.status == status);
    CHECK(o.error.code == code);
    CHECK(o.error.message == "no");
  }

  o = call(host.get(), "sdk.throws");
  CHECK(o.status == PHOST_E_PROCESS);
  CHECK(o.error.code == 500);
  CHECK(o.error.message == "sdk.throws: the widget broke");

  o = call_json(host.get(), "sdk.double", "[21]");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 42);

  o = call_json(host.get(), "sdk.double", R"(["x"])");
  CHECK(o.status == PHOST_E_TYPE);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "argument 1: value is not an int");

  o = call(host.get(), "sdk.double");
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "argument 1 is missing");

  // A nested call's failure, forwarded by the sdk from the C plugin.
  o = call_json(host.get(), "sdk.via", R"(["c.add", 1, "x"])");
  CHECK(o.status == PHOST_E_INVALID_ARG);
  CHECK(o.error.code == 400);
  CHECK(o.error.message == "c.add takes two integers");

  o = call_json(host.get(), "sdk.via", R"(["c.add", 1, 2])");
  REQUIRE(o.status == PHOST_OK);
  CHECK(get_int(o.value.get()) == 3);
}

TEST_CASE("on_unload runs before the finalizers when the host is destroyed") {
  phost_test_probe probe{};
  {
    HostPtr host = make_host();
    Ref config = probe_config(&probe);
    must_load(host.get(), PHOST_FIXTURE_SDK_PLUGIN, config.get());
    CHECK(call_json(host.get(), "sdk.double", "[1]").status == PHOST_OK);
    CHECK(probe.events == 0);
  }
  CHECK(probe.on_unload == 1);
  CHECK(probe.on_unload_at == 1);
  CHECK(probe.finalized == 7);  // one per process of sdk_plugin.cpp
  CHECK(probe.first_final_at == 2);
  CHECK(probe.events == 8);  // on_unload, then the seven finalizers
}

TEST_CASE("during destruction a call from on_unload fails with 503 and never reaches an unloaded plugin") {
  // c_plugin frees its handlers' data in its on_unload: a call reaching it
  // afterwards would read freed memory. Both load orders, so that the caller
  // unloads both before and after c.
  for (const bool caller_first : {true, false}) {
    CAPTURE(caller_first);
    phost_test_probe probe{};
    {
      HostPtr host = make_host();
      Ref config = json("{\"probe\":" + std::to_string(reinterpret_cast<intptr_t>(&probe)) +
                        ",\"call\":\"c.add\"}");
      if (caller_first) must_load(host.get(), PHOST_FIXTURE_UNLOAD_CALLER, config.get());
      must_load(host.get(), PHOST_FIXTURE_C_PLUGIN);
      if (!caller_first) must_load(host.get(), PHOST_FIXTURE_UNLOAD_CALLER, config.get());
      CHECK(get_int(call_json(host.get(), "c.add", "[1,2]").value.get()) == 3);
    }
    CHECK(probe.on_unload == 1);
    CHECK(probe.unload_call_status == PHOST_E_CANCELLED);
    CHECK(probe.unload_call_code == 503);
    CHECK(std::string(probe.unload_call_message) == "host is being destroyed: 'c.add' was not called");
    // A registration is refused too, and its finalizer still runs exactly once.
    CHECK(probe.unload_register_status == PHOST_E_CANCELLED);
    CHECK(probe.finalized == 1);
  }
}

TEST_CASE("one plugin library serves two hosts at once") {
  HostPtr first = make_host();
  HostPtr second = make_host();
  must_load(first.get(), PHOST_FIXTURE_C_PLUGIN);
  must_load(second.get(), PHOST_FIXTURE_C_PLUGIN);
  CHECK(get_int(call_json(first.get(), "c.add", "[1,1]").value.get()) == 2);
  CHECK(get_int(call_json(second.get(), "c.add", "[2,2]").value.get()) == 4);
  first.reset();  // unloads its seat, not the other host's
  CHECK(get_int(call_json(second.get(), "c.add", "[3,3]").value.get()) == 6);
}

}  // TEST_SUITE
