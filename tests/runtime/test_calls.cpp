// Calls into scripts: the bridge, values, errors across hops, context.
#include "runtime_support.hpp"

#include <atomic>
#include <thread>

using phost::Value;

TEST_SUITE("runtime calls") {

TEST_CASE("nested JS -> native -> JS calls run on the same isolate without deadlock") {
  rt_test::Runtime rt;  // one isolate: a deadlock would hang here
  rt.host().add("native.twice", "", [](phost::Call& call) {
    const Value inner = call.call("scripts.inner.Value", phost::args(call.arg<int64_t>(0)));
    return Value::integer(inner.as_int() * 2);
  });
  rt.load("inner", "function Value(x) { return x + 1; }");
  rt.load("outer", "function Main(x) { return Process('native.twice', x) + Process('scripts.inner.Value', 0); }");
  CHECK(rt.json("scripts.outer.Main", phost::args(20)) == "43");
}

TEST_CASE("a forwarded error names its innermost four hops, whatever the depth, and the stack has them all") {
  rt_test::Runtime rt;
  rt.load("d", "function Down(n) { if (n === 0) throw new Exception('bottom', 418); return Process('scripts.d.Down', n - 1); }");
  const auto e = rt.error_of("scripts.d.Down", phost::args(40));
  CHECK(e.code == 418);
  const std::string hop = " (while calling scripts.d.Down from d.js:1:76)";
  CHECK(e.message == "bottom (at d.js:1:33)" + hop + hop + hop + hop + " (...)");
  size_t frames = 0;
  for (size_t at = e.stack.find("at Down (d.js:"); at != std::string::npos; at = e.stack.find("at Down (d.js:", at + 1))
    ++frames;
  CHECK(frames == 41);
}

TEST_CASE("error codes survive every hop: native -> JS -> native -> JS -> application") {
  rt_test::Runtime rt;
  rt.host().add("native.fail", "", [](phost::Call&) -> Value { throw phost::Error(418, "native teapot"); });
  rt.host().add("native.relay", "", [](phost::Call& call) { return call.call("scripts.b.Main"); });
  rt.load("b", "function Main() { return Process('native.fail'); }");
  rt.load("a", "function Main() { return Process('native.relay'); }\n"
               "function Catch() { try { Process('native.fail'); } catch (e) { return [e.code, e.message]; } }\n"
               "function Own() { throw new Exception('conflict', 409); }\n"
               "function Rethrow() { return Process('scripts.a.Own'); }");
  const auto e = rt.error_of("scripts.a.Main");
  CHECK(e.code == 418);
  // The failed process's message, then where each hop called it from.
  CHECK(e.message == "native teapot (while calling native.fail from b.js:1:26)"
                     " (while calling native.relay from a.js:1:26)");
  CHECK(rt.json("scripts.a.Catch") == R"([418,"native teapot"])");
  CHECK(rt.error_of("scripts.a.Own").code == 409);
  const auto re = rt.error_of("scripts.a.Rethrow");
  CHECK(re.code == 409);
  CHECK(re.message.find("conflict") != std::string::npos);
}

TEST_CASE("a script error carries its stack, innermost first, across JS and native hops") {
  rt_test::Runtime rt;
  rt.host().add("native.relay", "", [](phost::Call& call) { return call.call("scripts.lib.b.Main"); });
  rt.load("lib.b",
          "function Main(): number {\n"
          "  return check(0);\n"
          "}\n"
          "function check(n: number): number {\n"
          "  if (!n) throw new Error('zero');\n"
          "  return n;\n"
          "}\n",
          "lib/b.ts");
  rt.load("a", "function Main() {\n  return Process('native.relay');\n}\n"
               "function Direct() {\n  return Process('scripts.lib.b.Main');\n}\n"
               "function Plain() {\n  throw 'plain';\n}\n"
               "function Caught() {\n  try { Direct(); } catch (e) { throw e; }\n}\n");
  const std::string b = "    at check (lib/b.ts:5:17)\n    at Main (lib/b.ts:2:10)";
  auto e = rt.error_of("scripts.lib.b.Main");
  CHECK(e.message == "Error: zero (at lib/b.ts:5:11)");  // the throw; the stack has where the Error was made
  CHECK(e.stack == b);
  // The failed script's frames, then those of the script that called it (the native hop adds none).
  e = rt.error_of("scripts.a.Main");
  CHECK(e.stack == b + "\n    at Main (a.js:2:10)");
  e = rt.error_of("scripts.a.Direct");
  CHECK(e.stack == b + "\n    at Direct (a.js:5:10)");
  // A rethrown error keeps where it was made; a thrown non-Error has the throw site.
  CHECK(rt.error_of("scripts.a.Caught").stack == b + "\n    at Direct (a.js:5:10)\n    at Caught (a.js:11:9)");
  CHECK(rt.error_of("scripts.a.Plain").stack == "    at Plain (a.js:8:3)");
  // A load error has no frames to show.
  CHECK(rt.load_error("bad", "function (").stack.empty());
}

TEST_CASE("values convert directly both ways with the documented rules") {
  rt_test::Runtime rt;
  rt.load("v", "function Echo(x) { return x; }\n"
               "function Types(x) { return [typeof x.small, typeof x.big, x.bytes instanceof Uint8Array, x.bytes.length]; }\n"
               "function Big() { return [2n ** 62n, 9007199254740993n, 1.5, -0, 2 ** 53]; }\n"
               "function Special() { return { d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), m: new Map([['k', 1], [2, 'two']]), "
               "s: new Set([1, 2]), u: undefined, arr: [undefined, null], b: new Uint8Array([1, 2, 255]) }; }\n"
               "function Fn() { return { f: function () {} }; }\n"
               "function Cycle() { const o = {}; o.self = o; return o; }\n"
               "function Nan() { return [1, NaN, -Infinity, {w: Infinity}]; }\n"
               "function NanTop() { return NaN; }\n"
               "function BadDate() { return [new Date(NaN), {d: new Date('nonsense')}, new Date(8.64e15)]; }\n"
               "function Both(a, b) { return [a, b]; }\n"
               "function NanArg() { return Process('scripts.v.Both', NaN, {w: Infinity}); }\n"
               "function HugeBig() { return 2n ** 64n; }");
  CHECK(rt.json("scripts.v.Echo", phost::args(Value::from_json(R"({"a":[1,2.5,"x",true,null],"n":-9223372036854775807})"))) ==
        R"({"a":[1,2.5,"x",true,null],"n":-9223372036854775807})");
  Value in = Value::object();
  in.set("small", Value::integer(1) );
  in.set("big", Value::integer(9007199254740993LL));
  in.set("bytes", Value::bytes(std::string_view("\x01\x02\x03", 3)));
  CHECK(rt.json("scripts.v.Types", phost::args(std::move(in))) == R"(["number","bigint",true,3])");
  CHECK(rt.json("scripts.v.Big") == R"([4611686018427387904,9007199254740993,1.5,0,9007199254740992])");
  CHECK(rt.json("scripts.v.Special") ==
        R"({"d":"2024-01-02T03:04:05.006Z","m":{"k":1,"2":"two"},"s":[1,2],"arr":[null,null],"b":"AQL/"})");
  const auto fn = rt.error_of("scripts.v.Fn");
  CHECK(fn.code == 400);
  CHECK(fn.message.find("a function cannot be converted at .f") != std::string::npos);
  CHECK(rt.error_of("scripts.v.Cycle").message.find("cycle") != std::string::npos);
  // NaN and the infinities are null, as JSON.stringify writes them (gou passes values through JSON).
  CHECK(rt.json("scripts.v.Nan") == R"([1,null,null,{"w":null}])");
  CHECK(rt.json("scripts.v.NanTop") == "null");
  // An invalid Date too, as JSON.stringify writes it; the last valid one is an extended year.
  CHECK(rt.json("scripts.v.BadDate") == R"([null,{"d":null},"+275760-09-13T00:00:00.000Z"])");
  CHECK(rt.json("scripts.v.NanArg") == R"([null,{"w":null}])");
  CHECK(rt.error_of("scripts.v.HugeBig").message.find("BigInt does not fit") != std::string::npos);
}

// Short strings' values are kept by content (string_values.cpp): a string
// must come back as itself however many others share its slot, whether it is
// the same object, an equal one built at run time, or one that only writes
// out to the same UTF-8 (lone surrogates).
TEST_CASE("short strings passed again and again keep their own text") {
  rt_test::Runtime rt;
  rt.load("s", "function Echo(x) { return x; }\n"
               "function Many() {\n"
               "  const texts = ['', 'a', 'hello', 'héllo', '✓✓', '😀', 'x'.repeat(32), 'x'.repeat(33)];\n"
               "  for (let i = 0; i < 300; i++) texts.push('k' + i);\n"
               "  const bad = [];\n"
               "  for (let round = 0; round < 3; round++)\n"
               "    for (const t of texts) {\n"
               "      const built = (t + '.').slice(0, t.length);  // equal text, another object\n"
               "      if (Process('scripts.s.Echo', t) !== t || Process('scripts.s.Echo', built) !== t) bad.push(t);\n"
               "    }\n"
               "  // Lone surrogates write out as U+FFFD; the strings themselves stay apart.\n"
               "  const lone = [Process('scripts.s.Echo', '\\uD800'), Process('scripts.s.Echo', '\\uDC00'),\n"
               "                Process('scripts.s.Echo', '\\uD800')];\n"
               "  return [bad.length, lone.every((x) => x === '\\uFFFD'), texts.length];\n"
               "}\n");
  CHECK(rt.json("scripts.s.Many") == "[0,true,308]");
  // And straight from the application, through the result path.
  for (const char* text : {"hello", "", "héllo", "k7"})
    CHECK(rt.json("scripts.s.Echo", phost::args(text)) == "\"" + std::string(text) + "\"");
}

// A short slice of a huge string is a view of all of it: the cache must not
// keep the huge string alive after the call (each call here would otherwise
// pin another 24 MB, and the third or so fail with 507).
TEST_CASE("a short string passed as a slice of a huge one does not keep the huge one alive") {
  rt_test::Runtime rt({.heap_mb = 64});
  rt.host().add("native.take", "", [](phost::Call& call) { return Value::integer(int64_t(call.arg<std::string>(0).size())); });
  rt.load("s", "function Slice(i) {\n"
               "  const big = String.fromCharCode(97 + i).repeat(24e6) + i;\n"
               "  return Process('native.take', big.substring(100 + i, 120 + i));\n"
               "}\n");
  for (int i = 0; i < 12; ++i) CHECK(rt.json("scripts.s.Slice", phost::args(i)) == "20");
}

// The same for Process() names (name_cache.cpp): the name's folder part in
// another case each time, so that each lands in its own slot.
TEST_CASE("a process name passed as a slice of a huge string does not keep the huge one alive") {
  rt_test::Runtime rt({.heap_mb = 64});
  rt.load("nm", "function Id(x) { return x; }\n"
                "function Call(i) {\n"
                "  let name = '';\n"
                "  for (const [b, c] of [...'scripts.nm'].entries()) name += (i >> (b % 8)) & 1 ? c.toUpperCase() : c;\n"
                "  const big = name + '.Id|' + 'x'.repeat(24e6) + i;\n"
                "  return Process(big.substring(0, name.length + 3), i);  // 'scripts.nm.Id', 13 characters\n"
                "}\n");
  for (int i = 0; i < 12; ++i) CHECK(rt.json("scripts.nm.Call", phost::args(i)) == std::to_string(i));
}

// Argument objects are built from keys cached per isolate, and a shape seen
// a few times by a function made for it (convert.cpp, key_cache.cpp,
// shape_cache.cpp): ordinary objects whatever the keys, the first time and later.
TEST_CASE("argument objects are ordinary objects whatever their keys") {
  rt_test::Runtime rt;
  rt.load("o", "function Shape(x) { return [Object.getPrototypeOf(x) === Object.prototype, x.hasOwnProperty('b'), "
               "Object.keys(x), Object.isExtensible(x), delete x.b, (x.z = 1, x.z), Object.getPrototypeOf(x.__proto__) "
               "=== Object.prototype, JSON.stringify(x)]; }\n"
               "function Odd(x) { return Object.entries(x); }\n"
               "function Many(x) { return Object.keys(x).length + ':' + String(x.k0) + x.k19 + ':' + Object.keys(x).join(); }");
  const Value shape_in = Value::from_json(R"({"b":1,"2":"two","a":{"__proto__":5},"__proto__":{}})");
  const Value odd_in = Value::from_json(R"({"":0,"q\"uote":1,"back\\slash":2,"nl\n\u0001":3,"é✓":4,"constructor":5})");
  for (int round = 0; round < 6; ++round) {  // from the fourth time on, through the shape's builder
    CAPTURE(round);
    CHECK(rt.json("scripts.o.Shape", phost::args(shape_in.retain())) ==
          R"([true,true,["2","b","a","__proto__"],true,true,1,true,"{\"2\":\"two\",\"a\":{\"__proto__\":5},)"
          R"(\"__proto__\":{},\"z\":1}"])");
    CHECK(rt.json("scripts.o.Odd", phost::args(odd_in.retain())) ==
          R"([["",0],["q\"uote",1],["back\\slash",2],["nl\n\u0001",3],["é✓",4],["constructor",5]])");
  }
  std::string keys;
  Value many = Value::object();
  for (int i = 0; i < 20; ++i) {
    many.set("k" + std::to_string(i), Value::integer(i));
    keys += (i ? "," : "") + std::string("k") + std::to_string(i);
  }
  for (int round = 0; round < 2; ++round)  // the second time from the key cache
    CHECK(rt.json("scripts.o.Many", phost::args(many.retain())) == "\"20:019:" + keys + "\"");
}

// From the fourth call with the same argument shape on, the argument objects
// are built and the function called by one function made for that shape
// (shape_cache.hpp): from inside, and in its errors, the call must look the
// same as the first ones.
TEST_CASE("a call through its argument shape's function looks like a direct call, inside and in its errors") {
  rt_test::Runtime rt;
  rt.load("c", "function Look(a, n, b, s) {\n"
               "  return [JSON.stringify([a, n, b, s]), arguments.length, typeof this, Look.caller === null,\n"
               "          Object.getPrototypeOf(a) === Object.prototype, Object.keys(b), Object.isExtensible(b)];\n"
               "}\n"
               "function Fail(a, b) {\n"
               "  throw new Error('bad ' + a.x + b.y);\n"
               "}\n"
               "function Strict(a, b) { 'use strict'; return [this === undefined, a.x + b.y]; }\n");
  const Value a = Value::from_json(R"({"x":1,"y":{"deep":[1,2]}})");
  const Value b = Value::from_json(R"({"__proto__":2,"q\"":3,"constructor":null})");
  const Value p = Value::from_json(R"({"x":1,"y":2})");
  for (int round = 0; round < 7; ++round) {
    CAPTURE(round);
    CHECK(rt.json("scripts.c.Look", phost::args(a.retain(), 7, b.retain(), "s")) ==
          R"(["[{\"x\":1,\"y\":{\"deep\":[1,2]}},7,{\"__proto__\":2,\"q\\\"\":3,\"constructor\":null},\"s\"]",4,)"
          R"("object",true,true,["__proto__","q\"","constructor"],true])");
    const auto e = rt.error_of("scripts.c.Fail", phost::args(p.retain(), p.retain()));
    CHECK(e.code == 500);
    CHECK(e.message == "Error: bad 12 (at c.js:6:3)");
    CHECK(e.stack == "    at Fail (c.js:6:9)");
    CHECK(rt.json("scripts.c.Strict", phost::args(p.retain(), p.retain())) == "[true,3]");
  }
}

// Through its shape's function, a call's result is also read inside that
// call (ResultReader::Fused): results, errors and the values of calls nested
// in it, even in its result's getters, must be the same as the first times.
TEST_CASE("a result read inside the call through its shape's function is the result read after it") {
  rt_test::Runtime rt;
  std::vector<std::string> seen;
  rt.add_echo("test.json", &seen);
  rt.load("f", "function Values(a, b) {\n"
               "  return { sum: a.x + b.y, list: [1, 'two', [3]], text: 'é'.repeat(70), d: new Date(0),\n"
               "           m: new Map([['k', [a.x]]]), u: undefined, n: null };\n"
               "}\n"
               "function List(a, b) { return [a.x, b]; }\n"
               "function One(a, b) { return [a.y]; }\n"
               "function Getter(a, b) { return { ok: a.x, get bad() { throw new Exception('from getter ' + b.y, 418); } }; }\n"
               "function ThrowsAfter(a, b) { const r = Process('scripts.f.List', a, b); throw new Exception('after ' + r[0], 409); }\n"
               "function Nested(a, b) {\n"
               "  return { inner: Process('scripts.f.List', a, b),\n"
               "           get g() { return [Process('scripts.f.List', b, a), Process('test.json', { k: [a.x] })]; } };\n"
               "}\n"
               "function Refused(a, b) { return new Proxy({}, {}); }\n"
               "function Later(a, b) { return Promise.resolve({ later: a.x }); }\n"
               "function Big(a, b) { return { many: new Array(a.x).fill(1) }; }\n"
               "function Scalar(n) { return n % 3 ? { n, list: [n, 'é'] } : n; }\n"
               "function ScalarGetter(n) { return { n, get bad() { throw new Exception('scalar getter ' + n, 418); } }; }\n");
  const Value p = Value::from_json(R"({"x":1,"y":2})");
  rt_test::Failure first_getter, first_after, first_refused, first_big;
  for (int round = 0; round < 7; ++round) {
    CAPTURE(round);
    // Scalars in: a function whose results are plain objects gets the trampoline too.
    for (int n = 1; n <= 6; ++n)
      CHECK(rt.json("scripts.f.Scalar", phost::args(n)) ==
            (n % 3 ? R"({"n":)" + std::to_string(n) + R"(,"list":[)" + std::to_string(n) + R"(,"é"]})" : std::to_string(n)));
    const auto scalar = rt.error_of("scripts.f.ScalarGetter", phost::args(5));
    CHECK(scalar.code == 418);
    CHECK(scalar.message.find("scalar getter 5") != std::string::npos);
    CHECK(rt.json("scripts.f.Values", phost::args(p.retain(), p.retain())) ==
          R"({"sum":3,"list":[1,"two",[3]],"text":")" + [] {
            std::string s;
            for (int i = 0; i < 70; ++i) s += "é";
            return s;
          }() + R"(","d":"1970-01-01T00:00:00.000Z","m":{"k":[1]},"n":null})");
    CHECK(rt.json("scripts.f.List", phost::args(p.retain(), p.retain())) == R"([1,{"x":1,"y":2}])");
    CHECK(rt.json("scripts.f.One", phost::args(p.retain(), p.retain())) == "[2]");
    CHECK(rt.json("scripts.f.Nested", phost::args(p.retain(), p.retain())) ==
          R"({"inner":[1,{"x":1,"y":2}],"g":[[1,{"x":1,"y":2}],{"k":[1]}]})");
    CHECK(rt.json("scripts.f.Later", phost::args(p.retain(), p.retain())) == R"({"later":1})");
    const auto getter = rt.error_of("scripts.f.Getter", phost::args(p.retain(), p.retain()));
    const auto after = rt.error_of("scripts.f.ThrowsAfter", phost::args(p.retain(), p.retain()));
    const auto refused = rt.error_of("scripts.f.Refused", phost::args(p.retain(), p.retain()));
    const auto big = rt.error_of("scripts.f.Big", phost::args(Value::from_json(R"({"x":2000000,"y":2})"), p.retain()));
    if (round == 0) {
      CHECK(getter.code == 418);
      CHECK(getter.message.find("from getter 2") != std::string::npos);
      CHECK(after.code == 409);
      CHECK(after.message.find("after 1") != std::string::npos);
      CHECK(refused.message.find("a Proxy cannot be converted") != std::string::npos);
      CHECK(big.code == 413);
      first_getter = getter, first_after = after, first_refused = refused, first_big = big;
    }
    CHECK(getter.code == first_getter.code);
    CHECK(getter.message == first_getter.message);
    CHECK(after.code == first_after.code);
    CHECK(after.message == first_after.message);
    CHECK(refused.message == first_refused.message);
    CHECK(big.code == first_big.code);
    CHECK(big.message == first_big.message);
  }
  CHECK(seen.size() == 7);
}

TEST_CASE("deeply nested values give a depth error, not a crash") {
  rt_test::Runtime rt;
  rt.load("deep", "function Make(n) { let o = {}; for (let i = 0; i < n; i++) o = {o}; return o; }\n"
                  "function Echo(x) { return 1; }");
  const auto e = rt.error_of("scripts.deep.Make", phost::args(100000));
  CHECK(e.code == 413);
  CHECK(e.message.find("deeper than") != std::string::npos);
  CHECK(rt.json("scripts.deep.Make", phost::args(10)).size() > 10);
}

TEST_CASE("promises are awaited, and rejections and promises that never settle become errors") {
  rt_test::Runtime rt;
  rt.load("p", "async function Ok(x) { const y = await Promise.resolve(x); return y * 2; }\n"
               "async function Bad() { await null; throw new Exception('later', 422); }\n"
               "function Never() { return new Promise(() => {}); }");
  CHECK(rt.json("scripts.p.Ok", phost::args(21)) == "42");
  const auto bad = rt.error_of("scripts.p.Bad");
  CHECK(bad.code == 422);
  CHECK(bad.message.find("later") != std::string::npos);
  const auto never = rt.error_of("scripts.p.Never");
  CHECK(never.code == 500);
  CHECK(never.message.find("never settled") != std::string::npos);
}

TEST_CASE("the call context is readable from JS and belongs to each call alone") {
  rt_test::Runtime rt({.isolates = 2});
  rt.load("ctx", "function Main() { return [Context.sid, Context.global, Context.authorized, Context.process]; }\n"
                 "function Nested() { return Process('scripts.ctx.Main'); }");
  const Value global = Value::from_json(R"({"tenant":"t1"})");
  const Value subject = Value::from_json(R"({"sub":"alice"})");
  phost::CallOptions options;
  options.session = "s-1";
  options.global = global;
  options.subject = subject;
  CHECK(rt.json("scripts.ctx.Nested", phost::args(), options) ==
        R"(["s-1",{"tenant":"t1"},{"sub":"alice"},"scripts.ctx.Main"])");
  CHECK(rt.json("scripts.ctx.Main") == R"(["",{},null,"scripts.ctx.Main"])");

  std::atomic<int> wrong{0};
  auto worker = [&](const std::string& sid) {
    phost::CallOptions o;
    o.session = sid;
    for (int i = 0; i < 300; ++i)
      if (rt.host().call("scripts.ctx.Main", phost::args(), o)[0].as_string() != sid) ++wrong;
  };
  std::thread t1(worker, "one"), t2(worker, "two");
  t1.join();
  t2.join();
  CHECK(wrong == 0);
}

TEST_CASE("console output reaches the host log tagged with the script id") {
  rt_test::Runtime rt;
  rt.load("talk", "function Main() { console.log('hello', {a: 1}, 2); console.error('bad'); return 0; }");
  rt.json("scripts.talk.Main");
  bool info = false, error = false;
  for (const auto& line : rt.log_lines()) {
    info |= line == "phost.v8: [scripts.talk] hello {\"a\":1} 2";
    error |= line == "phost.v8: [scripts.talk] bad";
  }
  CHECK(info);
  CHECK(error);
}

TEST_CASE("calls from 8 threads over 2 isolates all get their own answers") {
  rt_test::Runtime rt({.isolates = 2});
  rt.load("calc", "const k = 3; function Mul(a, b) { return { r: a * b + k }; }");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const Value r = rt.host().call("scripts.calc.Mul", phost::args(t, i));
        if (r["r"].as_int() != t * i + 3) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("an unknown script or function is a 404 naming it") {
  rt_test::Runtime rt;
  rt.load("known", "function Main() { return 1; }");
  const auto no_fn = rt.error_of("scripts.known.Other");
  CHECK(no_fn.code == 404);
  CHECK(no_fn.message == "script 'known' has no function 'Other'");
  const auto no_script = rt.error_of("scripts.unknown.Main");
  CHECK(no_script.code == 404);
  CHECK(no_script.message == "no script 'unknown'");
  CHECK(rt.json("runtime.unload", phost::args("known")) == "true");
  CHECK(rt.error_of("scripts.known.Main").code == 404);
}

TEST_CASE("method names are case-sensitive while ids are not") {
  rt_test::Runtime rt;
  rt.load("Orders.Total", "function Main() { return 'upper'; }\nfunction main() { return 'lower'; }");
  CHECK(rt.json("scripts.orders.total.Main") == "\"upper\"");
  CHECK(rt.json("SCRIPTS.ORDERS.TOTAL.main") == "\"lower\"");
}

}  // TEST_SUITE
