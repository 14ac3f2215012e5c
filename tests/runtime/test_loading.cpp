// Loading from an app directory, reloading, the code cache.
#include "runtime_support.hpp"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("phost-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

}  // namespace

TEST_SUITE("runtime loading") {

TEST_CASE("scripts load from the app directory with ids from their paths") {
  const fs::path app = temp_dir("app");
  write(app / "scripts/orders/total.js", "function Total(a, b) { return a + b; }");
  write(app / "scripts/hello.js", "function Hello(n) { return 'hello ' + n; }");
  write(app / "scripts/notes.txt", "not a script");
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.orders.total.Total", phost::args(2, 3)) == "5");
  CHECK(rt.json("scripts.hello.Hello", phost::args("you")) == "\"hello you\"");
  CHECK(rt.json("runtime.scripts").find("\"file\":\"orders/total.js\"") != std::string::npos);
  write(app / "scripts/hello.js", "function Hello(n) { return 'hi ' + n; }");
  CHECK(rt.json("runtime.reload") == "2");
  CHECK(rt.json("scripts.hello.Hello", phost::args("you")) == "\"hi you\"");
  fs::remove_all(app);
}

TEST_CASE("a syntax error in the app directory fails the load with the file and line") {
  const fs::path app = temp_dir("broken");
  write(app / "scripts/bad.js", "function Main() {\n  return 1 +;\n}");
  try {
    rt_test::Runtime rt({.app_dir = app.string()});
    FAIL("the plugin loaded a broken app");
  } catch (const phost::Error& e) {
    CHECK(std::string(e.what()).find("bad.js:2") != std::string::npos);
  }
  fs::remove_all(app);
}

TEST_CASE("a call in flight finishes on the old version while a reload publishes the new one") {
  rt_test::Runtime rt({.process_allow = {"*"}});
  rt.load("self", "const version = 'old';\n"
                  "function Main() { Process('runtime.load', 'self', \"const version = 'new'; function Main() { return version; }\"); "
                  "return version; }");
  CHECK(rt.json("scripts.self.Main") == "\"old\"");
  CHECK(rt.json("scripts.self.Main") == "\"new\"");
}

TEST_CASE("10000 reloads of one script leave the heap flat") {
  rt_test::Runtime rt;
  auto heap_used = [&] {
    return rt.host().call("runtime.stats", phost::args(phost::Value::from_json(R"({"gc":true})")))["heap"]["used_heap_bytes"].as_int();
  };
  for (int i = 0; i < 100; ++i) {
    rt.load("hot", "const cfg = " + std::to_string(i) + ";\nfunction Main() { return cfg; }");
    rt.json("scripts.hot.Main");
  }
  const int64_t before = heap_used();
  for (int i = 100; i < 10100; ++i) {
    rt.load("hot", "const cfg = " + std::to_string(i) + ";\nfunction Main() { return cfg; }");
    REQUIRE(rt.json("scripts.hot.Main") == std::to_string(i));
  }
  const int64_t after = heap_used();
  MESSAGE("heap used before ", before, " after ", after);
  CHECK(after - before < 2 * 1024 * 1024);
}

TEST_CASE("the code cache persists to disk, is used by a new host and a corrupt entry is rebuilt") {
  const fs::path cache = temp_dir("cache");
  const std::string source = "function Main() { return 'cached'; }";
  {
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main") == "\"cached\"");
  }
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(cache)) files += entry.path().extension() == ".jsc";
  CHECK(files >= 1);
  {
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main") == "\"cached\"");
    const phost::Value stats = rt.host().call("runtime.stats");
    CHECK(stats["code_cache"]["hits"].as_int() >= 1);
    CHECK(stats["code_cache"]["rejected"].as_int() == 0);
  }
  for (const auto& entry : fs::directory_iterator(cache)) {
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(64);  // past the header (magic, SHA-256 key, size): the V8 payload
    f.write("garbage!garbage!", 16);
  }
  {
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main") == "\"cached\"");
    const phost::Value stats = rt.host().call("runtime.stats");
    CHECK(stats["code_cache"]["rejected"].as_int() >= 1);
    CHECK(stats["code_cache"]["stored"].as_int() >= 1);
  }
  fs::remove_all(cache);
}

TEST_CASE("bad runtime configuration is refused with a message naming the key") {
  phost::Host host;
  phost::Value config = phost::Value::object();
  config.set("isolates", phost::Value::string("many"));
  try {
    host.load_plugin(PHOST_V8_PLUGIN, config);
    FAIL("loaded with a bad config");
  } catch (const phost::Error& e) {
    CHECK(std::string(e.what()).find("'isolates' must be an integer") != std::string::npos);
  }
  CHECK(host.list().empty());
}

}  // TEST_SUITE
