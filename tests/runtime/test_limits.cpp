// Runaway scripts fail their own call; the host and the isolate pool go on.
#include "runtime_support.hpp"

#include <chrono>

TEST_SUITE("runtime limits") {

TEST_CASE("an endless loop fails with a timeout near its deadline and the isolate keeps serving") {
  rt_test::Runtime rt({.timeout_ms = 300});
  rt.load("loop", "function Main() { while (true) {} }\nfunction Ok() { return 'ok'; }");
  const auto start = std::chrono::steady_clock::now();
  const auto e = rt.error_of("scripts.loop.Main");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(e.code == 408);
  CHECK(e.status == PHOST_E_TIMEOUT);
  CHECK(e.message.find("timed out") != std::string::npos);
  CHECK(elapsed >= std::chrono::milliseconds(300));
  CHECK(elapsed < std::chrono::milliseconds(300 + 1000));  // a correctness bound, not a speed figure
  CHECK(rt.json("scripts.loop.Ok") == "\"ok\"");
}

TEST_CASE("the caller's own deadline is honoured when it is sooner than the runtime's") {
  rt_test::Runtime rt({.timeout_ms = 60000});
  rt.load("loop", "function Main() { for (;;) {} }");
  phost::CallOptions o;
  o.timeout = std::chrono::milliseconds(200);
  const auto e = rt.error_of("scripts.loop.Main", phost::args(), o);
  CHECK(e.code == 408);
}

TEST_CASE("a cancelled call stops its script") {
  rt_test::Runtime rt({.timeout_ms = 60000});
  rt.host().add("test.started", "", [](phost::Call&) {
    return phost::Value::null();
  });
  rt.load("spin", "function Main() { Process('test.started'); for (;;) {} }");
  phost_cancel* cancel = phost_cancel_new();
  phost::CallOptions o;
  o.cancel = cancel;
  phost_cancel_trigger(cancel);  // cancelled before it starts: refused at once
  const auto before = rt.error_of("scripts.spin.Main", phost::args(), o);
  CHECK(before.code == 499);
  phost_cancel_free(cancel);
}

TEST_CASE("an endless loop inside a nested call times out the whole call chain") {
  rt_test::Runtime rt({.timeout_ms = 300});
  rt.load("inner", "function Spin() { while (true) {} }");
  rt.load("outer", "function Main() { try { Process('scripts.inner.Spin'); } catch (e) { return 'caught'; } }");
  const auto e = rt.error_of("scripts.outer.Main");
  CHECK(e.code == 408);  // termination cannot be caught by the script
  rt.load("fine", "function Main() { return 7; }");
  CHECK(rt.json("scripts.fine.Main") == "7");
}

TEST_CASE("an allocation bomb fails with out of memory, the isolate is replaced and the host survives") {
  rt_test::Runtime rt({.timeout_ms = 60000, .heap_mb = 64});
  rt.load("bomb", "function Main() { const keep = []; for (;;) keep.push(new Array(100000).fill(1.5)); }\n"
                  "function Ok() { return 'alive'; }");
  const auto e = rt.error_of("scripts.bomb.Main");
  CHECK(e.code == 507);
  CHECK(e.status == PHOST_E_NO_MEMORY);
  CHECK(e.message.find("heap limit of 64 MB") != std::string::npos);
  CHECK(rt.json("scripts.bomb.Ok") == "\"alive\"");
  bool replaced = false;
  for (const auto& line : rt.log_lines()) replaced |= line.find("hit its heap limit; replacing it") != std::string::npos;
  CHECK(replaced);
}

TEST_CASE("a huge ArrayBuffer counts against the heap limit") {
  rt_test::Runtime rt({.heap_mb = 64});
  rt.load("buf", "function Main() { return new Uint8Array(1024 * 1024 * 1024).length; }");
  const auto e = rt.error_of("scripts.buf.Main");
  CHECK(e.code == 500);
  CHECK(e.message.find("RangeError") != std::string::npos);
}

TEST_CASE("a small typed array's buffer wanted once every buffer byte is taken stops the call with 507, not the process") {
  rt_test::Runtime rt({.heap_mb = 64});
  // V8 makes a small typed array's buffer only when asked, and aborts the
  // process if the allocator refuses it: here, once the budget is full. Fill
  // leaves at most 64 bytes (a buffer that small past the limit stops the
  // call too), so two of 64 cannot both fit.
  rt.load("buf", "const keep = [];\n"
                 "function Fill() {\n"
                 "  const take = (n) => { try { keep.push(new ArrayBuffer(n)); return true; } catch (e) { return false; } };\n"
                 "  for (let n = 2 ** 30; n > 64; ) if (!take(n)) n = Math.floor(n / 2);\n"
                 "  for (let n = 127; n > 64; n--) take(n);\n"
                 "  return keep.length > 0;\n"
                 "}\n"
                 "function Small() { return new Uint8Array(64).buffer.byteLength + new Uint8Array(64).buffer.byteLength; }\n"
                 "function Decode() {\n"
                 "  const d = new TextDecoder();\n"
                 "  return (d.decode(new Uint8Array(64).fill(104)) + d.decode(new Uint8Array(64).fill(105))).length;\n"
                 "}");
  CHECK(rt.json("scripts.buf.Fill") == "true");
  const auto e = rt.error_of("scripts.buf.Small");
  CHECK(e.code == 507);
  CHECK(e.status == PHOST_E_NO_MEMORY);
  // The isolate was replaced, and its buffers with it.
  CHECK(rt.json("scripts.buf.Small") == "128");
  CHECK(rt.json("scripts.buf.Fill") == "true");
  CHECK(rt.error_of("scripts.buf.Decode").code == 507);
  CHECK(rt.json("scripts.buf.Decode") == "128");
}

TEST_CASE("infinite recursion is a normal RangeError") {
  rt_test::Runtime rt;
  rt.load("rec", "function Main() { return Main() + 1; }\nfunction Ok() { return 1; }");
  const auto e = rt.error_of("scripts.rec.Main");
  CHECK(e.code == 500);
  CHECK(e.message.find("RangeError: Maximum call stack size exceeded") != std::string::npos);
  CHECK(rt.json("scripts.rec.Ok") == "1");
}

TEST_CASE("recursion through Process() stops at the host's depth limit") {
  rt_test::Runtime rt;
  rt.load("again", "function Main(n) { return Process('scripts.again.Main', n + 1); }");
  const auto e = rt.error_of("scripts.again.Main", phost::args(0));
  CHECK(e.code >= 400);
  const bool depth = e.message.find("call depth limit") != std::string::npos ||
                     e.message.find("Maximum call stack size") != std::string::npos;
  CHECK_MESSAGE(depth, e.message);
}

TEST_CASE("thrown values that are not Errors become errors with a message") {
  rt_test::Runtime rt;
  rt.load("t", "function Num() { throw 42; }\nfunction Obj() { throw { code: 451, message: 'gone' }; }\n"
               "function Nul() { throw null; }\nfunction Str() { throw 'plain'; }");
  const auto num = rt.error_of("scripts.t.Num");
  CHECK(num.code == 500);
  CHECK(num.message.find("42 (at t.js:1:") != std::string::npos);
  CHECK(rt.error_of("scripts.t.Obj").code == 451);
  CHECK(rt.error_of("scripts.t.Nul").message.find("null") != std::string::npos);
  CHECK(rt.error_of("scripts.t.Str").message.find("plain") != std::string::npos);
}

TEST_CASE("1000 nested Process() hops from JS to JS finish or fail cleanly, and the host goes on") {
  rt_test::Runtime rt;
  rt.load("hop", "function Down(n) { return n === 0 ? 0 : 1 + Process('scripts.hop.Down', n - 1); }");
  const auto e = rt.error_of("scripts.hop.Down", phost::args(1000));
  // Each JS -> native -> JS hop takes about 4 KB of stack, so V8's own stack
  // limit (about 1 MB) and the host's depth limit (256) trip at about the same depth.
  const bool depth_limit = e.code == 413 && e.message.find("call depth limit") != std::string::npos;
  const bool stack_limit = e.code == 500 && e.message.find("Maximum call stack size exceeded") != std::string::npos;
  CHECK_MESSAGE((depth_limit || stack_limit), e.code, ": ", e.message);
  CHECK(rt.json("scripts.hop.Down", phost::args(200)) == "200");
}

TEST_CASE("many failing calls leave no handles behind") {
  rt_test::Runtime rt;
  rt.load("f", "function Fail(n) { const big = new Array(1000).fill(n); throw new Exception('no ' + big.length, 400); }\n"
               "function Bad() { return { f() {} }; }");
  auto heap_used = [&] {
    return rt.host().call("runtime.stats", phost::args(phost::Value::from_json(R"({"gc":true})")))["heap"]["used_heap_bytes"].as_int();
  };
  for (int i = 0; i < 200; ++i) rt.error_of(i % 2 ? "scripts.f.Fail" : "scripts.f.Bad", phost::args(i));
  const int64_t before = heap_used();
  for (int i = 0; i < 5000; ++i) REQUIRE(rt.error_of(i % 2 ? "scripts.f.Fail" : "scripts.f.Bad", phost::args(i)).code == 400);
  const int64_t after = heap_used();
  MESSAGE("heap used before ", before, " after ", after);
  CHECK(after - before < 1024 * 1024);
}

// V8 compiles a source outside the heap limit, where no deadline reaches:
// 9 MB of `{},` took 13 s and 2 GB before its load timed out.
TEST_CASE("a script source larger than max_script_mb is not compiled, from app_dir or runtime.load, and the rest loads") {
  const std::filesystem::path app = rt_test::temp_dir("script-size");
  const std::string big = "var y = [" + std::string(size_t{2} << 20, ' ') + "];\nfunction F() { return 1; }\n";
  rt_test::write(app / "scripts/big.js", big);
  rt_test::write(app / "scripts/small.js", "function F() { return 2; }");
  {
    rt_test::Runtime rt({.app_dir = app.string()});
    const auto e = rt.error_of("scripts.big.F");
    CHECK(e.code == 500);
    CHECK_MESSAGE(e.message.find("scripts/big.js: not loaded: larger than max_script_mb (2 MB)") != std::string::npos,
                  e.message);
    CHECK(rt.json("scripts.small.F") == "2");
    const auto by_load = rt.load_error("direct", big);
    CHECK(by_load.code == 413);
    CHECK_MESSAGE(by_load.message.find("scripts/direct.js: larger than max_script_mb (2 MB)") != std::string::npos,
                  by_load.message);
    std::string at_limit = "function F() { return 3; }\n//";
    at_limit.resize(size_t{2} << 20, 'x');
    rt.load("direct", at_limit);
    CHECK(rt.json("scripts.direct.F") == "3");
  }
  rt_test::Runtime rt({.app_dir = app.string(), .max_script_mb = 3});
  CHECK(rt.json("scripts.big.F") == "1");
  for (const int64_t bad : {0, 65}) {
    phost::Host host;
    phost::Value config = phost::Value::object();
    config.set("max_script_mb", phost::Value::integer(bad));
    try {
      host.load_plugin(PHOST_V8_PLUGIN, config);
      FAIL("max_script_mb ", bad, " was accepted");
    } catch (const phost::Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find("max_script_mb") != std::string::npos, e.what());
    }
  }
  std::filesystem::remove_all(app);
}

}  // TEST_SUITE
