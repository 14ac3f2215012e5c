// Loading from an app directory, reloading, the code cache.
#include "runtime_support.hpp"

#include <barrier>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

using rt_test::temp_dir;
using rt_test::write;

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

TEST_CASE("one broken file does not stop an app from loading, and its calls get its load error") {
  const fs::path app = temp_dir("broken");
  write(app / "scripts/bad.js", "function Main() {\n  return 1 +;\n}");
  write(app / "scripts/throws.js", "function Main() { return 1; }\nthrow new Exception('no config', 503);");
  write(app / "scripts/loops.js", "for (;;) {}\nfunction Main() {}");
  write(app / "scripts/imports.js", "import { x } from './nowhere.js';\nexport function Main() { return x; }");
  write(app / "scripts/good.js", "function Main() { return 'good'; }");
  // Modules of one app import each other in any order, cycles included.
  write(app / "scripts/a.js", "import { b } from './b.js';\nexport function a() { return 'a'; }\nexport function Main() { return b(); }");
  write(app / "scripts/b.js", "import { a } from './a.js';\nexport function b() { return 'b' + a(); }");
  write(app / "scripts/other.mjs", "export function Main() {}");
  rt_test::Runtime rt({.app_dir = app.string(), .load_timeout_ms = 300});
  CHECK(rt.json("scripts.good.Main") == "\"good\"");
  CHECK(rt.json("scripts.a.Main") == "\"ba\"");
  const auto bad = rt.error_of("scripts.bad.Main");
  CHECK(bad.code == 500);
  CHECK(bad.message.find("script 'bad' failed to load") != std::string::npos);
  CHECK(bad.message.find("(at bad.js:2:") != std::string::npos);
  CHECK(rt.error_of("scripts.throws.Main").code == 503);
  CHECK(rt.error_of("scripts.loops.Main").code == 408);
  const auto imports = rt.error_of("scripts.imports.Main");
  CHECK(imports.message.find("cannot import './nowhere.js'") != std::string::npos);
  const std::string scripts = rt.json("runtime.scripts");
  CHECK(scripts.find(R"("id":"bad","file":"bad.js","state":"failed")") != std::string::npos);
  CHECK(scripts.find(R"("id":"good","file":"good.js","state":"loaded")") != std::string::npos);
  CHECK(scripts.find(R"("functions":["Main"])") != std::string::npos);
  bool warned_mjs = false, warned_bad = false;
  for (const std::string& line : rt.log_lines()) {
    warned_mjs = warned_mjs || line.find("other.mjs: not loaded") != std::string::npos;
    warned_bad = warned_bad || line.find("scripts/bad.js failed to load") != std::string::npos;
  }
  CHECK(warned_mjs);
  CHECK(warned_bad);
  // A fixed file loads on reload, and its failure is forgotten.
  write(app / "scripts/bad.js", "function Main() {\n  return 1 + 1;\n}");
  rt.json("runtime.reload");
  CHECK(rt.json("scripts.bad.Main") == "2");
  fs::remove_all(app);
}

TEST_CASE("a link loop in scripts/ is that entry's problem: the rest of the app loads") {
  const fs::path app = temp_dir("loop");
  write(app / "scripts/good.js", "function Main() { return 'good'; }");
  fs::create_symlink("self.js", app / "scripts/self.js");
  fs::create_directories(app / "scripts/sub");
  fs::create_symlink("b.ts", app / "scripts/sub/a.ts");
  fs::create_symlink("a.ts", app / "scripts/sub/b.ts");
  fs::create_symlink("user@host.1234", app / "scripts/.#good.js");  // an editor's lock file: dangling, passed over
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.good.Main") == "\"good\"");
  CHECK(rt.error_of("scripts.self.Main").code == 404);
  int reported = 0;
  for (const std::string& line : rt.log_lines())
    reported += line.find(": cannot be read: ") != std::string::npos &&
                (line.find("scripts/self.js") != std::string::npos || line.find("scripts/sub/") != std::string::npos);
  CHECK(reported == 3);
  for (const std::string& line : rt.log_lines()) CHECK_MESSAGE(line.find(".#good.js") == std::string::npos, line);
  fs::remove_all(app);
}

TEST_CASE("a script file larger than max_script_mb is refused without being read, and its calls say so") {
  const fs::path app = temp_dir("huge");
  write(app / "scripts/good.js", "function Main() { return 'good'; }");
  write(app / "scripts/huge.js", "function Main() {}\n");
  fs::resize_file(app / "scripts/huge.js", (64u << 20) + 1);  // sparse: nothing is written
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.good.Main") == "\"good\"");
  const auto huge = rt.error_of("scripts.huge.Main");
  CHECK(huge.code == 500);
  CHECK_MESSAGE(huge.message.find("scripts/huge.js: not loaded: larger than max_script_mb (2 MB)") != std::string::npos,
                huge.message);
  fs::remove_all(app);
}

TEST_CASE("a NUL in an error's message is kept as \\0, and a thrown symbol or number is named") {
  rt_test::Runtime rt;
  const auto ts = rt.load_error("nul", std::string("function Main() { return 1; }\n\0\0", 32), "nul.ts");
  CHECK_MESSAGE(ts.message.find("nul.ts:2:1: Unexpected character '\\0'") != std::string::npos, ts.message);
  rt.load("thrown", "function Main() { throw new Exception('before\\u0000after', 418); }");
  const auto thrown = rt.error_of("scripts.thrown.Main");
  CHECK(thrown.code == 418);
  CHECK_MESSAGE(thrown.message.find("before\\0after") != std::string::npos, thrown.message);
  // Values that are not errors: a symbol is named by its description, a number by its text.
  rt.load("values", "function Symbolic() { throw Symbol('why'); }\nfunction Numeric() { throw 42; }");
  CHECK(rt.error_of("scripts.values.Symbolic").message.rfind("uncaught Symbol(why) (at values.js:1:", 0) == 0);
  CHECK(rt.error_of("scripts.values.Numeric").message.rfind("uncaught 42 (at values.js:2:", 0) == 0);
}

TEST_CASE("strict: one broken file fails the whole load naming it, and two files with one id are an error") {
  const fs::path app = temp_dir("strict");
  write(app / "scripts/bad.js", "function Main() {\n  return 1 +;\n}");
  write(app / "scripts/good.js", "function Main() { return 1; }");
  phost::Host host;
  phost::Value config = phost::Value::object();
  config.set("app_dir", phost::Value::string(app.string()));
  config.set("strict", phost::Value::boolean(true));
  try {
    host.load_plugin(PHOST_V8_PLUGIN, config);
    FAIL("the plugin loaded a broken app in strict mode");
  } catch (const phost::Error& e) {
    CHECK(std::string(e.what()).find("bad.js:2") != std::string::npos);
  }
  fs::remove(app / "scripts/bad.js");
  write(app / "scripts/good/x.js", "function Main() { return 2; }");
  write(app / "scripts/good.x.js", "function Main() { return 3; }");
  phost::Host again;
  try {
    again.load_plugin(PHOST_V8_PLUGIN, config);
    FAIL("two files with one id were accepted");
  } catch (const phost::Error& e) {
    const std::string what = e.what();
    CHECK(what.find("both give the script id 'good.x'") != std::string::npos);
  }
  fs::remove_all(app);
}

TEST_CASE("a script of 200,000 functions lists them in one pass") {
  rt_test::Runtime rt({.timeout_ms = 20000, .load_timeout_ms = 20000, .max_script_mb = 8});
  // Each name was checked against every name before it: 32 s for this file (4.6 MB).
  std::string many = "function Main() { return 1; }\n";
  for (int i = 0; i < 200000; ++i) many += "function f" + std::to_string(i) + "() {}\n";
  const phost::Value loaded = rt.host().call("runtime.load", phost::args("many", many, "many.js"));
  CHECK(loaded["functions"].size() == 200001);
  CHECK(rt.json("scripts.many.f199999") == "null");
  CHECK(rt.json("scripts.many.Main") == "1");
}

TEST_CASE("a call in flight finishes on the old version while a reload publishes the new one") {
  rt_test::Runtime rt({.process_allow = {"*"}});
  rt.load("self", "const version = 'old';\n"
                  "function Main() { Process('runtime.load', 'self', \"const version = 'new'; function Main() { return version; }\"); "
                  "return version; }");
  CHECK(rt.json("scripts.self.Main") == "\"old\"");
  CHECK(rt.json("scripts.self.Main") == "\"new\"");
}

// Each isolate remembers which version it compiled; a reload anywhere must
// reach every isolate's next call, and leave the other scripts as they were.
TEST_CASE("after a reload in one isolate, every isolate calls the new version and the others' old ones") {
  rt_test::Runtime rt({.isolates = 2});
  rt.load("a", "function Main() { return 'a1'; }");
  rt.load("b", "function Main() { return 'b1'; }");
  std::barrier step(2);
  std::string seen[2][4];
  auto thread = [&](int self) {
    rt.host().call("runtime.keep_isolate");  // both kept at once: two isolates
    step.arrive_and_wait();
    seen[self][0] = rt.json("scripts.a.Main") + rt.json("scripts.b.Main");
    step.arrive_and_wait();
    if (self == 0) rt.load("a", "function Main() { return 'a2'; }");
    step.arrive_and_wait();
    seen[self][1] = rt.json("scripts.a.Main") + rt.json("scripts.b.Main");
    step.arrive_and_wait();
    if (self == 1) rt.load("b", "function Main() { return 'b2'; }");
    step.arrive_and_wait();
    seen[self][2] = rt.json("scripts.a.Main") + rt.json("scripts.b.Main");
    rt.host().call("runtime.release_isolate");
  };
  std::thread t0(thread, 0), t1(thread, 1);
  t0.join();
  t1.join();
  for (int self : {0, 1}) {
    CAPTURE(self);
    CHECK(seen[self][0] == "\"a1\"\"b1\"");
    CHECK(seen[self][1] == "\"a2\"\"b1\"");
    CHECK(seen[self][2] == "\"a2\"\"b2\"");
  }
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
    f.seekp(100);  // past the header (magic, SHA-256 key, size, SHA-256 of the bytes): the payload
    f.write("garbage!garbage!", 16);
  }
  {
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main") == "\"cached\"");
    const phost::Value stats = rt.host().call("runtime.stats");
    CHECK(stats["code_cache"]["rejected"].as_int() >= 1);
  }
  {  // rebuilt when that runtime closed
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main") == "\"cached\"");
    const phost::Value stats = rt.host().call("runtime.stats");
    CHECK(stats["code_cache"]["hits"].as_int() >= 1);
    CHECK(stats["code_cache"]["rejected"].as_int() == 0);
  }
  fs::remove_all(cache);
}

// With one isolate only the next process reads a script's code cache: it is
// made when the runtime closes, not by the first call (which it would double).
TEST_CASE("with cache_dir and one isolate the code cache is made when the runtime closes") {
  const fs::path cache = temp_dir("cache-close");
  const std::string source = "function Main(n) { return helper(n) + 1; }\nfunction helper(n) { return n * 2; }";
  int64_t stored_before_close = 0;
  {
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    const int64_t after_load = rt.host().call("runtime.stats")["code_cache"]["stored"].as_int();
    CHECK(rt.json("scripts.c.Main", phost::args(20)) == "41");
    stored_before_close = rt.host().call("runtime.stats")["code_cache"]["stored"].as_int();
    CHECK(stored_before_close == after_load);  // the call made none
  }
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(cache)) files += entry.path().extension() == ".jsc";
  CHECK(files == static_cast<size_t>(stored_before_close) + 1);  // the script's code, made at close
  {
    rt_test::Runtime rt({.cache_dir = cache.string()});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main", phost::args(1)) == "3");
    const phost::Value stats = rt.host().call("runtime.stats");
    CHECK(stats["code_cache"]["hits"].as_int() == static_cast<int64_t>(files));
    CHECK(stats["code_cache"]["rejected"].as_int() == 0);
  }
  fs::remove_all(cache);
}

// Making a code cache costs about as much as the call that triggers it.
TEST_CASE("a code cache is made only where something can use it") {
  const std::string source = "function Main() { return 'x'; }";
  int64_t stored[2] = {};
  for (const int isolates : {1, 2}) {
    rt_test::Runtime rt({.isolates = isolates});
    rt.load("c", source);
    CHECK(rt.json("scripts.c.Main") == "\"x\"");
    stored[isolates - 1] = rt.host().call("runtime.stats")["code_cache"]["stored"].as_int();
  }
  // The same entries (prepared sources) but the code: one isolate and no
  // cache_dir, and neither another isolate nor a later process would read it.
  CHECK(stored[1] == stored[0] + 1);
}

// Calls check() until it holds or 10 s have passed: the watcher reloads on its own thread.
template <class Check>
bool eventually(Check&& check) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!check()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST_CASE("watch reloads changed, added and removed scripts, and a broken save keeps the previous version") {
  const fs::path app = temp_dir("watch");
  write(app / "scripts/a.js", "function V() { return 1; }");
  rt_test::Runtime rt({.app_dir = app.string(), .watch = true});
  CHECK(rt.json("scripts.a.V") == "1");

  write(app / "scripts/a.js", "function V() { return 2; }");
  // A reload may read a.js while it is being written (truncated, then
  // written): scripts.a.V may be missing for a moment.
  CHECK(eventually([&] { return rt.outcome("scripts.a.V") == "2"; }));

  write(app / "scripts/a.js", "function V( { return 3; }");  // a broken save
  auto failed = [&] {
    for (const std::string& line : rt.log_lines())
      if (line.find("scripts/a.js failed to load") != std::string::npos) return true;
    return false;
  };
  CHECK(eventually(failed));
  CHECK(rt.json("scripts.a.V") == "2");

  write(app / "scripts/lib/b.ts", "export function W(x: number): number { return x * 10; }");  // a new folder
  CHECK(eventually([&] { return rt.error_of("scripts.lib.b.W", phost::args(4)).code == 0; }));
  CHECK(rt.json("scripts.lib.b.W", phost::args(4)) == "40");
  write(app / "scripts/lib/c.js", "function C() { return 'c'; }");  // inside the folder that is new
  CHECK(eventually([&] { return rt.error_of("scripts.lib.c.C").code == 0; }));

  fs::remove(app / "scripts/lib/b.ts");
  CHECK(eventually([&] { return rt.error_of("scripts.lib.b.W", phost::args(4)).code == 404; }));
  fs::rename(app / "scripts/lib", app / "moved-away");
  CHECK(eventually([&] { return rt.error_of("scripts.lib.c.C").code == 404; }));

  write(app / "scripts/a.js", "function V() { return 4; }");  // fixed again
  CHECK(eventually([&] { return rt.outcome("scripts.a.V") == "4"; }));
  fs::remove_all(app);
}

TEST_CASE("watch without an app_dir is refused") {
  phost::Host host;
  auto refusal = [&](const char* config) -> std::string {
    try {
      host.load_plugin(PHOST_V8_PLUGIN, phost::Value::from_json(config));
      return "loaded";
    } catch (const phost::Error& e) {
      return std::to_string(e.code()) + " " + e.what();
    }
  };
  const std::string no_dir = refusal(R"({"watch": true})");
  CHECK_MESSAGE(no_dir.starts_with("400 "), no_dir);
  CHECK_MESSAGE(no_dir.ends_with("runtime config: 'watch' needs an app_dir to watch"), no_dir);
  const std::string not_bool = refusal(R"({"app_dir": "/tmp", "watch": 1})");
  CHECK_MESSAGE(not_bool.starts_with("400 "), not_bool);
  CHECK_MESSAGE(not_bool.ends_with("runtime config: 'watch' must be true or false"), not_bool);
  CHECK(host.list().empty());
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
  // Past 512 MB an array grown by push reaches V8's 2^27 elements first, and V8 aborts.
  config = phost::Value::object();
  config.set("heap_mb", phost::Value::integer(513));
  try {
    host.load_plugin(PHOST_V8_PLUGIN, config);
    FAIL("loaded with heap_mb 513");
  } catch (const phost::Error& e) {
    CHECK(std::string(e.what()).find("'heap_mb' must be an integer from 0 to 512") != std::string::npos);
  }
}

}  // TEST_SUITE
