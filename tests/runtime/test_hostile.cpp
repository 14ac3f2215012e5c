// What hostile or careless scripts do to an embedding host, and what they
// must get instead: a clear error for their own call, and a host that goes on.
#include "runtime_support.hpp"

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

using phost::Value;
using namespace std::chrono_literals;

namespace {

// Records strings from scripts, in order.
struct Recorder {
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> seen = std::make_shared<std::vector<std::string>>();
  void install(phost::Host& host) {
    auto m = mutex;
    auto s = seen;
    host.add("test.record", "", [m, s](phost::Call& call) {
      std::lock_guard lock(*m);
      s->push_back(call.arg<std::string>(0));
      return Value::null();
    });
  }
  std::vector<std::string> get() const {
    std::lock_guard lock(*mutex);
    return *seen;
  }
};

template <class Fn>
auto timed(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  auto out = fn();
  return std::pair{out, std::chrono::steady_clock::now() - start};
}

// Calls script's Run(name) for each of the `count` names its Names() gives,
// with a 300 ms deadline: each must fail with one of `codes` within `most`.
void each_case_stops(rt_test::Runtime& rt, const std::string& script, size_t count, std::initializer_list<int32_t> codes,
                     std::chrono::seconds most) {
  phost::CallOptions o;
  o.timeout = 300ms;
  const Value names = rt.host().call("scripts." + script + ".Names");
  REQUIRE(names.size() == count);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string name(names[i].as_string());
    const auto [e, took] = timed([&] { return rt.error_of("scripts." + script + ".Run", phost::args(name), o); });
    CHECK_MESSAGE(std::find(codes.begin(), codes.end(), e.code) != codes.end(), name, ": ", e.code, " ", e.message);
    CHECK_MESSAGE(took < most, name);
  }
}

}  // namespace

TEST_SUITE("runtime hostile scripts") {

// ---- termination is never fatal -------------------------------------------

TEST_CASE("a loop building Exceptions, errors and log lines past its deadline times out") {
  rt_test::Runtime rt({.timeout_ms = 200});
  rt.host().add("test.fail", "", [](phost::Call&) -> Value { throw phost::Error(409, "no"); });
  rt.load("t", "function Main() { const keep = []; for (;;) { keep.push(new Exception('x', 500));"
               " try { Process('test.fail'); } catch (e) { keep.push(e); }"
               " console.debug({ n: keep.length }); Context.global; } }\n"
               "function Ok() { return 'ok'; }");
  for (int i = 0; i < 3; ++i) CHECK(rt.error_of("scripts.t.Main").code == 408);
  CHECK(rt.json("scripts.t.Ok") == "\"ok\"");
}

TEST_CASE("a getter on a thrown error cannot stop the timeout or crash the translation") {
  rt_test::Runtime rt({.timeout_ms = 200});
  rt.load("t", "function Main() { throw { get message() { for (;;) {} }, get code() { for (;;) {} } }; }\n"
               "function Ok() { return 1; }");
  CHECK(rt.error_of("scripts.t.Main").code == 408);
  CHECK(rt.json("scripts.t.Ok") == "1");
}

// ---- the deadline covers the whole call ------------------------------------

TEST_CASE("a Process() call from a result getter does not switch the watchdog off") {
  rt_test::Runtime rt({.timeout_ms = 200});
  rt.host().add("test.noop", "", [](phost::Call&) { return Value::null(); });
  rt.load("t", "function Main() { return { get x() { Process('test.noop'); for (;;) {} } }; }");
  const auto [e, took] = timed([&] { return rt.error_of("scripts.t.Main"); });
  CHECK(e.code == 408);
  CHECK(took < 5s);
}

TEST_CASE("a top level that calls Process() and then loops is stopped by the load deadline") {
  rt_test::Runtime rt({.timeout_ms = 60000, .load_timeout_ms = 200});
  rt.host().add("test.noop", "", [](phost::Call&) { return Value::null(); });
  const auto [e, took] = timed([&] { return rt.load_error("t", "Process('test.noop');\nfor (;;) {}\nfunction Main() {}"); });
  CHECK(e.code == 408);
  CHECK(took < 5s);
  CHECK(rt.error_of("scripts.t.Main").code == 404);  // never published
}

TEST_CASE("a top level past the caller's own deadline stops at that deadline") {
  rt_test::Runtime rt({.timeout_ms = 60000, .load_timeout_ms = 60000});
  phost::CallOptions o;
  o.timeout = 200ms;
  const auto [e, took] = timed([&] {
    return rt.error_of("runtime.load", phost::args("t", "while (true) {}", "t.js"), o);
  });
  CHECK(e.code == 408);
  CHECK(took < 5s);
}

TEST_CASE("a call that loops in its awaited promise or in a microtask times out") {
  rt_test::Runtime rt({.timeout_ms = 200});
  rt.load("t", "async function Main() { await null; for (;;) {} }\n"
               "function Job() { Promise.resolve().then(() => { for (;;) {} }); return 1; }");
  CHECK(rt.error_of("scripts.t.Main").code == 408);
  CHECK(rt.error_of("scripts.t.Job").code == 408);
}

TEST_CASE("a native process called from JS sees the call's deadline and cancellation") {
  rt_test::Runtime rt({.timeout_ms = 60000});
  std::atomic<int64_t> seen_deadline{-1};
  rt.host().add("test.deadline", "", [&](phost::Call& call) {
    seen_deadline = call.info().deadline_ns;
    return Value::null();
  });
  rt.load("t", "function Main() { Process('test.deadline'); return 1; }");
  phost::CallOptions o;
  o.timeout = 1000ms;
  CHECK(rt.json("scripts.t.Main", phost::args(), o) == "1");
  CHECK(seen_deadline.load() > 0);
}

// ---- compiled scripts have safe lifetimes -----------------------------------

TEST_CASE("a top level that calls its own functions gets a clear error") {
  rt_test::Runtime rt;
  const auto e = rt.load_error("me", "function A() { return 1; }\nProcess('scripts.me.A');\nfunction Main() {}");
  CHECK(e.code == 500);
  CHECK(e.message.find("called from its own top level") != std::string::npos);
  rt.load("me", "function A() { return 1; }");
  CHECK(rt.json("scripts.me.A") == "1");
}

TEST_CASE("a top level that reloads its own id ends with one consistent version") {
  rt_test::Runtime rt({.process_allow = {"*"}});
  rt.load("me", "Process('runtime.load', 'me', 'function Main() { return 2; }');\nfunction Main() { return 1; }");
  const std::string got = rt.json("scripts.me.Main");
  CHECK((got == "1" || got == "2"));
  CHECK(rt.json("scripts.me.Main") == got);
}

TEST_CASE("modules that import each other keep working across reloads of unrelated modules") {
  rt_test::Runtime rt;
  // A load links the module against what is published, so a cycle closes with its second module.
  rt.load("b", "export function b() { return 'b?'; }");
  rt.load("a", "import { b } from './b.js';\nexport function a() { return 'a'; }\nexport function Main() { return b(); }");
  rt.load("b", "import { a } from './a.js';\nexport function b() { return 'b' + a(); }");
  CHECK(rt.json("scripts.a.Main") == "\"ba\"");
  for (int i = 0; i < 3; ++i) {
    rt.load("other", "export function Main() { return " + std::to_string(i) + "; }");
    CHECK(rt.json("scripts.a.Main") == "\"ba\"");
    CHECK(rt.json("scripts.b.b") == "\"ba\"");
  }
  rt.load("b", "import { a } from './a.js';\nexport function b() { return 'B' + a(); }");
  CHECK(rt.json("scripts.a.Main") == "\"Ba\"");
}

// ---- memory ----------------------------------------------------------------

TEST_CASE("bytes and strings from outside that do not fit the heap are a 507, not an abort") {
  rt_test::Runtime rt({.heap_mb = 16});
  rt.load("t", "function Len(x) { return x.length; }");
  const std::string big(40u << 20, 'x');
  CHECK(rt.error_of("scripts.t.Len", phost::args(Value::bytes(big))).code == 507);
  CHECK(rt.error_of("scripts.t.Len", phost::args(Value::string(big))).code == 507);
  CHECK(rt.json("scripts.t.Len", phost::args("abc")) == "3");
}

TEST_CASE("conversion budgets stop sparse arrays and shared strings repeated many times") {
  rt_test::Runtime rt;
  rt.load("t", "function Sparse() { const a = []; a[100000000] = 1; return a; }\n"
               "function Shared() { const s = 'x'.repeat(1000000); return new Array(100000).fill(s); }\n"
               "function Ok() { return [1, 2]; }");
  const auto sparse = rt.error_of("scripts.t.Sparse");
  CHECK(sparse.code == 413);
  CHECK(sparse.message.find("max_value_items") != std::string::npos);
  const auto shared = rt.error_of("scripts.t.Shared");
  CHECK(shared.code == 413);
  CHECK(shared.message.find("max_value_mb") != std::string::npos);
  CHECK(rt.json("scripts.t.Ok") == "[1,2]");
}

// Each argument had a whole value's limits: 1000 arguments of one 64 MB
// string took 23 GB, converted before the name was even looked up.
TEST_CASE("Process() arguments share one value's limits, whatever process they name") {
  auto seen = std::make_shared<std::atomic<int>>(0);
  const phost::Handler count = [seen](phost::Call& call) {
    ++*seen;
    return Value::integer(static_cast<int64_t>(call.arg_count()));
  };
  rt_test::Runtime rt({.processes = {{"test.count", count}}, .max_value_mb = 1});
  rt.load("p", "const s = 'x'.repeat(400 * 1024);\n"
               "function Main(name, n) { return Process(name, ...Array(n).fill(s)); }");
  CHECK(rt.json("scripts.p.Main", phost::args("test.count", 2)) == "2");
  for (const char* name : {"test.count", "no.such.process"}) {
    const auto e = rt.error_of("scripts.p.Main", phost::args(name, 3));
    CHECK(e.code == 413);
    CHECK_MESSAGE(e.message.find("argument 3: value holds more bytes than the runtime allows (max_value_mb) (the limits "
                                 "hold for all the arguments together)") != std::string::npos,
                  e.message);
  }
  CHECK(*seen == 1);
}

TEST_CASE("WebAssembly, whose memory escapes the heap limit, is not there") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() { return typeof WebAssembly; }");
  CHECK(rt.json("scripts.t.Main") == "\"undefined\"");
}

// Each waiter held ~1 KB outside the heap until the isolate died: 500,000
// per call grew the process by 1 GB across calls under a 256 MB heap limit.
TEST_CASE("Atomics.waitAsync, whose waiters outlive their call outside the heap, is not there") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() { return [typeof Atomics.waitAsync, typeof Atomics.notify]; }\n"
               "function Wait() { const ia = new Int32Array(new SharedArrayBuffer(16));\n"
               "  for (let i = 0; i < 1000; i++) Atomics.waitAsync(ia, 0, 0); return 1; }");
  CHECK(rt.json("scripts.t.Main") == R"(["undefined","function"])");
  const auto wait = rt.error_of("scripts.t.Wait");
  CHECK(wait.code == 500);
  CHECK(wait.message.find("TypeError: Atomics.waitAsync is not a function") != std::string::npos);
}

// ---- stack -----------------------------------------------------------------

TEST_CASE("runaway recursion on a thread with a 512 KB stack is a RangeError") {
  rt_test::Runtime rt;
  rt.load("t", "function Down(n) { return Down(n + 1) + 1; }\nfunction Main() { return Down(0); }");
  struct Job {
    rt_test::Runtime* rt;
    rt_test::Failure result;
  } job{&rt, {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  pthread_t thread;
  REQUIRE(pthread_create(
              &thread, &attr,
              [](void* p) -> void* {
                auto* j = static_cast<Job*>(p);
                j->result = j->rt->error_of("scripts.t.Main");
                return nullptr;
              },
              &job) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  CHECK(job.result.code == 500);
  CHECK(job.result.message.find("RangeError: Maximum call stack size exceeded") != std::string::npos);
}

// ---- microtasks belong to their call -----------------------------------------

TEST_CASE("a job a failed call queued never runs in the next caller's call") {
  rt_test::Runtime rt;
  Recorder rec;
  rec.install(rt.host());
  rt.load("t", "function Leave() { Promise.resolve().then(() => Process('test.record', 'late:' + Context.sid));"
               " throw new Exception('failed', 400); }\n"
               "function Getter() { return { get x() { Promise.resolve().then(() => Process('test.record', 'job:' + Context.sid)); return 1; } }; }\n"
               "function Next() { return Context.sid; }");
  phost::CallOptions a;
  a.session = "a";
  CHECK(rt.error_of("scripts.t.Leave", phost::args(), a).code == 400);
  phost::CallOptions b;
  b.session = "b";
  CHECK(rt.json("scripts.t.Next", phost::args(), b) == "\"b\"");
  phost::CallOptions c;
  c.session = "c";
  CHECK(rt.json("scripts.t.Getter", phost::args(), c) == R"({"x":1})");
  const auto seen = rec.get();
  CHECK(seen == std::vector<std::string>{"job:c"});
}

// ---- isolation -------------------------------------------------------------

TEST_CASE("no script can plant a name or a getter on globalThis, and implicit globals stay the script's own") {
  rt_test::Runtime rt;
  Recorder rec;
  rec.install(rt.host());
  rt.load("evil", "function Main() { Object.defineProperty(globalThis, 'Main', { get() { Process('test.record', 'getter'); return 1; } }); }\n"
                  "function Set() { globalThis.shared = 1; }\n"
                  "function Implicit() { leaked = 1; globalThis.alsoMine = 2; return leaked + alsoMine; }\n"
                  "function Later() { return [typeof leaked, leaked, globalThis.alsoMine]; }\n"
                  "function Proto() { globalThis.__defineGetter__('Other', () => 1); }");
  CHECK(rt.error_of("scripts.evil.Main").code == 500);
  // gou's sloppy scripts assign undeclared names: each such name is the script's own.
  CHECK(rt.json("scripts.evil.Set") == "null");
  CHECK(rt.json("scripts.evil.Implicit") == "3");
  CHECK(rt.json("scripts.evil.Later") == R"(["number",1,2])");
  rt.load("other", "function Main() { return [typeof leaked, typeof shared, globalThis.alsoMine === undefined]; }\n"
                   "function Strict() { 'use strict'; undeclared = 1; }");
  CHECK(rt.json("scripts.other.Main") == R"(["undefined","undefined",true])");
  CHECK(rt.error_of("scripts.other.Strict").message.find("ReferenceError") != std::string::npos);
  CHECK(rt.error_of("scripts.evil.Proto").code == 500);
  rt.load("victim", "function Main() { return 'mine'; }\nfunction Other() { return 'other'; }");
  CHECK(rt.json("scripts.victim.Main") == "\"mine\"");
  CHECK(rec.get().empty());
}

TEST_CASE("a var an indirect eval declares on the global object is gone before another script's code runs") {
  rt_test::Runtime rt;
  // An indirect eval's var is defined on the global object itself, past the
  // interceptor that keeps undeclared names each script's own.
  rt.load("evil", "function Plant() {\n"
                  "  (0, eval)('var token; var loot = []; var Plan = function (sql) { loot.push(sql); return []; }');\n"
                  "  return [typeof Plan, Object.getOwnPropertyDescriptor(globalThis, 'token') !== undefined];\n"
                  "}\n"
                  "function PlantAndCall() { Plant(); return Process('scripts.victim.Work', 'nested'); }\n"
                  "function Read() { return [typeof token, typeof loot, typeof Plan]; }");
  rt.load("victim", "function Work(secret) {\n"
                    "  token = secret;\n"
                    "  return [typeof Plan === 'function' ? Plan('select') : 'no Plan', token];\n"
                    "}\n"
                    "function Mine() { return token; }\n"
                    "function Local() { eval('var x = 1'); return x; }");
  CHECK(rt.json("scripts.evil.Plant") == R"(["function",true])");
  CHECK(rt.json("scripts.victim.Work", phost::args("s1")) == R"(["no Plan","s1"])");
  CHECK(rt.json("scripts.evil.PlantAndCall") == R"(["no Plan","nested"])");
  CHECK(rt.json("scripts.evil.Read") == R"(["undefined","undefined","undefined"])");
  CHECK(rt.json("scripts.victim.Mine") == "\"nested\"");
  CHECK(rt.json("scripts.victim.Local") == "1");  // a direct eval's var stays the function's
}

TEST_CASE("a failed callee's eval globals are gone before its caller goes on, and its leftover jobs see none of the caller's") {
  rt_test::Runtime rt;
  rt.load("callee", "function Login(user, pw) { (0, eval)('var token = 1, password = 2'); throw new Error('bad password'); }\n"
                    "const seen = [];\n"
                    "function Queue() { Promise.resolve().then(() => Promise.resolve()).then(() => { seen.push(typeof globalThis.apiKey); });\n"
                    "  return 1; }\n"
                    "function Seen() { return seen; }");
  rt.load("caller", "function Main() { try { Process('scripts.callee.Login', 'alice', 'hunter2'); } catch (e) {}\n"
                    "  return [typeof token, typeof password]; }\n"
                    "function Jobs() { Process('scripts.callee.Queue'); (0, eval)(\"var apiKey = 'secret'\"); return typeof apiKey; }");
  CHECK(rt.json("scripts.caller.Main") == R"(["undefined","undefined"])");
  CHECK(rt.json("scripts.caller.Jobs") == R"("string")");
  CHECK(rt.json("scripts.callee.Seen") == R"(["undefined"])");
}

TEST_CASE("Eval's source gets no runtime object as this, and nothing it does changes another script's Eval or btoa") {
  rt_test::Runtime rt;
  rt.load("evil", "function Plant() { const self = Eval('(() => this)');\n"
                  "  try { self.evalLocal = () => () => 'hijacked'; self.base64Encode = (s) => 'leaked:' + s; } catch (e) {}\n"
                  "  return [self === globalThis, typeof self.parallel]; }");
  rt.load("victim", "function Use(pw) { return [Eval('function add(a, b) { return a + b; }', 2, 3), btoa(pw)]; }");
  CHECK(rt.json("scripts.evil.Plant") == R"([true,"undefined"])");
  CHECK(rt.json("scripts.victim.Use", phost::args("pw")) == R"([5,"cHc="])");
}

TEST_CASE("a getter a module puts among its functions never runs in its caller's call") {
  rt_test::Runtime rt;
  rt.load("m", "export const x = 1;\nconst seen = [];\n"
               "Object.defineProperty(import.meta.__phost_functions__, 'Helper', { get() {\n"
               "  Eval('function f(cb) { cb(typeof token); token = \"pwned\"; }', (v) => seen.push(v)); return Real; },\n"
               "  configurable: true, enumerable: true });\n"
               "function Real() { return seen; }");
  rt.load("victim", "function Init() { token = 'tok-123'; let r; try { r = Process('scripts.m.Helper'); } catch (e) { r = e.code; }\n"
                    "  return [r, token]; }");
  CHECK(rt.json("scripts.victim.Init") == R"([404,"tok-123"])");
  CHECK(rt.json("scripts.m.Real") == "[]");
}

TEST_CASE("a job one script queued reaches its own implicit globals only, whichever call runs it") {
  rt_test::Runtime rt;
  // b's state: implicit globals of a sloppy script.
  rt.load("b", "function Set() { secret = 's3cr3t'; return 1; }\n"
               "async function Async() { return 'b ran'; }\n"
               "function Main() { secret = 's3cr3t'; Process('scripts.a.Queue'); return secret; }\n"
               "function Get() { return [secret, typeof stolen]; }");
  rt.load("a", "const box = {};\n"
               // Run by the checkpoint of the nested call into b.
               "function Nested() {\n"
               "  Promise.resolve().then(() => { try { box.read = secret; } catch (e) { box.read = e.name; }\n"
               "                                 secret = 'set by a'; stolen = 1; });\n"
               "  return [Process('scripts.b.Async'), box.read, secret];\n"
               "}\n"
               // Queued in a nested call, run by its caller's (b's) checkpoint;
               // eval'd code run as a job by itself is no script's: no implicit globals.
               "function Queue() { Promise.resolve().then(() => { secret = 'queued by a'; });\n"
               "  Promise.resolve('secret = 1').then(eval).catch((e) => { box.eval = e.name; }); return 1; }\n"
               "function Seen() { return [box.eval, secret, stolen]; }");
  CHECK(rt.json("scripts.b.Set") == "1");
  CHECK(rt.json("scripts.a.Nested") == R"(["b ran","ReferenceError","set by a"])");
  CHECK(rt.json("scripts.b.Get") == R"(["s3cr3t","undefined"])");
  CHECK(rt.json("scripts.b.Main") == "\"s3cr3t\"");
  CHECK(rt.json("scripts.b.Get") == R"(["s3cr3t","undefined"])");
  CHECK(rt.json("scripts.a.Seen") == R"(["ReferenceError","queued by a",1])");
  CHECK(rt.json("scripts.b.Get") == R"(["s3cr3t","undefined"])");
  // A Function made from text, queued by a and run while b's frame is on
  // the stack below it (b called a, whose promise runs the jobs), is no
  // script's either: not b's.
  rt.load("lib", "function Helper() {\n"
                 "  const loot = {};\n"
                 "  queueMicrotask(new Function('o', 'o.key = typeof apiKey === \"undefined\" ? \"(none)\" : apiKey;'\n"
                 "                              + ' apiKey = \"replaced\";').bind(null, loot));\n"
                 "  return Promise.resolve().then(() => loot);\n"
                 "}");
  rt.load("app", "function Main() { apiKey = 'sk-123'; const got = Process('scripts.lib.Helper'); return [got, apiKey]; }");
  CHECK(rt.json("scripts.app.Main") == R"J([{"key":"(none)"},"sk-123"])J");
}

TEST_CASE("the global object's prototype, globalThis, indices and captureStackTrace are closed too") {
  rt_test::Runtime rt;
  rt.load("evil", "function Proto() { Object.setPrototypeOf(globalThis, { Plan: { Get() {} } }); }\n"
                  "function Self() { 'use strict'; globalThis.globalThis = { Process: 'fake' }; }\n"
                  "function Index() { globalThis[0] = 'from evil'; }\n"
                  "function Stack() { Error.captureStackTrace(globalThis); }\n"
                  "function Mine() { const o = {}; Error.captureStackTrace(o); return typeof o.stack; }");
  for (const char* name : {"scripts.evil.Proto", "scripts.evil.Self", "scripts.evil.Index", "scripts.evil.Stack"})
    CHECK_MESSAGE(rt.error_of(name).code == 500, name);
  CHECK(rt.json("scripts.evil.Mine") == "\"string\"");
  rt.load("victim", "function Main() { return [typeof Plan, globalThis.Process === Process, globalThis[0], typeof stack]; }");
  CHECK(rt.json("scripts.victim.Main") == R"(["undefined",true,null,"undefined"])");
}

TEST_CASE("what a script puts on the global object's own prototype no other script sees") {
  rt_test::Runtime rt;
  rt.load("evil", "function Plant() {\n"
                  "  const p = Object.getPrototypeOf(globalThis);\n"
                  "  const tried = [];\n"
                  "  try { p.Plan = { Get() { return 'forged'; } }; } catch (e) { tried.push(e.name); }\n"
                  "  try { Object.defineProperty(p, 'token', { set(v) {}, get() { return 'evil'; } }); }\n"
                  "  catch (e) { tried.push(e.name); }\n"
                  "  try { p.constructor.prototype.x = 1; } catch (e) { tried.push(e.name); }\n"
                  "  return [Object.isFrozen(p), Object.isFrozen(p.constructor), tried, typeof p.Plan, typeof p.x];\n"
                  "}\n");
  // Sloppy assignments fail silently; the definition throws.
  CHECK(rt.json("scripts.evil.Plant") == R"([true,true,["TypeError"],"undefined","undefined"])");
  rt.load("victim", "function Main() { token = 'mine'; return [typeof Plan, token]; }");
  CHECK(rt.json("scripts.victim.Main") == R"(["undefined","mine"])");
}

TEST_CASE("a namespace a script forges with its wrapper's token runs none of its code when a caller looks up a function") {
  rt_test::Runtime rt;
  // The wrapper's argument is the epilogue's token; a top-level return may
  // hand it back with a namespace of the script's own.
  const auto refused = rt.load_error("proxy", "let seen = 'nothing';\n"
                   "function Format() { return seen; }\n"
                   "return [arguments[0], new Proxy({ __proto__: null }, {\n"
                   "  get() { seen = apiKey; apiKey = 'overwritten'; return Format; },\n"
                   "})];");
  rt.load("getter", "let seen = 'nothing';\n"
                    "function Format() { return seen; }\n"
                    "return [arguments[0], { __proto__: null, get Format() { seen = apiKey; return Format; },\n"
                    "  Plain: Format }];");
  rt.load("victim", "function Main(name) {\n"
                    "  apiKey = 'secret';\n"
                    "  let got;\n"
                    "  try { got = Process(name); } catch (e) { got = e.code; }\n"
                    "  return [got, apiKey];\n"
                    "}");
  CHECK(refused.code == 500);
  CHECK(refused.message.find("top-level return") != std::string::npos);
  CHECK(rt.json("scripts.victim.Main", phost::args("scripts.proxy.Format")) == R"([404,"secret"])");
  CHECK(rt.json("scripts.victim.Main", phost::args("scripts.getter.Format")) == R"([404,"secret"])");
  CHECK(rt.json("scripts.victim.Main", phost::args("scripts.getter.Plain")) == R"(["nothing","secret"])");
}

TEST_CASE("eval and Function take a source of up to a million characters, and a larger one is an EvalError at once") {
  rt_test::Runtime rt({.timeout_ms = 20000});
  // V8 parses outside the heap limit and past the deadline: 75 MB of source
  // took 4.8 GB and 17 s.
  rt.load("e", "function Main(n) {\n"
               "  const r = [eval('1 + 1'), new Function('a', 'return a * 2')(21), eval(5)];\n"
               "  r.push(eval('[' + '1,'.repeat(n) + ']').length);\n"
               "  try { eval('[' + '{a:1,b:[2,3]},'.repeat(5e6) + ']'); r.push('parsed'); }\n"
               "  catch (e) { r.push(e.name); }\n"
               "  try { Function('return 1;' + ' '.repeat(2 ** 20)); r.push('parsed'); } catch (e) { r.push(e.name); }\n"
               "  r.push(eval(' '.repeat(2 ** 20 - 1) + '7'));\n"  // the limit itself
               "  try { eval(' '.repeat(2 ** 20) + '7'); } catch (e) { r.push(e.message.includes('1048576 characters')); }\n"
               "  return r;\n"
               "}");
  const auto [json, took] = timed([&] { return rt.json("scripts.e.Main", phost::args(500000)); });
  CHECK(json == R"([2,42,5,500000,"EvalError","EvalError",7,true])");
  CHECK(took < 5s);
}

TEST_CASE("a stack captured with Error.captureStackTrace starts at the script, not at phost's wrapper") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() {\n  const o = {};\n  Error.captureStackTrace(o);\n  return o.stack.split('\\n');\n}\n"
               "function Inner(f) { const o = {}; Error.captureStackTrace(o, f); return o.stack.split('\\n'); }\n"
               "function Outer() { return Inner(Inner); }");
  CHECK(rt.json("scripts.t.Main") == R"J(["Error","    at Main (t.js:3:9)"])J");
  CHECK(rt.json("scripts.t.Outer") == R"J(["Error","    at Outer (t.js:7:27)"])J");
}

TEST_CASE("huge strings in errors, log lines and process names are cut, not converted whole") {
  rt_test::Runtime rt({.timeout_ms = 20000});
  rt.load("t", "const big = '\\u1234'.repeat(2 ** 26);\n"
               "function Throw() { throw { message: big, code: 400 }; }\n"
               "function Log() { console.log(big); return 1; }\n"
               "function Name() { return Process(big); }");
  const auto thrown = rt.error_of("scripts.t.Throw");
  CHECK(thrown.code == 400);
  CHECK(thrown.message.size() < 100000);
  CHECK(rt.json("scripts.t.Log") == "1");
  const auto name = rt.error_of("scripts.t.Name");
  CHECK(name.code == 400);
  CHECK(name.message.find("at most 256 characters") != std::string::npos);
}

TEST_CASE("an error never carries a success code, and a NUL does not cut its message") {
  rt_test::Runtime rt;
  rt.load("t", "function Ok() { throw new Exception('not really ok', 200); }\n"
               "function Nul() { throw new Exception('visible\\u0000hidden', 400); }");
  CHECK(rt.error_of("scripts.t.Ok").code == 500);
  const auto nul = rt.error_of("scripts.t.Nul");
  CHECK(nul.code == 400);
  CHECK(nul.message.find("visible\\0hidden") != std::string::npos);
}

TEST_CASE("a NUL in a process name does not cut the error where the failed hop is named") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() {\n  return Process('scripts.t\\u0000x.Ok');\n}");
  const auto f = rt.error_of("scripts.t.Main");
  CHECK(f.code == 400);
  CHECK(f.message.find("(while calling scripts.t\\0x.Ok from t.js:2:10)") != std::string::npos);
  CHECK(f.message.find('\0') == std::string::npos);
}

TEST_CASE("a getter that throws while Process() converts its arguments keeps its own error") {
  rt_test::Runtime rt;
  rt.host().add("test.noop", "", [](phost::Call&) { return Value::null(); });
  rt.load("t", "function Main() { return Process('test.noop', { get x() { throw new Exception('mine', 418); } }); }\n"
               "function *gen() { yield 1; }\nfunction Gen() { return gen(); }");
  const auto e = rt.error_of("scripts.t.Main");
  CHECK(e.code == 418);
  CHECK(e.message.find("mine") != std::string::npos);
  CHECK(rt.error_of("scripts.t.Gen").message.find("a generator or iterator cannot be converted") != std::string::npos);
}

TEST_CASE("a called script cannot reach its caller through caller or arguments") {
  rt_test::Runtime rt;
  rt.load("callee", "function Peek() { return [Peek.caller === null, typeof arguments.callee.caller]; }");
  rt.load("caller", "function Main() { const secret = 's3cr3t'; return Process('scripts.callee.Peek'); }");
  CHECK(rt.json("scripts.caller.Main") == R"([true,"object"])");
}

TEST_CASE("RegExp legacy statics do not leak one script's matches to another") {
  rt_test::Runtime rt;
  rt.load("a", "function Main() { /(s3cr3t)/.exec('the s3cr3t'); return 1; }");
  rt.load("b", "function Main() { return [typeof RegExp.$1, typeof RegExp.input, typeof RegExp.lastMatch]; }");
  CHECK(rt.json("scripts.a.Main") == "1");
  CHECK(rt.json("scripts.b.Main") == R"(["undefined","undefined","undefined"])");
}

TEST_CASE("prototypes reachable only from instances are hardened too") {
  rt_test::Runtime rt;
  rt.load("a", "function Main() { const s = new Intl.Segmenter().segment('ab');"
               " const p = Object.getPrototypeOf(s), i = Object.getPrototypeOf(s[Symbol.iterator]());"
               " try { p.containing = () => 'evil'; } catch (e) {}"
               " return [Object.isFrozen(p), Object.isFrozen(i), Object.isFrozen(Object.getPrototypeOf([].values()))]; }");
  CHECK(rt.json("scripts.a.Main") == "[true,true,true]");
}

TEST_CASE("a top-level function named __proto__ is a process like any other") {
  rt_test::Runtime rt;
  rt.load("t", "function __proto__() { return 'own'; }\nfunction Main() { return 1; }");
  CHECK(rt.json("scripts.t.__proto__") == "\"own\"");
  CHECK(rt.json("scripts.t.Main") == "1");
}

TEST_CASE("an invalid script id is shown whole up to 200 bytes, a NUL in it escaped") {
  rt_test::Runtime rt;
  const auto nul = rt.load_error(std::string("a\0b", 3), "function Main() {}", "a.js");
  CHECK(nul.code == 400);
  CHECK(nul.message.find("invalid script id 'a\\0b': use dotted segments") != std::string::npos);
  const auto big = rt.load_error(std::string(1 << 20, '!'), "function Main() {}", "a.js");
  CHECK(big.code == 400);
  CHECK(big.message.find("invalid script id '" + std::string(200, '!') + "...': use dotted segments") !=
        std::string::npos);
  CHECK(big.message.size() < 400);
}

TEST_CASE("redefining one of the runtime's globals says it cannot be redefined, not that it is undefined") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() { Object.defineProperty(globalThis, 'log', { get() { return 1; } }); }\n"
               "function Same() { Object.defineProperty(globalThis, 'Process', { get() { return 1; } }); }\n"
               "function Fresh() { Object.defineProperty(globalThis, 'fresh', { value: 1 }); }\n"
               "function Kept() { return [typeof log.Info, typeof Process]; }");
  const auto f = rt.error_of("scripts.t.Main");
  CHECK(f.code == 500);
  CHECK(f.message.find("TypeError: Cannot redefine property: log") != std::string::npos);
  CHECK(rt.error_of("scripts.t.Same").message.find("TypeError: Cannot redefine property: Process") != std::string::npos);
  CHECK(rt.error_of("scripts.t.Fresh").message.find("fresh is not defined: scripts cannot create globals") !=
        std::string::npos);
  CHECK(rt.json("scripts.t.Kept") == R"(["function","function"])");
}

TEST_CASE("import() fails with an error that names it and its specifier") {
  rt_test::Runtime rt;
  rt.load("t", "async function Main() { return await import('/etc/passwd'); }\n"
               "async function Caught() { try { await import('./t.js'); } catch (e) { return e.name + ': ' + e.message; } }");
  const auto f = rt.error_of("scripts.t.Main");
  CHECK(f.code == 500);
  CHECK(f.message.find("TypeError: import('/etc/passwd'): dynamic import() is not supported") != std::string::npos);
  CHECK(rt.json("scripts.t.Caught") ==
        "\"TypeError: import('./t.js'): dynamic import() is not supported; use a static import at the top of a module\"");
}

TEST_CASE("a namespace has no inherited members") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() { return 1; }");
  rt.load("m", "export function Main() { return 1; }");
  for (const char* name : {"scripts.t.constructor", "scripts.t.toString", "scripts.t.__proto__",
                           "scripts.t.hasOwnProperty", "scripts.m.constructor"})
    CHECK_MESSAGE(rt.error_of(name).code == 404, name);
}

TEST_CASE("a stack trace a script sees shows none of its caller's frames") {
  rt_test::Runtime rt;
  rt.load("callee", "function Trace() { return new Error('here').stack; }", "callee.js");
  rt.load("caller", "function Main() { return Process('scripts.callee.Trace'); }", "caller.js");
  const std::string stack = rt.json("scripts.caller.Main");
  CHECK(stack.find("callee.js:1") != std::string::npos);
  CHECK(stack.find("caller.js") == std::string::npos);
}

// ---- several hosts, waits --------------------------------------------------

TEST_CASE("a call into host B made from inside host A's script runs B's script") {
  rt_test::Runtime a;
  rt_test::Runtime b;
  a.load("s", "function Main() { return 'A:' + Process('test.other'); }");
  b.load("s", "function Main() { return 'B'; }");
  a.host().add("test.other", "", [&b](phost::Call&) { return b.host().call("scripts.s.Main"); });
  CHECK(a.json("scripts.s.Main") == "\"A:B\"");
}

// The transpiler scans every source, one call at a time, with a deadline of
// its own (2 s): a load waited for it, and for other threads' loads, past the
// caller's deadline (a 500 ms load behind three hostile ones took 5.5 s).
TEST_CASE("preparing a source to load keeps the caller's deadline, also behind other threads' loads") {
  rt_test::Runtime rt({.isolates = 2, .timeout_ms = 0});
  const auto huge = [](int n) {  // seconds of sucrase's time on our VM
    std::string s = "// " + std::to_string(n) + "\n";
    for (int i = 0; i < 40000; ++i) s += "function f" + std::to_string(i) + "() {}\n";
    return s;
  };
  phost::CallOptions o;
  o.timeout = 300ms;
  const auto [own, own_took] = timed([&] { return rt.error_of("runtime.load", phost::args("h", huge(0), "h.js"), o); });
  CHECK(own.code == 408);
  CHECK(own.message.find("deadline passed while preparing h.js to load") != std::string::npos);
  // Generous for sanitizer builds on a busy machine; the message above is what
  // changed for this load. Behind the other thread a load took 5.5 s before.
  CHECK(own_took < 4000ms);

  std::atomic<bool> stop{false};
  std::thread hostile([&] {
    phost::CallOptions slow;
    slow.timeout = 1000ms;
    for (int n = 1; !stop; ++n) (void)rt.error_of("runtime.load", phost::args("h", huge(n), "h.js"), slow);
  });
  for (int i = 0; i < 3; ++i) {
    const auto [small, took] = timed([&] {
      return rt.error_of("runtime.load", phost::args("small", "function F() { return " + std::to_string(i) + "; }"), o);
    });
    CHECK_MESSAGE((small.code == 0 || small.code == 408), small.message);
    CHECK(took < 4000ms);
  }
  stop = true;
  hostile.join();
  rt.load("small", "function F() { return 'served'; }");
  CHECK(rt.json("scripts.small.F") == "\"served\"");
}

TEST_CASE("waiting for a free isolate honours the caller's deadline and cancellation") {
  rt_test::Runtime rt({.isolates = 1, .timeout_ms = 3000});
  std::atomic<bool> started{false};
  rt.host().add("test.started", "", [&](phost::Call&) {
    started = true;
    return Value::null();
  });
  rt.load("t", "function Spin() { Process('test.started'); for (;;) {} }\nfunction Ok() { return 1; }");
  std::thread spinner([&] { (void)rt.error_of("scripts.t.Spin"); });
  while (!started) std::this_thread::yield();
  phost::CallOptions o;
  o.timeout = 200ms;
  const auto [e, took] = timed([&] { return rt.error_of("scripts.t.Ok", phost::args(), o); });
  CHECK(e.code == 408);
  CHECK(e.message.find("no isolate became free") != std::string::npos);
  CHECK(took < 2500ms);
  spinner.join();
  CHECK(rt.json("scripts.t.Ok") == "1");
}

// ---- values ----------------------------------------------------------------

TEST_CASE("RegExp, SharedArrayBuffer, Error, WeakMap, boxed primitives and colliding Map keys") {
  rt_test::Runtime rt;
  rt.load("v", "function Re() { return /x/; }\n"
               "function Weak() { return new WeakMap(); }\n"
               "function Boxed() { return [new Number(2), new String('s'), new Boolean(true)]; }\n"
               "function Err() { const e = new TypeError('bad'); e.code = 400; return e; }\n"
               "function Collide() { return new Map([[1, 'a'], ['1', 'b']]); }\n"
               "function Sab() { const b = new SharedArrayBuffer(2); new Uint8Array(b)[1] = 7; return b; }");
  CHECK(rt.error_of("scripts.v.Re").message.find("a RegExp cannot be converted") != std::string::npos);
  CHECK(rt.error_of("scripts.v.Weak").message.find("WeakMap") != std::string::npos);
  CHECK(rt.json("scripts.v.Boxed") == R"([2,"s",true])");
  const std::string err = rt.json("scripts.v.Err");
  CHECK(err.find(R"("name":"TypeError")") != std::string::npos);
  CHECK(err.find(R"("message":"bad")") != std::string::npos);
  CHECK(err.find(R"("code":400)") != std::string::npos);
  CHECK(rt.error_of("scripts.v.Collide").message.find("same object key '1'") != std::string::npos);
  CHECK(rt.json("scripts.v.Sab") == R"("AAc=")");
}

// Results and Process() arguments are read by an encoder in JS (result_reader.hpp): what
// it could get wrong, against what the C++ walk did.
TEST_CASE("reading a result runs each getter once, in order, and skips what the walk skipped") {
  rt_test::Runtime rt;
  Recorder record;
  record.install(rt.host());
  rt.load("r", "function Main() {\n"
               "  const proto = { inherited: 1 };\n"
               "  const o = Object.create(proto);\n"
               "  Object.defineProperty(o, 'hidden', { value: 1, enumerable: false });\n"
               "  o[Symbol('s')] = 1;\n"
               "  Object.defineProperty(o, 'a', { enumerable: true, get() { Process('test.record', 'a'); return 1; } });\n"
               "  o.u = undefined;\n"
               "  o.b = { get c() { Process('test.record', 'c'); return [1, , undefined, -0]; } };\n"
               "  Object.defineProperty(o, 'd', { enumerable: true, get() { Process('test.record', 'd'); delete this.e; return 'x'; } });\n"
               "  o.e = 'deleted by the getter of d';\n"
               "  o[2] = 'index';\n"
               "  return o;\n"
               "}\n");
  CHECK(rt.json("scripts.r.Main") == R"({"2":"index","a":1,"b":{"c":[1,null,null,0]},"d":"x"})");
  CHECK(record.get() == std::vector<std::string>{"a", "c", "d"});
  CHECK(rt.json("scripts.r.Main") == R"({"2":"index","a":1,"b":{"c":[1,null,null,0]},"d":"x"})");
  CHECK(record.get().size() == 6);
}

TEST_CASE("a result getter's error keeps the script's frames and none of the reader's") {
  rt_test::Runtime rt;
  rt.load("g", "function Main() {\n"
               "  return { ok: 1, get bad() { throw new Exception('from the getter', 418); } };\n"
               "}\n");
  const auto e = rt.error_of("scripts.g.Main");
  CHECK(e.code == 418);
  CHECK(e.message.find("from the getter") != std::string::npos);
  INFO(e.stack);
  CHECK(e.stack.find("g.js:2") != std::string::npos);
  CHECK(e.stack.find("<anonymous>") == std::string::npos);
  CHECK(e.stack.find("container") == std::string::npos);
}

TEST_CASE("reading a result keeps ints, doubles, BigInts, bytes, dates and strings of every kind") {
  rt_test::Runtime rt;
  rt.load("r", "function Main() {\n"
               "  const long = 'k'.repeat(100);\n"
               "  return { i: 2 ** 53, d: 2 ** 53 + 2, h: 1.5, n: -7, big: 2n ** 62n, b: new Uint8Array([1, 2]),\n"
               "           t: new Date(0), s: '\\u00e9t\\u00e9', lone: '\\ud800', [long]: 'x'.repeat(100),\n"
               "           '\\u043a\\u043b\\u044e\\u0447': true, m: new Map([['k', { v: null }]]), set: new Set([1]) };\n"
               "}\n"
               "function Wide() { const o = {}; for (let i = 0; i < 5000; i++) o['key' + i] = i; return o; }\n"
               "function Nested() { return { a: [{ x: 1 }, { x: 2, y: [3, 'z'] }], e: {} , l: [] }; }\n"
               "function Huge() { return new Array(40000).fill({ a: 'x'.repeat(20), b: 1.5 }); }\n");
  const Value r = rt.host().call("scripts.r.Main", phost::args());
  CHECK(r["i"].kind() == PHOST_INT);
  CHECK(r["i"].as_int() == 9007199254740992);
  CHECK(r["d"].kind() == PHOST_DOUBLE);
  CHECK(r["h"].as_double() == 1.5);
  CHECK(r["n"].as_int() == -7);
  CHECK(r["big"].as_int() == (int64_t(1) << 62));
  CHECK(r["b"].kind() == PHOST_BYTES);
  CHECK(r["b"].as_string() == std::string("\x01\x02", 2));
  CHECK(r["t"].as_string() == "1970-01-01T00:00:00.000Z");
  CHECK(r["s"].as_string() == "\xc3\xa9t\xc3\xa9");
  CHECK(r["lone"].as_string() == "\xef\xbf\xbd");
  CHECK(r[std::string(100, 'k')].as_string() == std::string(100, 'x'));
  CHECK(r["\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"].as_bool());
  CHECK(r["m"].to_json() == R"({"k":{"v":null}})");
  CHECK(r["set"].to_json() == "[1]");
  const Value wide = rt.host().call("scripts.r.Wide", phost::args());
  REQUIRE(wide.size() == 5000);
  CHECK(wide.key_at(4999) == "key4999");
  CHECK(wide["key4321"].as_int() == 4321);
  CHECK(rt.json("scripts.r.Nested") == R"({"a":[{"x":1},{"x":2,"y":[3,"z"]}],"e":{},"l":[]})");
  const Value huge = rt.host().call("scripts.r.Huge", phost::args());  // grows the reader's buffers
  REQUIRE(huge.size() == 40000);
  CHECK(huge[39999].to_json() == R"({"a":"xxxxxxxxxxxxxxxxxxxx","b":1.5})");
  CHECK(rt.json("scripts.r.Nested") == R"({"a":[{"x":1},{"x":2,"y":[3,"z"]}],"e":{},"l":[]})");  // and shrinks them
}

TEST_CASE("reading a result refuses what the walk refused, naming the path, and never runs a proxy trap") {
  rt_test::Runtime rt;
  Recorder record;
  record.install(rt.host());
  rt.load("r", "const trap = { get() { Process('test.record', 'trap'); return 1; }, ownKeys() { Process('test.record', 'keys'); return []; } };\n"
               "function P() { return { a: [1, new Proxy({}, trap)] }; }\n"
               "function N() { return { a: [1, NaN] }; }\n"
               "function S() { return { s: Symbol('x') }; }\n"
               "function F() { return { f() {} }; }\n"
               "function Big() { return { b: [2n ** 64n] }; }\n"
               "function Cycle() { const o = { a: {} }; o.a.back = o; return o; }\n"
               "function MapCycle() { const o = { get g() { Process('test.record', 'g'); return 1; }, m: new Map() };\n"
               "  o.m.set('k', o); return o; }\n"
               "function Deep() { let v = 1; for (let i = 0; i < 200; i++) v = { v }; return v; }\n"
               "function Throws() { return { a: 1, b: { get c() { throw new Exception('mine', 418); } } }; }\n"
               "function Glob() { return [globalThis, 1]; }\n");
  const auto p = rt.error_of("scripts.r.P");
  CHECK(p.code == 400);
  CHECK(p.message.find("a Proxy cannot be converted at .a[1]") != std::string::npos);
  CHECK(rt.json("scripts.r.N") == R"({"a":[1,null]})");
  CHECK(rt.error_of("scripts.r.S").message.find("a symbol cannot be converted at .s") != std::string::npos);
  CHECK(rt.error_of("scripts.r.F").message.find("a function cannot be converted at .f") != std::string::npos);
  CHECK(rt.error_of("scripts.r.Big").message.find("BigInt does not fit in 64 bits at .b[0]") != std::string::npos);
  CHECK(rt.error_of("scripts.r.Cycle").message.find("the value contains a cycle at .a.back") != std::string::npos);
  CHECK(rt.error_of("scripts.r.MapCycle").message.find("the value contains a cycle at .m.k") != std::string::npos);
  const auto deep = rt.error_of("scripts.r.Deep");
  CHECK(deep.code == 413);
  CHECK(deep.message.find("value nests deeper than 128") != std::string::npos);
  const auto thrown = rt.error_of("scripts.r.Throws");
  CHECK(thrown.code == 418);
  CHECK(thrown.message.find("mine") != std::string::npos);
  CHECK(rt.error_of("scripts.r.Glob").code != 0);  // refused by the walk, as before: no crash
  CHECK(record.get() == std::vector<std::string>{"g"});
}

// The result reader runs in a private context of its own. Context's fields
// are native accessors, which run in their caller's context: read by the
// reader, they must still make their values in the script's context, or the
// reader's context (unhardened, its state reachable from it) leaks to
// scripts through the shapes made then and used for every later value.
TEST_CASE("values made while a result is read belong to the script's context, never the reader's") {
  rt_test::Runtime rt;
  rt.add_echo("test.json");
  rt.load("c", "function F(a, b) { return { c: Context }; }\n"
               "function G() {\n"
               "  const o = Process('test.json', { a: 1, b: 2 });\n"
               "  return [Object.getPrototypeOf(o) === Object.prototype, o.constructor === Object,\n"
               "          Object.getPrototypeOf(Context.global) === Object.prototype];\n"
               "}\n");
  const Value global = Value::from_json(R"({"a":1,"b":2})");
  const Value p = Value::from_json(R"({"x":1,"y":2})");
  phost::CallOptions options;
  options.global = global;
  for (int round = 0; round < 6; ++round) {
    CAPTURE(round);
    const std::string f = rt.json("scripts.c.F", phost::args(p.retain(), p.retain()), options);
    CHECK(f.find(R"("global":{"a":1,"b":2})") != std::string::npos);
    CHECK(f.find(R"("process":"scripts.c.F")") != std::string::npos);
    CHECK(rt.json("scripts.c.G", phost::args(), options) == "[true,true,true]");
  }
}

// A callable Proxy used as a getter gets its arguments in an array of the
// result reader's realm: what that array leads to must not change what the
// reader runs for later results.
TEST_CASE("what a result's getter can reach of the result reader's realm cannot change later results") {
  rt_test::Runtime rt;
  rt.load("g", "let grabbed;\n"
               "function Grab(a, b) {\n"
               "  const trap = new Proxy(function () {}, { apply(t, self, args) { grabbed = args; return 1; } });\n"
               "  const o = { v: a.x };\n"
               "  Object.defineProperty(o, 'k', { get: trap, enumerable: true });\n"
               "  return o;\n"
               "}\n"
               "function Tamper() {\n"
               "  if (!grabbed) return ['none'];\n"
               "  const changed = [], AP = Object.getPrototypeOf(grabbed), OP = Object.getPrototypeOf(AP);\n"
               "  const mine = () => 0;\n"
               "  try { AP.push = mine; } catch (e) {}\n"
               "  if (AP.push === mine) changed.push('push');\n"
               "  try { Object.defineProperty(AP, '0', { set(v) {}, configurable: true }); changed.push('AP[0]'); } catch (e) {}\n"
               "  try { Object.defineProperty(OP, '1', { set(v) {}, configurable: true }); changed.push('OP[1]'); } catch (e) {}\n"
               "  const SP = Object.getPrototypeOf(OP.constructor('s'));\n"
               "  try { SP.charCodeAt = mine; } catch (e) {}\n"
               "  if (SP.charCodeAt === mine) changed.push('charCodeAt');\n"
               "  try { OP.constructor.keys = mine; } catch (e) {}\n"
               "  if (OP.constructor.keys === mine) changed.push('keys');\n"
               "  return changed;\n"
               "}\n"
               "function Name(a, b) { return { name: 'alice', list: [a.x, 'two'], more: ['x', 'y', 'z'] }; }\n");
  const Value p = Value::from_json(R"({"x":1,"y":2})");
  for (int round = 0; round < 7; ++round) {
    CAPTURE(round);
    CHECK(rt.json("scripts.g.Grab", phost::args(p.retain(), p.retain())) == R"({"v":1,"k":1})");
    CHECK(rt.json("scripts.g.Tamper") == "[]");
    CHECK(rt.json("scripts.g.Name", phost::args(p.retain(), p.retain())) ==
          R"({"name":"alice","list":[1,"two"],"more":["x","y","z"]})");
  }
}

// A result whose reading grew the reader's buffers and then threw: the
// results read after it are read from the new buffers.
TEST_CASE("a result that grew the reader's buffers and then threw leaves later results whole") {
  rt_test::Runtime rt;
  rt.load("b", "function Grow(a, b) {\n"
               "  const o = {};\n"
               "  for (let i = 0; i < 400; i++) o['k' + i] = 'value' + i;\n"
               "  Object.defineProperty(o, 'z', { get() { throw new Exception('late', 418); }, enumerable: true });\n"
               "  return o;\n"
               "}\n"
               "function Name(a, b) { return { name: 'alice', n: a.x }; }\n");
  const Value p = Value::from_json(R"({"x":1,"y":2})");
  // Read inside the call from the fourth call of this argument shape on:
  // the buffers first grow in a call read that way.
  for (int round = 0; round < 5; ++round)
    CHECK(rt.json("scripts.b.Name", phost::args(p.retain(), p.retain())) == R"({"name":"alice","n":1})");
  const auto grow = rt.error_of("scripts.b.Grow", phost::args(p.retain(), p.retain()));
  CHECK(grow.code == 418);
  CHECK(grow.message.find("late") != std::string::npos);
  for (int round = 0; round < 3; ++round)
    CHECK(rt.json("scripts.b.Name", phost::args(p.retain(), p.retain())) == R"({"name":"alice","n":1})");
}

TEST_CASE("a getter that converts another value while a result is read gets it whole") {
  rt_test::Runtime rt;
  std::vector<std::string> seen;
  rt.add_echo("test.json", &seen);
  rt.load("r", "function Main() {\n"
               "  return { a: { k: 'v' }, get b() { return Process('test.json', { x: [1, 2], y: { z: 'w' } }); }, c: [3, 4] };\n"
               "}\n"
               "function Arg() { return Process('test.json', { get a() { return Process('test.json', [5, 6]); }, b: [7, 8] }); }\n");
  CHECK(rt.json("scripts.r.Main") == R"({"a":{"k":"v"},"b":{"x":[1,2],"y":{"z":"w"}},"c":[3,4]})");
  CHECK(rt.json("scripts.r.Arg") == R"({"a":[5,6],"b":[7,8]})");
  CHECK(seen == std::vector<std::string>{R"({"x":[1,2],"y":{"z":"w"}})", "[5,6]", R"({"a":[5,6],"b":[7,8]})"});
}

TEST_CASE("timeout_ms 0 means no runtime timeout, and unknown options are refused") {
  rt_test::Runtime rt({.timeout_ms = 0});
  rt.load("t", "function Main() { return 1; }");
  CHECK(rt.json("scripts.t.Main") == "1");
  phost::Host host;
  phost::Value config = phost::Value::object();
  config.set("timeout", phost::Value::integer(5));
  try {
    host.load_plugin(PHOST_V8_PLUGIN, config);
    FAIL("an unknown option was accepted");
  } catch (const phost::Error& e) {
    CHECK(std::string(e.what()).find("'timeout' is not a runtime option") != std::string::npos);
  }
}

// ---- what scripts may call ---------------------------------------------------

TEST_CASE("scripts may not call runtime.* unless allowed, nor what process_deny names") {
  {
    rt_test::Runtime rt;
    rt.load("t", "function Main() { return Process('runtime.load', 'victim', 'function Main() { return 0; }'); }");
    const auto e = rt.error_of("scripts.t.Main");
    CHECK(e.code == 403);
    CHECK(e.message.find("scripts may not call this process") != std::string::npos);
  }
  {
    rt_test::Runtime rt({.process_allow = {"test.ok", "scripts.*"}});
    rt.host().add("test.ok", "", [](phost::Call&) { return Value::integer(1); });
    rt.host().add("test.other", "", [](phost::Call&) { return Value::integer(2); });
    rt.load("t", "function Ok() { return Process('test.ok'); }\nfunction Other() { return Process('TEST.OTHER'); }");
    CHECK(rt.json("scripts.t.Ok") == "1");
    CHECK(rt.error_of("scripts.t.Other").code == 403);
    // Names are remembered per string (name_cache.hpp): the verdict and the
    // name stay right when the same string comes again, is built at run
    // time, or a nested call with another name runs in between.
    rt.load("n", "function Many() { let s = 0; for (let i = 0; i < 200; i++) s += Process(i % 2 ? 'test.ok' : 'test.' + 'ok'); return s; }\n"
                 "function Denied() { let n = 0; for (let i = 0; i < 3; i++) { try { Process('test.other'); } catch (e) { n += e.code === 403 ? 1 : 0; } } return n; }\n"
                 "function Inner() { return Process('test.ok'); }\n"
                 "function Outer() { return Process('scripts.n.Inner') + Process('scripts.n.Inner') + Process('test.ok'); }\n");
    CHECK(rt.json("scripts.n.Many") == "200");
    CHECK(rt.json("scripts.n.Denied") == "3");
    CHECK(rt.json("scripts.n.Outer") == "3");
  }
}

// Encoding a string of hundreds of MB copies it two or three times in calls
// no deadline can stop (seconds, and GBs outside the heap): refused first.
TEST_CASE("btoa and TextEncoder of a string too large for the heap are 507 at once, and the isolate serves on") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 64});
  rt.load("b", "function Btoa(n) { return btoa('x'.repeat(n)).length; }\n"
               "function Encode(n) { return new TextEncoder().encode('x'.repeat(n)).length; }");
  for (const auto& [fn, what] : {std::pair{"scripts.b.Btoa", "btoa(text): the base64"},
                                  std::pair{"scripts.b.Encode", "the UTF-8"}}) {
    const auto e = rt.error_of(fn, phost::args(100'000'000));
    CHECK(e.code == 507);
    CHECK_MESSAGE(e.message.find(std::string(what) + " of a string of 100000000 characters does not fit in the script heap") !=
                      std::string::npos,
                  e.message);
  }
  CHECK(rt.json("scripts.b.Btoa", phost::args(3000)) == "4000");
  CHECK(rt.json("scripts.b.Encode", phost::args(3000)) == "3000");
}

// The check above counted a byte per character: the UTF-8 of '\u20ac'.repeat(1e8)
// (300 MB) was made outside the heap before its buffer was refused.
TEST_CASE("TextEncoder and btoa count the UTF-8 a text takes, not its characters, before they copy it") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 128});
  rt.load("e", "function Encode(n) { return new TextEncoder().encode('\u20ac'.repeat(n)).length; }\n"
               "function Btoa(n) { return btoa('\u20ac'.repeat(n)).length; }");
  const auto e = rt.error_of("scripts.e.Encode", phost::args(50'000'000));
  CHECK(e.code == 507);
  CHECK_MESSAGE(e.message.find("the UTF-8 of a string of 50000000 characters does not fit in the script heap") !=
                    std::string::npos,
                e.message);
  const auto b = rt.error_of("scripts.e.Btoa", phost::args(20'000'000));
  CHECK(b.code == 507);
  CHECK_MESSAGE(b.message.find("btoa(text): the base64 of a string of 20000000 characters does not fit") !=
                    std::string::npos,
                b.message);
  CHECK(rt.json("scripts.e.Encode", phost::args(10'000'000)) == "30000000");
  CHECK(rt.json("scripts.e.Btoa", phost::args(3'000'000)) == "12000000");
}

// atob copied its whole input to UTF-8 (three bytes a character) and made
// its output before looking at either: '\u1234'.repeat(2**28) took 2.1 GB.
TEST_CASE("atob reads no more than its input before refusing it, and says when its bytes cannot fit") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 256});
  rt.load("a", "function Wide(n) { const s = '\\u1234'.repeat(n); s.indexOf('x'); return atob(s); }\n"
               "function Fits(keep, n) { const k = new Uint8Array(keep << 20); return [k.length, atob('QUJD'.repeat(n)).length]; }\n"
               "function Cases() { return [atob('QUJD'), atob('QQ=='), atob(''), atob(('QUJD\\u1234').slice(0, 4))]; }");
  const auto peak_kb = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
  };
  const long before = peak_kb();
  const auto wide = rt.error_of("scripts.a.Wide", phost::args(1 << 26));  // 128 MB in the heap
  CHECK(wide.code == 400);
  CHECK_MESSAGE(wide.message.find("atob(data): data is not valid base64") != std::string::npos, wide.message);
  // The string itself, and no UTF-8 copy (192 MB) or output (144 MB) beside it.
  const long grown_kb = peak_kb() - before;
  CHECK_MESSAGE(grown_kb < (128 + 64) * 1024, grown_kb, " KB more at the peak");
  const auto full = rt.error_of("scripts.a.Fits", phost::args(200, 20 << 20));  // 60 MB to decode, 56 MB of room
  CHECK(full.code == 507);
  CHECK_MESSAGE(full.message.find("atob(data): the 62914560 bytes it decodes to do not fit in the script heap") !=
                    std::string::npos,
                full.message);
  CHECK(rt.json("scripts.a.Fits", phost::args(100, 20 << 20)) == "[104857600,62914560]");
  CHECK(rt.json("scripts.a.Cases") == R"(["ABC","A","","ABC"])");
}

// $L passed any text to lang.Translate, copying it first however long.
TEST_CASE("$L passes lang.Translate no text longer than max_value_mb, and gives such a text back as it is") {
  auto seen = std::make_shared<std::atomic<int>>(0);
  const phost::Handler translate = [seen](phost::Call& call) {
    ++*seen;
    return Value::string("<" + call.arg<std::string>(0) + ">");
  };
  rt_test::Runtime rt({.processes = {{"lang.Translate", translate}}, .max_value_mb = 1});
  rt.load("l", "function Main(n) { return $L('e'.repeat(n)).length; }\nfunction Short() { return $L('hi'); }");
  CHECK(rt.json("scripts.l.Short") == R"("<hi>")");
  CHECK(rt.json("scripts.l.Main", phost::args((1 << 20) + 1)) == std::to_string((1 << 20) + 1));
  CHECK(*seen == 1);
  CHECK(rt.json("scripts.l.Main", phost::args((1 << 20) - 2)) == std::to_string(1 << 20));
  CHECK(*seen == 2);
}

// A text that fits took seconds to encode in calls V8 cannot interrupt; the
// encoding now checks the deadline between its slices and before the result.
TEST_CASE("btoa of a large text ends with 408 near the call's deadline") {
  // Heap enough for the text and its base64: 507 is another test's case.
  rt_test::Runtime rt({.timeout_ms = 100, .heap_mb = 512});
  rt.load("b", "function Main() { const t = 'é'.repeat(24 << 20); return btoa(t + t).length; }\n"
               "function Small() { return btoa('é'); }");
  const auto [e, took] = timed([&] { return rt.error_of("scripts.b.Main"); });
  CHECK(e.code == 408);
  CHECK(took < 5s);
  CHECK(rt.json("scripts.b.Small") == "\"w6k=\"");
}

TEST_CASE("a large sort without a comparator stops at the deadline and sorts as V8's own does") {
  rt_test::Runtime rt({.timeout_ms = 20000});
  // V8 sorts an array without a comparator in its own code, which termination
  // does not reach: 3 million numbers took 23 s.
  rt.load("s", "let numbers;\n"
               "function Make() { numbers = []; for (let i = 0; i < 3000000; i++) numbers.push((i * 7919) % 3000000); }\n"
               "function Numbers() { numbers.sort(); }\n"
               "function Order() {\n"
               "  const big = []; for (let i = 0; i < 5000; i++) big.push((i * 31) % 5000);\n"
               "  const expect = big.map(String); expect.sort(); big.sort();\n"
               "  const like = { length: 3, 0: 'b', 1: 10, 2: 9 }; Array.prototype.sort.call(like);\n"
               "  return [[3, 1, undefined, 10, , 2, 'b', 'a'].sort(), big.every((v, i) => `${v}` === expect[i]),\n"
               "    [like[0], like[1], like[2]], Array.prototype.sort.name, Array.prototype.sort.length,\n"
               "    Object.isFrozen(Array.prototype)];\n"
               "}");
  CHECK(rt.json("scripts.s.Make") == "null");
  phost::CallOptions o;
  o.timeout = 300ms;
  const auto [e, took] = timed([&] { return rt.error_of("scripts.s.Numbers", phost::args(), o); });
  CHECK_MESSAGE(e.code == 408, e.message);
  CHECK(took < 3s);
  CHECK(rt.json("scripts.s.Order") == R"([[1,10,2,3,"a","b",null,null],true,[10,9,"b"],"sort",1,true])");
}

TEST_CASE("Array.from and fill of a huge length fail with 507 or 408, not V8's abort, and give V8's results otherwise") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 64});
  // V8 runs both loops in its own code, which no deadline stops, growing a
  // sparse array until it aborts the process (11-24 s in).
  rt.load("a", "class A extends Array {}\n"
               "function From() { return Array.from({length: 2 ** 32 - 1}).length; }\n"
               "function FromSub() { return A.from({length: 2 ** 32 - 1}).length; }\n"
               "function FromObject() { return Array.from.call(Object, {length: 2 ** 32 - 1}).length; }\n"
               "function FromProxy() { return Array.from(new Proxy({length: 2 ** 32 - 1}, {})).length; }\n"
               "function FromHoley() { return Array.from(new Array(2 ** 30)).length; }\n"
               "function FromGetter() {\n"  // an iterator method there when read once, gone when read again
               "  let n = 0;\n"
               "  const o = { get [Symbol.iterator]() { return n++ ? undefined : [].values; }, length: 2 ** 32 - 1 };\n"
               "  return Array.from(o).length;\n"
               "}\n"
               "function Fill() { return Array(2 ** 32 - 1).fill(0).length; }\n"
               "function FillLike() { return Array.prototype.fill.call({length: 2 ** 32 - 1}, 0).length; }\n"
               "function FillProxy() { return Array.prototype.fill.call(new Proxy(Array(2 ** 32 - 1), {}), 0).length; }\n"
               "function Same() {\n"
               "  const r = [];\n"
               "  const t = (f) => { try { r.push(f()); } catch (e) { r.push(e.constructor.name); } };\n"
               "  t(() => Array.from({length: 3, 0: 'a', 2: 'c'}));\n"
               "  t(() => Array.from({length: 2, 0: 1, 1: 2}, function (v, i) { return v + i + this.d; }, {d: 10}));\n"
               "  t(() => Array.from(new Set([1, 2, 2])));\n"
               "  t(() => Array.from('ab'));\n"
               "  t(() => Array.from(null));\n"
               "  t(() => Array.from({length: 1}, 5));\n"
               "  t(() => Array.from({length: 2 ** 32}));\n"
               "  t(() => [Array.from.length, Array.prototype.fill.length]);\n"
               "  t(() => [1, 2, 3, 4].fill(0, 1, -1));\n"
               "  t(() => { const a = Array(70000).fill(7, -3); return [a[69996], a[69997], a[69999], a.length]; });\n"
               "  t(() => Array(70000).fill(1, {valueOf() { return 69998; }}).filter((x) => x).length);\n"
               "  t(() => Array.prototype.fill.call({length: 3, 0: 1}, 'z', 1));\n"
               "  t(() => Array.prototype.fill.call('abc', 1));\n"
               "  t(() => Array(70000).fill(1, 1n));\n"
               "  t(() => { const x = A.from({length: 2, 0: 'p'}); return [x instanceof A, x.length, x[0]]; });\n"
               "  t(() => { const x = Array.from.call(Object, {length: 1, 0: 'q'}); return [Array.isArray(x), x[0]]; });\n"
               "  t(() => { let n = 0; const p = new Proxy([1, 2], {get(t, k, r) { n++; return Reflect.get(t, k, r); }});\n"
               "            return [Array.from(p), n]; });\n"
               "  t(() => Array.from(new Array(2)));\n"
               "  t(() => { let closed = 0;\n"
               "    const it = {[Symbol.iterator]() { return {next() { return {value: 1, done: false}; },\n"
               "                                             return() { closed++; return {}; }}; }};\n"
               "    try { Array.from(it, () => { throw new Error('x'); }); } catch (e) {} return closed; });\n"
               "  t(() => { let reads = 0;\n"
               "    const p = new Proxy(new Array(70000), {get(t, k, r) { if (k === 'length') reads++; return Reflect.get(t, k, r); }});\n"
               "    Array.prototype.fill.call(p, 1, 0, 3); return [reads, p[2], p[3]]; });\n"
               "  return r;\n"
               "}");
  phost::CallOptions o;
  o.timeout = 3s;
  for (const char* name : {"scripts.a.From", "scripts.a.FromSub", "scripts.a.FromObject", "scripts.a.FromProxy",
                           "scripts.a.FromHoley", "scripts.a.FromGetter", "scripts.a.Fill", "scripts.a.FillLike",
                           "scripts.a.FillProxy"}) {
    const auto [e, took] = timed([&] { return rt.error_of(name, phost::args(), o); });
    CHECK_MESSAGE((e.code == 507 || e.code == 408), name, ": ", e.message);
    CHECK_MESSAGE(took < 10s, name);
  }
  CHECK(rt.json("scripts.a.Same") ==
        R"([["a",null,"c"],[11,13],[1,2],["a","b"],"TypeError","TypeError","RangeError",[1,1],[1,0,0,4],)"
        R"([null,7,7,70000],2,{"0":1,"1":"z","2":"z","length":3},"TypeError","TypeError",[true,2,"p"],[false,"q"],)"
        R"([[1,2],6],[null,null],1,[1,1,null]])");
}

TEST_CASE("array methods over a huge length stop at the deadline, not hours later, and sort no longer aborts") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 64});
  // V8 runs these loops in its own code, which checks for no termination:
  // on {length: 2**53 - 1} or an array whose length was set to 2**32 - 1
  // each held its thread for hours; the sort with a comparator aborted V8.
  rt.load("w", R"J(
const like = () => ({length: 2 ** 53 - 1});
const holey = () => { const a = [1]; a.length = 2 ** 32 - 1; return a; };
const proxy = () => new Proxy(holey(), {});
const A = Array.prototype;
const cases = {
  indexOf: () => A.indexOf.call(like(), 1), lastIndexOf: () => A.lastIndexOf.call(like(), 1),
  includes: () => A.includes.call(like(), 1), holeyIndexOf: () => holey().indexOf(2),
  holeyLastIndexOf: () => holey().lastIndexOf(2), proxyIndexOf: () => proxy().indexOf(2),
  reverse: () => A.reverse.call(like()), holeyReverse: () => holey().reverse(),
  splice: () => A.splice.call({length: 2 ** 32}, 0, 2 ** 31), holeySplice: () => holey().splice(1),
  concat: () => [].concat({length: 2 ** 32 - 1, [Symbol.isConcatSpreadable]: true}),
  copyWithin: () => A.copyWithin.call(like(), 0, 1), holeySlice: () => holey().slice(),
  forEach: () => A.forEach.call(like(), (x) => x), holeyForEach: () => holey().forEach((x) => x),
  every: () => A.every.call(like(), () => true), some: () => holey().some((x) => x > 1),
  map: () => holey().map((x) => x), filter: () => holey().filter((x) => x),
  reduce: () => A.reduce.call(like(), (a) => a, 0), reduceRight: () => holey().reduceRight((a) => a, 0),
  shift: () => A.shift.call({length: 2 ** 32}), unshift: () => holey().unshift(0),
  flat: () => A.flat.call(like()), nestedFlat: () => [holey()].flat(), flatMap: () => [1].flatMap(() => holey()),
  join: () => holey().join(''), sortHoley: () => { const a = []; a[2 ** 32 -2] = 1; return a.sort(); },
  sortComparator: () => A.sort.call({length: 2 ** 32 - 1}, (a, b) => a - b),
};
function Names() { return Object.keys(cases); }
function Run(name) { return cases[name](); }
)J");
  each_case_stops(rt, "w", 29, {408, 507}, 3s);
}

TEST_CASE("concat, fill, split and JSON that aborted V8 or wedged its thread end with 408 or 507") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 512});
  // Found by an attack session: each aborted the process ("invalid table
  // size", "invalid size"), held its thread past 600 s, or (the replacer)
  // grew the process outside the heap until the kernel killed it.
  rt.load("c", R"J(
const grow = (b) => { b.length = 2 ** 32 - 1; Object.defineProperty(b, 0, { get() { return 1; } }); };
const cases = {
  concatSpreadable: () => { ({})[Symbol.isConcatSpreadable] = 1; const b = Array(2 ** 20).fill(0);
                            return [].concat(...Array(24).fill(b)); },
  concatConstructor: () => { const a = [1], b = [2];
    Object.defineProperty(a, 'constructor', { get() { grow(b); return Array; } }); return a.concat(b); },
  concatElementGetter: () => { const a = [1], b = [2];
    Object.defineProperty(a, 0, { get() { grow(b); return 1; } }); return [].concat(a, b); },
  concatSubclass: () => { class A extends Array {} const b = Array(2 ** 20).fill(0);
                          return new A().concat(...Array(100).fill(b)); },
  fill: () => Array(2 ** 32 - 1).fill(0),
  splitObject: () => 'x'.repeat(2 ** 27).split(new String('')),
  splitComma: () => ','.repeat(2 ** 27).split(','),
  replacer: () => JSON.stringify({}, Array(2 ** 32 - 1)),
};
function Names() { return Object.keys(cases); }
function Run(name) { return cases[name]().length; }
function Items() { try { return JSON.parse('[' + '0,'.repeat(2 ** 26 + 5) + '0]').length; } catch (e) { return e.message; } }
function Nested() {  // 4.5 million arrays and 89 commas
  const one = '['.repeat(50000) + ']'.repeat(50000);
  try { return JSON.parse('[' + Array(90).fill(one).join(',') + ']').length; } catch (e) { return e.message; }
}
function Same() {
  const b = [2, , 3], r = [];
  r.push([1].concat(b, 4, [[5]], {length: 1, 0: 'x', [Symbol.isConcatSpreadable]: true}, 'y'));
  r.push([].concat(), [, 1].concat([, 2]).length, 2 in [, 1].concat([, 2]), [].concat.call(1, 2).length);
  r.push(JSON.stringify({a: 1, b: 2, c: 3}, ['a', new String('b'), 1, 'a']));
  r.push(JSON.stringify({a: 1, b: 2}, new Proxy(['b'], {})));
  r.push('a,b,,c'.split({ [Symbol.split](s, n) { return ['own', s, n]; } }, 2), 'a1b'.split(1));
  return r;
}
)J");
  each_case_stops(rt, "c", 8, {408, 507}, 5s);
  CHECK(rt.json("scripts.c.Items") == R"("JSON.parse: the text has over 4194304 items")");
  CHECK(rt.json("scripts.c.Nested") == R"("JSON.parse: the text has over 4194304 items")");
  CHECK(rt.json("scripts.c.Same") ==
        R"([[1,2,null,3,4,[5],"x","y"],[],4,false,2,"{\"a\":1,\"b\":2}","{\"b\":2}",["own","a,b,,c",2],["a","b"]])");
}

TEST_CASE("long strings and locale lists that V8's own loops compare without end stop at the deadline") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 512});
  // Found by a second attack session: V8 hashes strings over 16,383
  // characters by their length alone and compares them in full; a list of
  // locales is read again for each element. Each held its thread 12-31 s.
  rt.load("l", R"J(
const long = (end) => { const s = 'x'.repeat(2 ** 24) + end; s.charCodeAt(0); return s; };
const cases = {
  sort: () => { const s = long('a'), t = long('b'), a = []; for (let i = 0; i < 1024; i++) a.push(i % 3 ? s : t);
                return a.sort(); },
  replacer: () => { const base = 'x'.repeat(20000), keys = [];
                    for (let i = 0; i < 4096; i++) keys.push(base + `${i}`.padStart(8, '0'));
                    return JSON.stringify({}, keys); },
  locales: () => { const list = []; for (let i = 0; i < 1000; i++) list.push('en-x-a' + i);
                   return Array(4096).fill(1.5).toLocaleString(list); },
};
function Names() { return Object.keys(cases); }
function Run(name) { return cases[name]().length; }
function Small() {
  return [['b', 'a', 'c'].sort(), [{toString() { return 'b'; }}, 'a'].sort().map(String), ['ab', 'x'.repeat(5000)].indexOf('x'.repeat(5000)),
          [1234.5, 2].toLocaleString('de-DE'), [1234.5].toLocaleString(), JSON.parse('[' + '1,'.repeat(1 << 20) + '1]').length];
}
)J");
  each_case_stops(rt, "l", 3, {408, 507}, 3s);
  CHECK(rt.json("scripts.l.Small") == R"([["a","b","c"],["a","b"],1,"1.234,5,2","1,234.5",1048577])");
}

// Found by a third attack session: ICU was handed whole inputs, outside the
// heap limit and the deadline. normalize('NFKD') of '\ufdfa'.repeat(2**26)
// never ended (1-4.5 GB); a ListFormat of 2^31 characters took 5 GB and
// aborted under an address-space limit; 2^20 locale tags took 11 s.
TEST_CASE("normalize, Intl.ListFormat and long locale lists give ICU bounded pieces and keep their results") {
  rt_test::Runtime rt({.heap_mb = 512});
  rt.load("i", R"J(
const tag = 'en-u-' + 'aa-bbbbbbbb-'.repeat(10) + 'x-' + 'abcdefgh-'.repeat(10) + 'z';
const distinct = Array.from({length: 5000}, (_, i) => 'en-x-' + i.toString(36).padStart(4, 'a'));
function error(f) { try { f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } }
function Refused() {
  return [error(() => '\ufdfa'.repeat(2 ** 18 + 1).normalize('NFKD')),
          error(() => 'x'.repeat(3e5).normalize('NFQ')),
          error(() => new Intl.ListFormat('en').format(Array(64).fill('a'.repeat(2 ** 18 + 1)))),
          error(() => new Intl.Collator(distinct)),
          error(() => 'a'.localeCompare('b', distinct))];
}
function Same() {
  const unit = 'e\u0301x\u0308\u0323a\ufb01 \u00c5\u0328\uac00\u11a8\u4e00\u0301\u1100\u1161 abc\uff9e';
  const text = unit.repeat(30000), block = unit.repeat(1000);  // cut between units: safe in every form
  return ['NFC', 'NFD', 'NFKC', 'NFKD'].map((form) => text.normalize(form) === block.normalize(form).repeat(30));
}
function Kept() {
  const canonical = Intl.getCanonicalLocales(distinct);
  return [canonical.length, canonical.slice(0, 3).join() === Intl.getCanonicalLocales(distinct.slice(0, 3)).join(),
          Intl.getCanonicalLocales(Array(3000).fill(tag)).length, new Intl.Collator(Array(3000).fill('de-DE')).resolvedOptions().locale,
          new Intl.ListFormat('en').format(['a', 'b', 'c']), new Intl.ListFormat('en').formatToParts(new Set(['x', 'y'])).length,
          'x'.repeat(3e5).normalize() === 'x'.repeat(3e5)];
}
function Upper() {  // a long text is upper-cased in slices: pairs and expansions across their cuts
  const n = 2 ** 17 + 3;
  return ['\u0390'.repeat(2 * n).toUpperCase() === '\u0399\u0308\u0301'.repeat(2 * n),
          ('a' + '\ud801\udc28'.repeat(n)).toUpperCase() === 'A' + '\ud801\udc00'.repeat(n),
          ('\u00df'.repeat(n) + 'x'.repeat(n)).toUpperCase() === 'SS'.repeat(n) + 'X'.repeat(n),
          'abc'.toUpperCase(), String.prototype.toUpperCase.call(12)];
}
)J");
  CHECK(rt.json("scripts.i.Refused") ==
        R"(["RangeError: normalize: 65536 characters in a row, none of which a long text can be cut before",)"
        R"("RangeError: The normalization form should be one of NFC, NFD, NFKC, NFKD.",)"
        R"("RangeError: Intl.ListFormat: the items hold over 16777216 characters",)"
        R"("RangeError: a list of over 1024 distinct locales","RangeError: a list of over 1024 distinct locales"])");
  CHECK(rt.json("scripts.i.Same") == "[true,true,true,true]");
  CHECK(rt.json("scripts.i.Kept") == R"([4964,true,1,"de","a, b, and c",3,true])");
  CHECK(rt.json("scripts.i.Upper") == R"([true,true,true,"ABC","12"])");
}

TEST_CASE("key lists of a typed array or string with many elements stop at the deadline and list what V8 lists") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 512});
  // V8 lists element indices in a loop of its own: Object.keys of a
  // Uint8Array of 2^26 held its thread over 120 s, the others 8-15 s.
  rt.load("k", R"J(
const ta = () => new Uint8Array(2 ** 26), str = () => 'x'.repeat(2 ** 26);
const cases = {
  keys: () => Object.keys(ta()), values: () => Object.values(ta()), entries: () => Object.entries(ta()),
  names: () => Object.getOwnPropertyNames(ta()), ownKeys: () => Reflect.ownKeys(ta()),
  descriptors: () => Object.getOwnPropertyDescriptors(ta()), assign: () => Object.assign({}, ta()),
  stringKeys: () => Object.keys(str()), stringAssign: () => Object.assign({}, 'a', str()),
};
function Names() { return Object.keys(cases); }
function Run(name) { return cases[name]().length; }
)J");
  each_case_stops(rt, "k", 9, {408, 507}, 3s);
  // The Same results are node 20's (V8 lists them natively there).
  rt.load("same", R"J(
const N = 70000;
function make(View) {
  const ta = new View(N);
  ta[1] = View === BigInt64Array ? 7n : 7;
  ta.a = 1;
  Object.defineProperty(ta, 'h', { value: 2, enumerable: false });
  ta[Symbol('s')] = 3;
  Object.defineProperty(ta, Symbol('u'), { value: 5, enumerable: false });
  ta.z = 6;
  return ta;
}
const show = (v) => typeof v === 'symbol' || typeof v === 'bigint' ? String(v) : Array.isArray(v) ? v.map(show) : v && typeof v === 'object' ? JSON.stringify(v) : v;
const ends = (list) => [list.length, ...list.slice(0, 2), ...list.slice(-4)].map(show).join(' ');
function Same() {
  const out = [];
  for (const View of [Uint8Array, BigInt64Array]) {
    const ta = make(View), d = Object.getOwnPropertyDescriptors(ta), o = Object.assign({ q: 1 }, ta, { r: 2 });
    out.push(ends(Object.keys(ta)), ends(Object.values(ta)), ends(Object.entries(ta)), ends(Object.getOwnPropertyNames(ta)),
      ends(Reflect.ownKeys(ta)), ends(Reflect.ownKeys(d).map((k) => [k, d[k].value, d[k].enumerable, d[k].writable])),
      ends(Reflect.ownKeys(o).map((k) => [k, o[k]])));
  }
  const s = 'xy'.repeat(N / 2);
  out.push(ends(Object.keys(s)), ends(Object.entries(s)), ends(Object.getOwnPropertyNames(s)), ends(Object.keys(Object.assign({}, s))));
  const g = new Uint8Array(N);  // a getter deletes a later key: skipped
  Object.defineProperty(g, 'a', { get() { delete this.b; return 1; }, enumerable: true });
  g.b = 2;
  out.push(ends(Object.entries(g)), ends(Object.keys(Object.assign({}, g))));
  for (const f of [() => Reflect.ownKeys(s), () => Object.keys(null), () => Object.assign(Object.freeze({}), new Uint8Array(N))])
    try { f(); } catch (e) { out.push(`${e.constructor.name}: ${e.message}`); }
  out.push(Object.keys(new DataView(new ArrayBuffer(N))).length, Object.keys(new Uint8Array(N).subarray(5)).length, String(Object.keys));
  return out;
}
)J");
  CHECK(rt.json("scripts.same.Same") ==
        R"J(["70002 0 1 69998 69999 a z","70002 0 7 0 0 1 6","70002 0,0 1,7 69998,0 69999,0 a,1 z,6",)J"
        R"J("70003 0 1 69999 a h z","70005 0 1 h z Symbol(s) Symbol(u)",)J"
        R"J("70005 0,0,true,true 1,7,true,true h,2,false,false z,6,true,true Symbol(s),3,true,true Symbol(u),5,false,false",)J"
        R"J("70005 0,0 1,7 a,1 z,6 r,2 Symbol(s),3","70002 0 1 69998 69999 a z","70002 0 7 0 0 1 6",)J"
        R"J("70002 0,0 1,7 69998,0 69999,0 a,1 z,6","70003 0 1 69999 a h z","70005 0 1 h z Symbol(s) Symbol(u)",)J"
        R"J("70005 0,0,true,true 1,7,true,true h,2,false,false z,6,true,true Symbol(s),3,true,true Symbol(u),5,false,false",)J"
        R"J("70005 0,0 1,7 a,1 z,6 r,2 Symbol(s),3","70000 0 1 69996 69997 69998 69999",)J"
        R"J("70000 0,x 1,y 69996,x 69997,y 69998,x 69999,y","70001 0 1 69997 69998 69999 length",)J"
        R"J("70000 0 1 69996 69997 69998 69999","70001 0,0 1,0 69997,0 69998,0 69999,0 a,1",)J"
        R"J("70001 0 1 69997 69998 69999 a","TypeError: Reflect.ownKeys called on non-object",)J"
        R"J("TypeError: Cannot convert undefined or null to object",)J"
        R"J("TypeError: Cannot add property 0, object is not extensible",0,69995,)J"
        R"J("function keys() { [native code] }"])J");
}

TEST_CASE("a spread of a string's segments and String.raw of a huge template stop instead of aborting") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 64});
  // V8 called the segments' native next in a loop of its own until the heap
  // limit's room ran out, and aborted the process; String.raw read 2^30 raw
  // strings in its own loop (over 120 s).
  rt.load("g", R"J(
const segments = () => new Intl.Segmenter().segment('a'.repeat(2 ** 26));
const cases = {
  spread: () => [...segments()], from: () => Array.from(segments()), set: () => new Set(segments()),
  words: () => [...new Intl.Segmenter('en', {granularity: 'word'}).segment('ab '.repeat(2 ** 24))],
  raw: () => String.raw({raw: {length: 2 ** 30}}),
};
function Names() { return Object.keys(cases); }
function Run(name) { return cases[name]().length; }
function Same() {
  const segs = new Intl.Segmenter('en', { granularity: 'word' }).segment('Hello, world! 你好');
  const proto = Object.getPrototypeOf(segs[Symbol.iterator]());
  const error = (f) => { try { f(); return 'no'; } catch (e) { return e.constructor.name; } };
  return [[...segs].map((s) => [s.segment, s.index, s.isWordLike]), Array.from(segs).length, proto.next.name, proto.next.length,
    String(proto.next), Object.getOwnPropertyNames(proto), error(() => proto.next.call({})),
    String.raw`a${1}b${2}c`, String.raw({ raw: ['x', 'y', 'z'] }, 1), String.raw({ raw: 'abc' }, '-', '+'),
    String.raw({ raw: { length: 3, 0: 'p', 2: 'q' } }, 1, 2, 3), String.raw({ raw: [] }), String.raw.name, String.raw.length,
    String(String.raw), error(() => String.raw()), error(() => String.raw({})), error(() => String.raw({ raw: null })),
    String.raw({ raw: { length: -5 } }), String.raw({ raw: { length: 2.7, 0: 'a', 1: 'b' } }, '|')];
}
)J");
  each_case_stops(rt, "g", 5, {408, 507}, 4s);
  // node 20's results
  CHECK(rt.json("scripts.g.Same") ==
        R"J([[["Hello",0,true],[",",5,false],[" ",6,false],["world",7,true],["!",12,false],[" ",13,false],["你好",14,true]],)J"
        R"J(7,"next",0,"function next() { [native code] }",["next"],"TypeError","a1b2c","x1yz","a-b+c","p1undefined2q","",)J"
        R"J("raw",1,"function raw() { [native code] }","TypeError","TypeError","TypeError","","a|b"])J");
}

TEST_CASE("a typed array filled from a huge array-like stops at the deadline, and from and set fill as V8's own") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 512});
  // V8 read the array-like in its own loop, by its length: 10-12 s each.
  rt.load("f", R"J(
const like = () => ({length: 2 ** 27});
const cases = {
  from: () => Uint8Array.from(like()), mapped: () => Uint16Array.from(like(), (v, k) => k),
  set: () => new Uint8Array(2 ** 27).set(like()), offset: () => new Uint8Array(2 ** 27 + 8).set(like(), 8),
};
function Names() { return Object.keys(cases); }
function Run(name) { return String(cases[name]()); }
)J");
  each_case_stops(rt, "f", 4, {408, 507}, 4s);
  rt.load("same", R"J(
function Same() {
  const err = (f) => { try { const r = f(); return r === undefined ? 'undefined' : String(r).slice(0, 60); } catch (e) { return e.constructor.name; } };
  const out = [];
  for (const n of [5, 70000]) {
    const like = { length: n, 0: 1, 1: '2', 2: 3.7, 3: -1, [n - 1]: 255 };
    const a = Uint8Array.from(like), b = Float64Array.from(like, (v, k) => (v ?? 0) * 2 + k), c = err(() => BigInt64Array.from({ length: n, 0: 5n }));
    out.push([a.length, a[0], a[1], a[2], a[3], a[n - 1], a[n - 2]].join(), [b.length, b[0], b[2], b[n - 1], b[n - 2]].join(), c);
    const t = new Uint8Array(n + 3);
    out.push(err(() => t.set(like, 3)), [t[3], t[4], t[5], t[n + 2]].join(), err(() => t.set(like, 4)), err(() => t.set(like, -1)),
      err(() => new Uint8Array(n).set({ length: n, 0: 1n })), err(() => new BigInt64Array(n).set({ length: n, 0: 1 })),
      err(() => t.set(like, '2')), err(() => t.set(like, 1.9)), err(() => t.set(like, NaN)), err(() => t.set(like, 1n)));
    class Small extends Uint8Array { constructor(k) { super(1); } }
    out.push(err(() => Small.from(like)), err(() => Uint8Array.from.call(Array, like)).slice(0, 20), err(() => Uint8Array.from.call({}, like)),
      err(() => Uint8Array.from(like, 5)), err(() => Uint8Array.from(null)), err(() => Uint8Array.prototype.set.call([], like)));
    class Sub extends Uint8Array {}
    const s = Sub.from(like);
    out.push(s instanceof Sub, s.length, err(() => Uint8Array.from({ length: n, get [Symbol.iterator]() { return undefined; } }).length));
  }
  out.push(Uint8Array.from.name, Uint8Array.from.length, String(Uint8Array.from), Uint8Array.prototype.set.name, Uint8Array.prototype.set.length,
    Uint8Array.from([1, 2, 3]).join(), Uint8Array.from(new Set([4, 5])).join(), Uint8Array.from('123').join(), (() => { const t = new Uint8Array(4); t.set([9, 8], 1); t.set(new Uint8Array([7]), 3); return t.join(); })());
  return out;
}
)J");
  // node 20's results
  CHECK(rt.json("scripts.same.Same") ==
        R"J(["5,1,2,3,255,255,255","5,2,9.4,514,1","TypeError","undefined","1,2,3,255","RangeError",)J"
        R"J("RangeError","TypeError","TypeError","undefined","undefined","undefined","TypeError","TypeError",)J"
        R"J("TypeError","TypeError","TypeError","TypeError","TypeError",true,5,"5","70000,1,2,3,255,255,0",)J"
        R"J("70000,2,9.4,70509,69998","TypeError","undefined","1,2,3,255","RangeError","RangeError","TypeError",)J"
        R"J("TypeError","undefined","undefined","undefined","TypeError","TypeError","TypeError","TypeError",)J"
        R"J("TypeError","TypeError","TypeError",true,70000,"70000","from",1,"function from() { [native code] }",)J"
        R"J("set",1,"1,2,3","4,5","1,2,3","0,9,8,7"])J");
}

TEST_CASE("a regexp nested deeper than V8's compiler takes is a SyntaxError or a load error, not a crash") {
  rt_test::Runtime rt;
  // V8 10.2 compiles a regexp by recursion with no stack check: 50,000
  // nested groups crashed the process (SIGSEGV), 90,000 alternatives ran its
  // compiler out of memory (abort), from a literal as from a string.
  rt.load("d", R"J(
const deep = (open, close) => open.repeat(100000) + 'a' + close.repeat(100000);
const star = deep('(?:', ')*'), alt = deep('(?:a|', ')'), look = deep('(?=', ')');
const cases = {
  star: () => new RegExp(star).test('a'), alt: () => RegExp(alt).exec('a'), look: () => new RegExp(look, 'u').test('a'),
  sub: () => new (class extends RegExp {})(star).test('a'), compile: () => /x/.compile(look).test('a'),
  match: () => 'a'.match(star), matchAll: () => [...'a'.matchAll(alt)], search: () => 'a'.search({ toString: () => look }),
  eval: () => eval('/' + star + '/.test("a")'), fn: () => Function('return /' + look + '/.test("a")')(),
  shallow: () => new RegExp('(?:'.repeat(1000) + 'a' + ')*'.repeat(1000)).test('a'),  // as deep as is taken
};
function Run(name) { try { return 'ok ' + cases[name](); } catch (e) { return `${e.name}: ${e.message}`; } }
)J");
  for (const char* name : {"star", "alt", "look", "sub", "compile", "match", "matchAll", "search"}) {
    const std::string r = rt.json("scripts.d.Run", phost::args(name));
    CHECK_MESSAGE(r.starts_with("\"SyntaxError: Invalid regular expression: /(?"), r);
    CHECK_MESSAGE(r.ends_with(".../: groups nested deeper than 1000\""), r);
  }
  for (const char* name : {"eval", "fn"}) {
    const std::string r = rt.json("scripts.d.Run", phost::args(name));
    CHECK_MESSAGE(r.find("EvalError: ") == 1, r);
    CHECK_MESSAGE(r.find("deep (a regexp that deep crashes V8's compiler)") != std::string::npos, r);
  }
  CHECK(rt.json("scripts.d.Run", phost::args("shallow")) == "\"ok true\"");
  // A literal that deep: the file is refused, the app goes on.
  const auto literal = rt.load_error("literal", "const r = /" + std::string(60000, '(') + "a" + std::string(60000, ')') +
                                                    "/;\nfunction T() { return r.test('a'); }\n");
  CHECK_MESSAGE(literal.message.find("parentheses nest deeper than 1000 levels") != std::string::npos, literal.message);
  CHECK(rt.json("scripts.d.Run", phost::args("shallow")) == "\"ok true\"");
  rt.load("same", R"J(
function Same() {
  const err = (f) => { try { const r = f(); return typeof r === 'object' && r !== null ? JSON.stringify(r) : String(r); } catch (e) { return e.constructor.name; } };
  const re = /a(b)?/gi;
  class R extends RegExp { exec(s) { const m = super.exec(s); if (m) m.sub = true; return m; } }
  const r = new R('x(y)', 'g');
  const like = { [Symbol.match]: true, source: 'q+', flags: 'i' };
  return [
    RegExp(re) === re, new RegExp(re) === re, RegExp(re, 'g') === re, String(new RegExp(re)), String(new RegExp(re, 'm')), String(RegExp('a/b', 'y')),
    String(new RegExp()), String(new RegExp(undefined, 'g')), String(new RegExp(null)), String(new RegExp(123)), String(new RegExp({ toString() { return 'zz'; } })),
    String(new RegExp(like)), String(new RegExp(like, 'g')), err(() => new RegExp('(')), err(() => new RegExp('a', 'gg')), err(() => RegExp('a', 'x')),
    re instanceof RegExp, r instanceof R, r instanceof RegExp, String(r), 'axyxy'.replace(r, '-'), JSON.stringify('xyxy'.match(r)), JSON.stringify(r.exec('xy').sub),
    'a,b;c'.split(/[,;]/).join('|'), RegExp.name, RegExp.length, RegExp.prototype.constructor === RegExp, /x/.constructor === RegExp, RegExp[Symbol.species] === RegExp,
    Object.getPrototypeOf(R) === RegExp, String(RegExp), typeof RegExp.prototype.compile, err(() => { const x = /a/; x.compile('b+', 'g'); return String(x); }),
    err(() => { const x = /a/; x.compile(/c/i); return String(x); }), err(() => /a/.compile(/c/, 'g')),
    JSON.stringify('abcabc'.match('b')), JSON.stringify('abcabc'.match(/b/g)), 'abc'.search('c'), 'abc'.search({ [Symbol.search]: () => 42 }), [...'aXbX'.matchAll('X')].length,
    err(() => 'a'.matchAll(/a/)), err(() => String.prototype.match.call(null, 'a')), JSON.stringify('a.c'.match({ toString() { return '.'; } })), JSON.stringify('x'.match()),
    'aaa'.search(), JSON.stringify('aaa'.match(null)), err(() => 'a1'.match(1)), RegExp('a').test('A'), new RegExp('\n').source, RegExp.$1, Object.getOwnPropertyNames(RegExp).sort().join(),
  ];
}
)J");
  // As before (node 20's too, but for the legacy RegExp statics, removed here).
  CHECK(rt.json("scripts.same.Same") ==
        R"J([true,false,false,"/a(b)?/gi","/a(b)?/m","/a\\/b/y","/(?:)/","/(?:)/g","/null/","/123/","/zz/",)J"
        R"J("/q+/i","/q+/g","SyntaxError","SyntaxError","SyntaxError",true,true,true,"/x(y)/g","a--",)J"
        R"J("[\"xy\",\"xy\"]","true","a|b|c","RegExp",2,true,true,true,true,)J"
        R"J("function RegExp() { [native code] }","function","/b+/g","/c/i","TypeError","[\"b\"]",)J"
        R"J("[\"b\",\"b\"]",2,42,2,"TypeError","TypeError","[\"a\"]","[\"\"]",0,"null","[\"1\"]",false,"\\n",)J"
        R"J(null,"length,name,prototype"])J");
}

TEST_CASE("a locale list of any length stops at the deadline, and Intl behaves as V8's own") {
  rt_test::Runtime rt({.timeout_ms = 20000});
  // V8 reads a list of locales in its own loop, by its length: each of these
  // held its thread without end. The Same results are node 20's.
  rt.load("i", R"J(
const L = {length: 2 ** 53 - 1};
const cases = {
  canon: () => Intl.getCanonicalLocales(L), collator: () => new Intl.Collator(L), nf: () => Intl.NumberFormat(L),
  dtf: () => new Intl.DateTimeFormat(L), supported: () => Intl.NumberFormat.supportedLocalesOf(L),
  localeCompare: () => 'a'.localeCompare('b', L), num: () => (1.5).toLocaleString(L), upper: () => 'a'.toLocaleUpperCase(L),
  date: () => new Date(0).toLocaleDateString(L), list: () => new Intl.ListFormat(L), seg: () => new Intl.Segmenter(L),
};
function Run(n) { const t = Date.now(); try { return n + ' ' + String(cases[n]()).slice(0, 40) + ' ' + (Date.now() - t); } catch (e) { return n + ' threw ' + String(e).slice(0, 80) + ' ' + (Date.now() - t); } }
function Names() { return Object.keys(cases); }
function Same() {
  class NF extends Intl.NumberFormat { hi() { return 'hi'; } }
  const nf = new NF('de-DE', {style: 'currency', currency: 'EUR'});
  return [new Intl.NumberFormat('en-US').format(1234.5), Intl.NumberFormat('de-DE').format(1234.5), nf.format(3).replace(/\s/g, ' '), nf.hi(), nf instanceof Intl.NumberFormat, nf instanceof NF,
    Intl.NumberFormat.prototype.constructor === Intl.NumberFormat, Intl.NumberFormat.name, Intl.NumberFormat.length, String(Intl.Collator),
    ['b', 'a', 'C'].sort(new Intl.Collator('en').compare), 'a'.localeCompare('B'), 'a'.localeCompare('b', ['en', 'de']),
    (1234.5).toLocaleString('de-DE'), (1234.5).toLocaleString(), 'i'.toLocaleUpperCase('tr'), Intl.getCanonicalLocales(['EN-us', 'de']),
    Intl.DateTimeFormat.supportedLocalesOf(['en', 'xx']), new Date(0).toLocaleDateString('en-US', {timeZone: 'UTC'}),
    new Intl.Segmenter('en').segment('ab').containing(0).segment, Intl.getCanonicalLocales(new Intl.Locale('en-US')),
    (() => { try { new Intl.PluralRules(); Intl.PluralRules(); return 'no'; } catch (e) { return e.constructor.name; } })(),
    Intl.Collator.call({}, 'en') instanceof Intl.Collator, 12345678901234567890n.toLocaleString('en-US'),
    Intl.getCanonicalLocales({length: 2, 0: 'en', 1: 'de'})];
}
)J");
  each_case_stops(rt, "i", 11, {408}, 3s);
  CHECK(rt.json("scripts.i.Same") ==
        R"(["1,234.5","1.234,5","3,00 €","hi",true,true,true,"NumberFormat",0,"function Collator() { [native code] }",)"
        R"(["a","b","C"],-1,-1,"1.234,5","1,234.5","İ",["en-US","de"],["en"],"1/1/1970","a",["en-US"],"TypeError",true,)"
        R"("12,345,678,901,234,567,890",["en","de"]])");
}

TEST_CASE("split by a RegExp gives what RegExp.prototype[Symbol.split] gives") {
  rt_test::Runtime rt;
  rt.load("r", R"J(
function Same() {
  const res = [/,/, /\s*/, /(?:)/, /(a)|b/, /(-)?x/g, /x*/y, /\b/, /(?=b)/, /$/, /^/m, /a/i, /(\d+)/, /./su,
               /[\uD83D\uDE00]/u, /(?:)/u, /\s+/];
  const strs = ['', 'a,b,,c', 'abcabc', ' a  b c ', 'xx-xyx', 'A1b22c333', 'a\nb\nc', '😀a😀', 'bbb', 'ab', 'aaa'];
  const lims = [undefined, 0, 1, 2, 5, -1, 2 ** 32 + 1];
  const diffs = [];
  let n = 0;
  for (const re of res) for (const s of strs) for (const lim of lims) {
    n++;
    const a = JSON.stringify(s.split(re, lim)), b = JSON.stringify(RegExp.prototype[Symbol.split].call(re, s, lim));
    if (a !== b) diffs.push(`${re} ${JSON.stringify(s)} ${lim}: ${a}, not ${b}`);
  }
  return [n, diffs];
}
function Others() {
  const own = /,/;
  own.exec = function (s) { return RegExp.prototype.exec.call(this, s); };  // not plain: V8's own split
  class R extends RegExp {}
  return ['ab,cd'.split(own), 'ab,cd'.split(new R(',')), 'a-b_c'.split(/[-_]/, 2), 'x'.split(/(?:)/)];
}
)J");
  CHECK(rt.json("scripts.r.Same") == "[1232,[]]");
  CHECK(rt.json("scripts.r.Others") == R"([["ab","cd"],["ab","cd"],["a","b"],["x"]])");
}

TEST_CASE("an array pushed without end and a string split into 2^29 pieces are a 507 at the largest heap, not an abort") {
  // V8 aborts the process once one array outgrows 2^27 elements ("invalid
  // size"); a heap of 640 MB let a push loop get there, 512 does not. split
  // made its 2^29 pieces in one list, past that size at any heap.
  rt_test::Runtime rt({.timeout_ms = 60000, .heap_mb = 512});
  rt.load("p", "function Push() { const a = []; for (;;) a.push(0); }\n"
               "function Split() { return 'x'.repeat(2 ** 29 - 24).split('').length; }\n"
               "function Small() { return ['a,b'.split(','), 'ab'.split(''), 'a'.split()]; }");
  for (const char* name : {"scripts.p.Push", "scripts.p.Split"}) {
    const rt_test::Failure e = rt.error_of(name);
    CHECK_MESSAGE(e.code == 507, name, ": ", e.message);
  }
  CHECK(rt.json("scripts.p.Small") == R"([["a","b"],["a","b"],["a"]])");
}

TEST_CASE("the array methods' JS steps give V8's own results, and Proxy and the wrappers keep their shape") {
  rt_test::Runtime rt;
  // An array-like and a proxy take the JS steps, the same array V8's own
  // method: every result, the receiver after it and the callbacks' calls match.
  rt.load("d", R"J(
function Same() {
  const sample = () => ['a', , 'c', 3, , NaN, 'a', undefined, 'b'];
  const like = (a) => { const o = { length: a.length }; for (const k in a) o[k] = a[k]; return o; };
  const state = (o) => { const r = []; for (let k = 0; k < o.length; k++) r.push(k in o ? o[k] : '<hole>'); return r; };
  const show = (v) => JSON.stringify(v, (k, x) => x === undefined ? '<undefined>' : Number.isNaN(x) ? '<NaN>' : x);
  const cmp = (a, b) => (`${a}` > `${b}`) - (`${a}` < `${b}`);
  const cases = [
    ['indexOf', ['a']], ['indexOf', ['a', 1]], ['indexOf', ['a', -2]], ['indexOf', [NaN]], ['indexOf', [undefined]],
    ['indexOf', ['a', Infinity]], ['indexOf', ['a', -Infinity]],
    ['lastIndexOf', ['a']], ['lastIndexOf', ['a', -4]], ['lastIndexOf', ['a', 100]], ['lastIndexOf', ['a', -100]],
    ['lastIndexOf', ['a', undefined]],
    ['includes', [NaN]], ['includes', [undefined]], ['includes', ['c', 3]], ['includes', ['b', -1]],
    ['reverse', []], ['shift', []], ['unshift', [1, 2]], ['unshift', []],
    ['copyWithin', [0, 3]], ['copyWithin', [2, 0, 4]], ['copyWithin', [-2, 1]], ['copyWithin', [1, -3, -1]],
    ['slice', [1, -1]], ['slice', []], ['slice', [-3]], ['slice', [5, 2]],
    ['splice', [1, 2, 'x', 'y', 'z']], ['splice', [2]], ['splice', []], ['splice', [-3, 1]], ['splice', [1, 0, 'q']],
    ['splice', [0, 100]], ['splice', [3, 1.7, 'w']],
    ['concat', [[1, , 2], 'q', { length: 2, 0: 'z', [Symbol.isConcatSpreadable]: true }]], ['concat', []],
    ['flat', []], ['flat', [Infinity]], ['flatMap', [(x, i) => i % 2 ? [x, [x]] : x]],
    ['forEach', [function (x, i) { this.push(`${i}:${x}`); }]], ['every', [(x) => x !== 3]], ['some', [(x) => x === 3]],
    ['map', [(x, i) => `${x}${i}`]], ['filter', [(x) => typeof x === 'string']],
    ['reduce', [(a, b) => `${a}${b}`]], ['reduce', [(a, b, i) => `${a}${b}${i}`, '>']],
    ['reduceRight', [(a, b) => `${a}${b}`]], ['reduceRight', [(a, b) => `${a}${b}`, '<']],
    ['join', ['-']], ['join', []], ['toLocaleString', []], ['toString', []],
    ['sort', []], ['sort', [cmp]], ['fill', [0, 1, 3]],
    ['forEach', [5]], ['map', []], ['reduce', [undefined]], ['flatMap', [null]], ['sort', [1]],
  ];
  // An array-like is no array: concat does not spread it, toString is Object's.
  const arrayOnly = new Set(['concat', 'toString']);
  const diffs = [];
  let n = 0;
  for (const [name, args] of cases) {
    const run = (receiver) => {
      const log = [];
      const a = args.map((x) => typeof x === 'function' ? x.bind(log) : x);
      try {
        const out = Array.prototype[name].apply(receiver, a);
        return show([typeof out === 'object' && out !== null ? state(out) : out, state(receiver), log]);
      } catch (e) { return show([e.constructor.name, state(receiver), log]); }
    };
    const expect = run(sample());
    for (const [kind, make] of [['like', like], ['proxy', (a) => new Proxy(a, {})]]) {
      if (kind === 'like' && arrayOnly.has(name)) continue;
      n++;
      const got = run(make(sample()));
      if (got !== expect) diffs.push(`${name}(${show(args)}) on ${kind}: ${got}, not ${expect}`);
    }
  }
  return [n, diffs];
}
function Long() {
  // Past 2**20 elements a genuine array takes the JS steps too.
  const a = []; a[5] = 'x'; a[2 ** 21] = 'y'; a.length = 2 ** 21 + 5;
  let visits = 0;
  a.forEach(() => visits++);
  const mapped = a.map((v) => v + '!');
  const packed = Array.from({length: 2 ** 20 + 3}, (_, i) => i);
  return [a.indexOf('y'), a.lastIndexOf('x'), a.includes(undefined), visits, mapped.length, mapped[2 ** 21],
          5 in mapped, 6 in mapped, a.slice(2 ** 21).length, a.concat(['z'])[2 ** 21 + 5],
          packed.reduce((s, v) => s + v, 0), packed.filter((v) => v % 2).length, packed.reverse()[0],
          packed.sort((x, y) => x - y)[3], packed.splice(2, 2).join(), packed.length];
}
function Proxies() {
  const p = new Proxy([3, 1, 2], {});
  const r = Proxy.revocable({}, {});
  r.revoke();
  let bare;
  try { Proxy([], {}); } catch (e) { bare = e.constructor.name; }
  return [Proxy.name, Proxy.length, 'prototype' in Proxy, typeof Proxy.revocable, bare, p.indexOf(2), p.sort().join(),
          Array.isArray(p), typeof r.proxy, Object.isFrozen(Proxy), String([].map), String(Proxy),
          String(function f(a) { return a; })];
}
)J");
  CHECK(rt.json("scripts.d.Same") == "[119,[]]");
  CHECK(rt.json("scripts.d.Long") ==
        R"([2097152,5,true,2,2097157,"y!",true,false,5,"z",549758435331,524289,1048578,3,"2,3",1048577])");
  CHECK(rt.json("scripts.d.Proxies") == R"(["Proxy",2,false,"function","TypeError",2,"1,2,3",true,"object",true,)"
                                        R"("function map() { [native code] }","function Proxy() { [native code] }",)"
                                        R"("function f(a) { return a; }"])");
}

TEST_CASE("a typed array past 2**27 elements is joined in slices the deadline reaches, not by V8's aborting join") {
  rt_test::Runtime rt({.timeout_ms = 20000});
  // V8 10.2 aborted the process (invalid array length) 3 s into this join.
  rt.load("j", "function Huge(how) {\n"
               "  const a = new Uint8Array(2 ** 27 + 1);\n"
               "  return (how === 'array' ? Array.prototype.join.call(a, '') : how === 'string' ? String(a) : a.join('')).length;\n"
               "}\n"
               "function Small() {\n"
               "  const a = new Uint8Array(10); a[3] = 7;\n"
               "  class Sub extends Int16Array {}\n"
               "  let e; try { Uint8Array.prototype.join.call([1, 2]); } catch (x) { e = x instanceof TypeError; }\n"
               "  return [a.join(), a.join('-'), Array.prototype.join.call(a, '+'), `${a}`, a.toLocaleString(),\n"
               "    Array.prototype.toLocaleString.call(new Float64Array([1.5, 2])), new Sub([-1, 2]).join(),\n"
               "    new BigInt64Array(2).join(), [1, [2, 3]].join(), Array.prototype.join.call('abc', '.'),\n"
               "    Array.prototype.join.call({ length: 2, 0: 'a' }), e, Uint8Array.prototype.join === Int8Array.prototype.join];\n"
               "}");
  phost::CallOptions o;
  o.timeout = 500ms;
  for (const char* how : {"typed", "array", "string"}) {
    CAPTURE(how);
    const auto [e, took] = timed([&] { return rt.error_of("scripts.j.Huge", phost::args(how), o); });
    CHECK_MESSAGE(e.code == 408, e.message);
    CHECK(took < 3s);
  }
  CHECK(rt.json("scripts.j.Small") == R"(["0,0,0,7,0,0,0,0,0,0","0-0-0-7-0-0-0-0-0-0","0+0+0+7+0+0+0+0+0+0",)"
                                      R"("0,0,0,7,0,0,0,0,0,0","0,0,0,7,0,0,0,0,0,0","1.5,2","-1,2","0,0","1,2,3",)"
                                      R"("a.b.c","a,",true,true])");
}

TEST_CASE("JSON.parse refuses a long text nested past 100,000 levels, and parses the rest as V8 does") {
  rt_test::Runtime rt({.heap_mb = 16});
  // V8 keeps the nesting outside the heap: 700 MB for this text in a 16 MB heap.
  rt.load("j", "function Deep(n) { try { return JSON.parse('['.repeat(n)); } catch (e) { return String(e); } }\n"
               "function Bad() { return JSON.parse('{bad'); }\n"
               "function Edge() {\n"
               "  const pad = ' '.repeat(2e6), deep = '['.repeat(1e5) + ']'.repeat(1e5);\n"
               "  const quoted = JSON.stringify({ s: '[[[{{{\\\\\\\\\"]]]' + '['.repeat(2e5), u: '\\u1234[[' }) + pad;\n"
               "  const r = [JSON.parse(deep + pad).length, JSON.parse(quoted).s.length, JSON.parse(quoted).u];\n"
               "  try { JSON.parse('[' + deep + ']' + pad); } catch (e) { r.push(String(e)); }\n"
               "  r.push(JSON.parse('[1,2]', (k, v) => typeof v === 'number' ? v * 2 : v), JSON.parse({ toString() { return '[7]'; } }));\n"
               "  r.push(JSON.parse.name, JSON.parse.length);\n"
               "  return r;\n"
               "}");
  // Escapes of ordinary characters before the nesting, and brackets in strings after them.
  rt.load("k", "function Escaped() {\n"
               "  const deep = '[\"\\\\n\\\\u0041\\\\/\",' + '['.repeat(600000) + ']'.repeat(600001);\n"
               "  try { JSON.parse(deep); return 'parsed'; } catch (e) { return String(e); }\n"
               "}\n"
               "function Quoted() {\n"
               "  const text = JSON.stringify({ a: 'x\\ny\\t', b: '['.repeat(600000), c: '\\u0041' + ']'.repeat(600000) });\n"
               "  return JSON.parse(text).b.length;\n"
               "}");
  CHECK(rt.json("scripts.k.Escaped") == R"("SyntaxError: JSON.parse: the text nests deeper than 100000 levels")");
  CHECK(rt.json("scripts.k.Quoted") == "600000");
  CHECK(rt.json("scripts.j.Deep", phost::args(10000000)) ==
        R"("SyntaxError: JSON.parse: the text nests deeper than 100000 levels")");
  // The wrapper's own frame is not in the stack: the script's call of JSON.parse is its top.
  const auto bad = rt.error_of("scripts.j.Bad");
  CHECK_MESSAGE(bad.stack.rfind("    at Bad (j.js:", 0) == 0, bad.stack);
  CHECK(rt.json("scripts.j.Edge") ==
        R"([1,200012,"ሴ[[","SyntaxError: JSON.parse: the text nests deeper than 100000 levels",[2,4],[7],"parse",2])");
}

// A .json import is parsed by V8's parser too, with the same nesting and
// allocations outside the heap: a file nested 60 million deep took 2.8 GB.
TEST_CASE("a .json import nested past 100,000 levels or over 2^22 items fails that import only, as JSON.parse does") {
  const std::filesystem::path app = rt_test::temp_dir("json-import-shape");
  const int deep = 200000;  // valid JSON that V8 alone parses, 12 MB outside the heap
  rt_test::write(app / "scripts/deep.json", std::string(deep, '[') + std::string(deep, ']'));
  std::string flat = "[";
  for (int i = 0; i < 5'000'000; ++i) flat += "0,";
  rt_test::write(app / "scripts/flat.json", flat + "0]");
  rt_test::write(app / "scripts/fits.json", std::string(99999, '[') + "\"[[[,,,\"" + std::string(99999, ']'));
  // Long strings cross the pieces the module's source is cut into, whole
  // characters and escapes on both sides.
  std::string unit = "\u00e9\u20ac\U0001F600\\\\\\\"x";  // é € 😀 \\ \" x
  std::string wide;
  while (wide.size() < (1u << 20)) wide += unit;
  rt_test::write(app / "scripts/wide.json", "[\"" + wide + "\",\r\n\t7 ]");
  rt_test::write(app / "scripts/wide.js",
                 "import w from './wide.json';\n"
                 "export function Main(n) { return [w[0] === 'é€😀\\\\\"x'.repeat(n), w[0].length, w[1]]; }");
  rt_test::write(app / "scripts/deep.js", "import d from './deep.json';\nexport function Main() { return 1; }");
  rt_test::write(app / "scripts/flat.js", "import f from './flat.json';\nexport function Main() { return 1; }");
  rt_test::write(app / "scripts/fits.js",
                 "import f from './fits.json';\n"
                 "export function Main() { let d = 0; for (let x = f; Array.isArray(x); x = x[0]) d++; return d; }");
  rt_test::Runtime rt({.app_dir = app.string()});
  const auto too_deep = rt.error_of("scripts.deep.Main");
  CHECK(too_deep.code == 500);
  CHECK_MESSAGE(too_deep.message.find("scripts/deep.json: SyntaxError: JSON.parse: the text nests deeper than 100000 "
                                      "levels") != std::string::npos,
                too_deep.message);
  const auto too_many = rt.error_of("scripts.flat.Main");
  CHECK_MESSAGE(too_many.message.find("scripts/flat.json: RangeError: JSON.parse: the text has over 4194304 items") !=
                    std::string::npos,
                too_many.message);
  CHECK(rt.json("scripts.fits.Main") == "99999");
  CHECK(rt.json("scripts.wide.Main", phost::args(static_cast<int64_t>(wide.size() / unit.size()))) ==
        "[true," + std::to_string(wide.size() / unit.size() * 7) + ",7]");
  std::filesystem::remove_all(app);
}

TEST_CASE("a date outside the years 0 to 9999 becomes the extended year toISOString writes") {
  rt_test::Runtime rt;
  rt.load("d", "function Main() {\n"
               "  const dates = [8.64e15, -8.64e15, Date.UTC(-1, 0, 1), Date.UTC(10000, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), -1]\n"
               "    .map((t) => new Date(t));\n"
               "  return [dates, dates.map((d) => d.toISOString())];\n"
               "}");
  const Value r = rt.host().call("scripts.d.Main", phost::args());
  CHECK(r[0].to_json() == r[1].to_json());
  CHECK(r[0].to_json() == R"(["+275760-09-13T00:00:00.000Z","-271821-04-20T00:00:00.000Z","-000001-01-01T00:00:00.000Z",)"
                          R"("+010000-01-01T00:00:00.000Z","9999-12-31T23:59:59.999Z","1969-12-31T23:59:59.999Z"])");
}

TEST_CASE("a single large string over the heap limit is a 507, though V8 lets the young generation take it") {
  rt_test::Runtime rt({.timeout_ms = 20000, .heap_mb = 64});
  // Flattening makes one string of 2 bytes a character: 128 MB, then 8 MB.
  rt.load("h", "function Flat(k) { const s = '\\u1234'.repeat(2 ** k); return s.charCodeAt(1000); }");
  const auto e = rt.error_of("scripts.h.Flat", phost::args(26));
  CHECK(e.code == 507);
  CHECK_MESSAGE(e.message.find("heap limit of 64 MB exceeded") != std::string::npos, e.message);
  CHECK(rt.json("scripts.h.Flat", phost::args(22)) == "4660");
}

}  // TEST_SUITE
