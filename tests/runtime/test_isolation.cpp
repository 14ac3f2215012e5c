// Every script, and every version of a script, has its own namespace in a
// context shared with all others.
#include "runtime_support.hpp"

#include <string>

TEST_SUITE("runtime isolation") {

TEST_CASE("two scripts declaring the same function, const and class both work and never see each other") {
  rt_test::Runtime rt;
  rt.load("a", "const cfg = 'a'; class Box { get v() { return cfg; } }\nfunction Main() { return new Box().v + cfg; }");
  rt.load("b", "const cfg = 'b'; class Box { get v() { return cfg; } }\nfunction Main() { return new Box().v + cfg; }");
  CHECK(rt.json("scripts.a.Main") == "\"aa\"");
  CHECK(rt.json("scripts.b.Main") == "\"bb\"");
  CHECK(rt.json("scripts.a.Main") == "\"aa\"");
}

TEST_CASE("no top-level declaration of a script reaches globalThis") {
  rt_test::Runtime rt;
  rt.load("decl", "var v = 1; let l = 2; const c = 3; class K {}\nfunction Main() { return 1; }");
  rt.load("probe", "function Main() { return [typeof globalThis.v, typeof globalThis.l, typeof globalThis.c, "
                   "typeof globalThis.K, typeof globalThis.Main, typeof v, typeof Main]; }");
  CHECK(rt.json("scripts.decl.Main") == "1");
  CHECK(rt.json("scripts.probe.Main") ==
        R"(["undefined","undefined","undefined","undefined","undefined","undefined","function"])");
}

TEST_CASE("a script defining function Error does not break the bridge's errors") {
  rt_test::Runtime rt;
  rt.load("shadow", "function Error(m) { return 'mine: ' + m; }\nfunction Main() { return Error('x'); }\n"
                    "function Fail() { return Process('no.such.process'); }\n"
                    "function Throw() { throw new Exception('teapot', 418); }");
  rt.load("other", "function Main() { try { null.x; } catch (e) { return e instanceof Error; } }");
  CHECK(rt.json("scripts.shadow.Main") == "\"mine: x\"");
  CHECK(rt.json("scripts.other.Main") == "true");
  const auto missing = rt.error_of("scripts.shadow.Fail");
  CHECK(missing.code == 404);
  CHECK(missing.message.find("no process named 'no.such.process'") != std::string::npos);
  const auto thrown = rt.error_of("scripts.shadow.Throw");
  CHECK(thrown.code == 418);
  CHECK(thrown.message.find("teapot") != std::string::npos);
}

TEST_CASE("reloading a script with changed const declarations never fails with 'already been declared'") {
  rt_test::Runtime rt;
  for (int i = 0; i < 200; ++i) {
    const std::string n = std::to_string(i);
    rt.load("re", "const cfg = " + n + "; let extra" + n + " = 1; class C" + n + " {}\nfunction Main() { return cfg; }");
    REQUIRE(rt.json("scripts.re.Main") == n);
  }
}

TEST_CASE("classic gou-style scripts with plain top-level functions work unchanged") {
  rt_test::Runtime rt;
  rt.load("orders.total",
          "function tax(x) { return x * 0.5; }\n"
          "var rate = 2;\n"
          "function Total(items) { var sum = 0; for (var i = 0; i < items.length; i++) sum += items[i].price; "
          "return sum * rate + tax(sum); }\n"
          "function Describe() { return typeof tax + ' ' + typeof Total; }");
  CHECK(rt.json("scripts.orders.total.Total", phost::args(phost::Value::from_json(R"([{"price": 2}, {"price": 4}])"))) ==
        "15");
  CHECK(rt.json("scripts.orders.total.Describe") == "\"function function\"");
}

// Found by tests/fuzz/fuzz_script_load: the namespace scan took U+2028 for
// part of a name, and the epilogue built from it was a SyntaxError; U+00A0
// after `function` hid the function.
TEST_CASE("Unicode white space and line terminators end names in a classic script") {
  rt_test::Runtime rt;
  rt.load("ls", "var a\u2028var b = 1;\nfunction Main() { return typeof b; }");  // two statements
  CHECK(rt.json("scripts.ls.Main") == "\"number\"");
  rt.load("nbsp", "function\u00A0Main()\u3000{ return 2; }\nfunction\uFEFFOther() { return 3; }");
  CHECK(rt.json("scripts.nbsp.Main") == "2");
  CHECK(rt.json("scripts.nbsp.Other") == "3");
  rt.load("comment", "// a comment ends here\u2029function Main() { return 4; }\n/* \u2028 */ function Next() { return 5; }");
  CHECK(rt.json("scripts.comment.Main") == "4");
  CHECK(rt.json("scripts.comment.Next") == "5");
  // Only ASCII names can be called (process names are ASCII), so only they go into the
  // epilogue: a misread "name" (here from a regex the scan takes for a division) cannot break it.
  rt.load("name", "function caf\u00E9() { return 6; }\nconst s = 'var';\n"
                  "if (s) /var y\u3002/.test(s);\nfunction Main() { return caf\u00E9(); }");
  CHECK(rt.json("scripts.name.Main") == "6");
}

TEST_CASE("ES modules export functions and import each other") {
  rt_test::Runtime rt;
  rt.load("lib.math", "export const base = 10;\nexport function add(a, b) { return a + b + base; }");
  rt.load("app", "import { add } from './lib/math.js';\nexport function Main(x) { return add(x, 1); }");
  CHECK(rt.json("scripts.app.Main", phost::args(5)) == "16");
  // Replacing the imported module re-links its importer.
  rt.load("lib.math", "export const base = 100;\nexport function add(a, b) { return a + b + base; }");
  CHECK(rt.json("scripts.app.Main", phost::args(5)) == "106");
  // An import of nothing is the importer's load error, naming what is missing.
  const auto bad = rt.load_error("broken", "import { nothing } from './missing.js';\nexport function Main() {}");
  CHECK(bad.code == 500);
  CHECK(bad.message.find("cannot import './missing.js' from 'broken': no script 'missing'") != std::string::npos);
  CHECK(rt.error_of("scripts.broken.Main").code == 404);
}

TEST_CASE("a hostile source cannot escape its namespace") {
  rt_test::Runtime rt;
  const auto escape = rt.load_error("evil", "}); globalThis.pwned = 1; (function(){");
  CHECK(escape.code == 500);
  CHECK(escape.message.find("SyntaxError") != std::string::npos);
  const auto comment = rt.load_error("evil2", "function Main() { return 1; } /*");
  CHECK(comment.code == 500);
  CHECK(comment.message.find("SyntaxError") != std::string::npos);
  rt.load("trailing", "function Main() { return typeof globalThis.pwned; } //");
  CHECK(rt.json("scripts.trailing.Main") == "\"undefined\"");
  const auto top_return = rt.load_error("ret", "return { Main: function () { return 1; } };");
  if (top_return.code == 0) {
    const auto call = rt.error_of("scripts.ret.Main");
    CHECK(call.code == 500);
    CHECK(call.message.find("top-level return") != std::string::npos);
  }
}

TEST_CASE("error messages and stacks point at the script's own file, line and column") {
  rt_test::Runtime rt;
  rt.load("orders.total",
          "// line 1\n"
          "function helper() {\n"
          "  return null.price;\n"
          "}\n"
          "function Main() { return helper(); }\n"
          "function Stack() { return new Error('here').stack; }\n",
          "orders/total.js");
  const auto e = rt.error_of("scripts.orders.total.Main");
  CHECK(e.code == 500);
  CHECK(e.message.find("TypeError") != std::string::npos);
  CHECK(e.message.find("orders/total.js:3:15") != std::string::npos);
  const std::string stack = rt.json("scripts.orders.total.Stack");
  CHECK(stack.find("orders/total.js:6:") != std::string::npos);
}

TEST_CASE("2000 scripts all defining Main and cfg share one context and each returns its own value") {
  rt_test::Runtime rt;
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i);
    rt.load("many.s" + n, "const cfg = " + n + ";\nfunction Main() { return cfg; }");
  }
  for (int i = 0; i < 2000; i += 7) REQUIRE(rt.json("scripts.many.s" + std::to_string(i) + ".Main") == std::to_string(i));
  CHECK(rt.json("scripts.many.s1999.Main") == "1999");
}

TEST_CASE("bridge globals cannot be replaced by a script") {
  rt_test::Runtime rt;
  rt.load("vandal", "function Main() { Process = null; console = null; Exception = 1; delete globalThis.Process; "
                    "return typeof Process; }");
  rt.load("user", "function Main() { return Process('scripts.helper.Two') + 1; }");
  rt.load("helper", "function Two() { return 2; }");
  CHECK(rt.json("scripts.vandal.Main") == "\"function\"");
  CHECK(rt.json("scripts.user.Main") == "3");
}

TEST_CASE("a script changing built-ins cannot break other scripts") {
  rt_test::Runtime rt;
  rt.load("vandal", "function Main() { Array.prototype.map = null; JSON.stringify = null; globalThis.Math = 1; "
                    "Object.prototype.polluted = 1; return [typeof [].map, typeof Math, ({}).polluted === undefined]; }");
  rt.load("strict", "export function Main() { try { Array.prototype.map = null; return 'changed'; } "
                    "catch (e) { return e instanceof TypeError; } }");
  rt.load("victim", "function Main() { return JSON.stringify([1, 2].map((x) => x * Math.max(2, 1))); }");
  CHECK(rt.json("scripts.vandal.Main") == R"(["function","object",true])");
  CHECK(rt.json("scripts.strict.Main") == "true");
  CHECK(rt.json("scripts.victim.Main") == R"("[2,4]")");
}

TEST_CASE("ordinary code that overrides inherited methods keeps working with hardened built-ins") {
  rt_test::Runtime rt;
  rt.load("oo", "function Money(c) { this.c = c; }\n"
                "Money.prototype.toString = function () { return this.c + ' cents'; };\n"
                "function MyError(m) { this.message = m; }\n"
                "MyError.prototype = Object.create(Error.prototype);\n"
                "MyError.prototype.name = 'MyError';\n"
                "MyError.prototype.constructor = MyError;\n"
                "class Tag { toJSON() { return 'tag'; } }\n"
                "function Main() { const o = {}; o.toString = () => 'own'; "
                "return [String(new Money(5)), new MyError('x').name, String(o), JSON.stringify(new Tag())]; }");
  CHECK(rt.json("scripts.oo.Main") == R"(["5 cents","MyError","own","\"tag\""])");
}

// An accessor in place of a watched constructor turned V8's species
// protector off for the whole isolate: map, filter and slice were 16x slower.
TEST_CASE("the constructors V8 watches for species stay frozen data properties no script changes") {
  rt_test::Runtime rt;
  rt.load("s", R"(function Main() {
    const protos = [Array.prototype, Promise.prototype, RegExp.prototype, ArrayBuffer.prototype,
                    Object.getPrototypeOf(Int8Array.prototype), Uint8Array.prototype];
    const plain = protos.every((p) => {
      const d = Object.getOwnPropertyDescriptor(p, 'constructor');
      return 'value' in d && !d.writable && !d.configurable;
    });
    const tried = [];
    try { Array.prototype.constructor = Object; } catch (e) { tried.push(e.name); }
    try { Object.defineProperty(Array, Symbol.species, { get() { return Object; } }); } catch (e) { tried.push(e.name); }
    const a = [1, 2, 3];
    a.constructor = Object;  // the override mistake on an array: ignored in sloppy code
    return [plain, tried, a.map((x) => x).constructor === Array, a.filter(Boolean) instanceof Array,
            Object.prototype.hasOwnProperty.call(a, 'constructor')];
  })");
  CHECK(rt.json("scripts.s.Main") == R"([true,["TypeError"],true,true,false])");
}

// Two ways of locking (Object.freeze, and defineProperty + preventExtensions
// on the typed array chain, lockdown.cpp): the same integrity either way.
TEST_CASE("built-ins locked either way keep the integrity of Object.freeze") {
  rt_test::Runtime rt;
  rt.load("probe", R"(export function Main() {
    const typed = Object.getPrototypeOf(Int8Array.prototype);
    const all = [[Object.prototype, 'hasOwnProperty'], [typed, 'set'], [Float64Array.prototype, 'BYTES_PER_ELEMENT'],
                 [Uint8Array.prototype, 'BYTES_PER_ELEMENT'], [String.prototype, 'slice'], [Array.prototype, 'map'],
                 [Math, 'max'], [JSON, 'stringify'], [Object, 'keys'], [Float64Array, 'BYTES_PER_ELEMENT'],
                 [Error, 'captureStackTrace'], [Promise.prototype, 'then']];
    const out = [];
    for (const [o, key] of all) {
      const before = o[key];
      let refused = 0;
      try { o.planted = 1; } catch (e) { refused += e instanceof TypeError; }
      try { Object.defineProperty(o, 'planted2', {value: 1}); } catch (e) { refused += e instanceof TypeError; }
      try { o[key] = 0; } catch (e) { refused += e instanceof TypeError; }
      try { delete o[key]; } catch (e) { refused += e instanceof TypeError; }
      try { Object.defineProperty(o, key, {get() { return 0; }}); } catch (e) { refused += e instanceof TypeError; }
      try { Object.setPrototypeOf(o, {}); } catch (e) { refused += e instanceof TypeError; }
      out.push(Object.isFrozen(o) && refused === 6 && o[key] === before && typeof before !== 'undefined' &&
               !('planted' in o) && !('planted2' in o));
    }
    return out;
  })");
  CHECK(rt.json("scripts.probe.Main") == "[true,true,true,true,true,true,true,true,true,true,true,true]");
}

TEST_CASE("hasOwnProperty and friends stay data properties and are overridden by definition") {
  rt_test::Runtime rt;
  rt.load("own", R"(class Bag { hasOwnProperty() { return 'mine'; } }
    function Main() {
      const d = Object.getOwnPropertyDescriptor(Object.prototype, 'hasOwnProperty');
      const o = Object.defineProperty({}, 'isPrototypeOf', {value: () => 'defined'});
      return ['value' in d, d.writable, new Bag().hasOwnProperty(), o.isPrototypeOf(), ({a: 1}).hasOwnProperty('a'),
              Object.prototype.hasOwnProperty === d.value];
    })");
  CHECK(rt.json("scripts.own.Main") == R"([true,false,"mine","defined",true,true])");
}

}  // TEST_SUITE

