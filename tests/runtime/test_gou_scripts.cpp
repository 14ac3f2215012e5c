// Scripts as gou applications write them: TypeScript, every top-level
// function a process, gou's import forms, load errors that name the place.
#include "runtime_support.hpp"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

using rt_test::temp_dir;
using rt_test::write;

TEST_SUITE("runtime gou scripts") {

TEST_CASE("a .ts script loads through runtime.load and keeps its own lines in errors") {
  rt_test::Runtime rt;
  rt.load("orders", "enum Kind { Small = 1, Large = 10 }\n"
                    "interface Line { qty: number; price: number }\n"
                    "class Order { constructor(private lines: Line[]) {} total(): number {\n"
                    "  return this.lines.reduce((s, l) => s + l.qty * l.price, 0); } }\n"
                    "function Total(lines: Line[]): number { return new Order(lines).total() * Kind.Small; }\n"
                    "function Fail(): never {\n  throw new Exception('bad order', 422);\n}",
          "orders.ts");
  CHECK(rt.json("scripts.orders.Total", phost::args(phost::Value::from_json(R"([{"qty":2,"price":3}])"))) == "6");
  const auto e = rt.error_of("scripts.orders.Fail");
  CHECK(e.code == 422);
  CHECK_MESSAGE(e.message.find("(at orders.ts:7:3)") != std::string::npos, e.message);
  const auto bad = rt.load_error("broken", "function Main(: number {}", "broken.ts");
  CHECK(bad.code == 500);
  CHECK(bad.message.find("broken.ts:1:") != std::string::npos);
}

TEST_CASE("every top-level function of a module is a process, exported or not") {
  rt_test::Runtime rt;
  rt.load("m", "function helper(x) { return x * 2; }\nexport function Main(x) { return helper(x); }\n"
               "async function Later() { return 'later'; }\nexport default function Named() { return 'd'; }");
  CHECK(rt.json("scripts.m.Main", phost::args(4)) == "8");
  CHECK(rt.json("scripts.m.helper", phost::args(4)) == "8");
  CHECK(rt.json("scripts.m.Later") == "\"later\"");
  CHECK(rt.json("scripts.m.Named") == "\"d\"");
  const std::string scripts = rt.json("runtime.scripts");
  CHECK_MESSAGE(scripts.find(R"("functions":["Main","default","helper","Later","Named"])") != std::string::npos, scripts);
  // Importers see the module's exports and nothing else; its other
  // functions are on its own import.meta, which no other module reaches.
  rt.load("user", "import * as m from './m';\n"
                  "export function Keys() { return Object.keys(m); }\n"
                  "export function Meta() { return [typeof import.meta.__phost_functions__, typeof m.helper]; }\n"
                  "export function Forge() { import.meta.__phost_functions__.helper = () => 'forged'; return 1; }");
  CHECK(rt.json("scripts.user.Keys") == R"(["Main","default"])");
  CHECK(rt.json("scripts.user.Meta") == R"(["object","undefined"])");
  CHECK(rt.json("scripts.user.Forge") == "1");
  CHECK(rt.json("scripts.m.helper", phost::args(4)) == "8");
}

TEST_CASE("a module too large for the transpiler's scan keeps its unexported functions callable") {
  // Loading takes seconds (V8 compiles 50,000 functions); more on a loaded machine.
  rt_test::Runtime rt({.timeout_ms = 120000, .load_timeout_ms = 120000});
  // 50,000 functions exhaust sucrase's heap: the quick scan finds them (they were 404s).
  std::string source = "export const z = 1;\n";
  for (int i = 0; i < 50000; ++i) source += "function f" + std::to_string(i) + "() { return " + std::to_string(i) + "; }\n";
  rt.load("many", source);
  CHECK(rt.json("scripts.many.f0") == "0");
  CHECK(rt.json("scripts.many.f49999") == "49999");
  CHECK(rt.error_of("scripts.many.f50000").code == 404);
}

TEST_CASE("a regex after ) or braces in template literals cannot hide a function") {
  rt_test::Runtime rt;
  rt.load("tricky", "const c = 1, x = '{';\nif (c) /{/.test(x);\nconst t = `${ { a: '}' }.a }`;\n"
                    "function Main() { return 'found'; }");
  CHECK(rt.json("scripts.tricky.Main") == "\"found\"");
}

TEST_CASE("imports: relative with or without extension, tsconfig paths, gou's type-shim modules") {
  const fs::path app = temp_dir("imports");
  write(app / "tsconfig.json", "{\n  // comments, as TypeScript allows\n  \"compilerOptions\": {\n"
                               "    \"paths\": { \"@lib/*\": [\"./scripts/lib/*\"], },\n  },\n}\n");
  write(app / "scripts/lib/util.ts", "export function twice(x: number): number { return x * 2; }");
  write(app / "scripts/catalog.js", "export const items = { pear: 3 };");
  write(app / "scripts/orders/total.ts",
        "import { twice } from '@lib/util';\nimport { items } from '../catalog.js';\n"
        "import { Exception, Process } from '@yao/runtime';\nimport type { Thing } from '../types';\n"
        "import { log } from '../../yao';\n"
        "function Total(name: string): number {\n  if (!(name in items)) throw new Exception('no ' + name, 404);\n"
        "  return twice(items[name as keyof typeof items]) + Process('scripts.orders.total.One'); }\n"
        "function One() { return typeof log === 'object' ? 1 : 0; }\n");
  write(app / "scripts/bad_import.ts", "import { nothing } from './nowhere';\nexport function Main() { return nothing; }");
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.orders.total.Total", phost::args("pear")) == "7");
  CHECK(rt.error_of("scripts.orders.total.Total", phost::args("fig")).code == 404);
  const auto bad = rt.error_of("scripts.bad_import.Main");
  CHECK(bad.message.find("cannot import './nowhere' from 'bad_import'") != std::string::npos);
  CHECK_MESSAGE(bad.message.find("bad_import.ts:1:") != std::string::npos, bad.message);
  fs::remove_all(app);
}

TEST_CASE("imports of a folder find its index file, and a .json import is its parsed value") {
  const fs::path app = temp_dir("index-json");
  write(app / "tsconfig.json", R"({"compilerOptions": {"paths": {"@data/*": ["scripts/data/*"]}}})");
  write(app / "scripts/lib/index.ts", "export function twice(x: number): number { return x * 2; }");
  write(app / "scripts/util/index.js", "export const from = 'util/index.js';");
  write(app / "scripts/util.ts", "export const from = 'util.ts';");  // a file wins over a folder's index
  write(app / "scripts/data/Prices.json", R"({"pear": 3, "fig": [1, 2], "name": "ünïcode"})");
  write(app / "scripts/data/broken.json", "{\"pear\": }");
  write(app / "scripts/orders/total.ts",
        "import { twice } from '../lib';\nimport { from } from '../util';\n"
        "import prices from '../data/Prices.json';\nimport again from '@data/Prices.json';\n"
        "export function Total(name: string) { return twice(prices[name]); }\n"
        "export function Info() { return [from, prices.fig, prices.name, again.pear, Object.keys(prices).length]; }\n");
  write(app / "scripts/bad/syntax.js", "import x from '../data/broken.json';\nexport function Main() { return x; }");
  write(app / "scripts/bad/missing.js", "import x from '../data/none.json';\nexport function Main() { return x; }");
  write(app / "scripts/bad/outside.js", "import x from '../../tsconfig.json';\nexport function Main() { return x; }");
  fs::create_directories(app / "scripts/data/folder.json");
  write(app / "scripts/bad/folder.js", "import x from '../data/folder.json';\nexport function Main() { return x; }");
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.orders.total.Total", phost::args("pear")) == "6");
  CHECK(rt.json("scripts.orders.total.Info") == R"(["util.ts",[1,2],"ünïcode",3,3])");
  const auto broken = rt.error_of("scripts.bad.syntax.Main");
  CHECK(broken.code == 500);  // a script that failed to load
  CHECK_MESSAGE(broken.message.find("cannot import '../data/broken.json' from 'bad.syntax': scripts/data/broken.json: "
                                    "SyntaxError") != std::string::npos,
                broken.message);
  const auto missing = rt.error_of("scripts.bad.missing.Main");
  CHECK_MESSAGE(missing.message.find("no file scripts/data/none.json (at bad/missing.js:1:15)") != std::string::npos,
                missing.message);
  const auto folder = rt.error_of("scripts.bad.folder.Main");
  CHECK_MESSAGE(folder.message.find("no file scripts/data/folder.json") != std::string::npos, folder.message);
  const auto outside = rt.error_of("scripts.bad.outside.Main");
  CHECK_MESSAGE(outside.message.find("a .json import is a path inside the app's scripts/ folder") != std::string::npos,
                outside.message);
  // No warning for the .json files: they are data, not scripts that failed to load.
  for (const std::string& line : rt.log_lines()) CHECK_MESSAGE(line.find(".json: not loaded") == std::string::npos, line);
  fs::remove_all(app);
}

TEST_CASE("a bare specifier no tsconfig path maps is found beside the importer first, as gou finds it") {
  // yao-dev-app's scripts/lib/import.ts: `import { Excel } from "excel";` is scripts/lib/excel.ts.
  const fs::path app = temp_dir("bare");
  write(app / "scripts/lib/excel.ts", "export class Excel { name() { return 'lib/excel'; } }");
  write(app / "scripts/lib/import.ts",
        "import { Excel } from \"excel\";\nimport { where } from 'util';\nimport { deep } from 'sub/deep';\n"
        "export function Main() { return [new Excel().name(), where, deep]; }");
  write(app / "scripts/lib/sub/deep.ts", "export const deep = 'lib/sub/deep';");
  write(app / "scripts/util.ts", "export const where = 'util';");  // not beside: the app-relative id still works
  write(app / "scripts/lib/none.ts", "import { x } from 'nothing';\nexport function Main() { return x; }");
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.lib.import.Main") == R"(["lib/excel","util","lib/sub/deep"])");
  const auto none = rt.error_of("scripts.lib.none.Main");
  CHECK(none.code == 500);
  CHECK_MESSAGE(none.message.find("cannot import 'nothing' from 'lib.none': no script 'nothing' (at lib/none.ts:1:19)") !=
                    std::string::npos,
                none.message);
  fs::remove_all(app);
}

TEST_CASE("an app's services/ folder: services.<id>.<Function>, the script __yao_service.<id>, as in gou") {
  const fs::path app = temp_dir("services");
  write(app / "services/foo.js", "function Bar(...args) {\n  return { message: $L('::hi') + ' from foo.Bar', args };\n}\n"
                                 "function Fail() {\n  throw new Exception('no bar', 418);\n}");
  write(app / "services/admin/menu.ts",
        "import { Process } from '@yao/yao';\nimport { twice } from './lib';\n"
        "export function reset(n: number) { return twice(Process('scripts.data.Base', n)); }");
  write(app / "services/admin/lib.ts", "export function twice(x: number): number { return 2 * x; }");
  write(app / "scripts/data.js", "function Base(n) { return n + 1; }\nfunction Call() { return Process('services.foo.Bar', 7); }");
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("services.foo.Bar", phost::args("a", 1)) == R"({"message":"hi from foo.Bar","args":["a",1]})");
  CHECK(rt.json("scripts.__yao_service.foo.Bar") == R"({"message":"hi from foo.Bar","args":[]})");
  CHECK(rt.json("services.admin.menu.reset", phost::args(2)) == "6");
  CHECK(rt.json("scripts.data.Call") == R"({"message":"hi from foo.Bar","args":[7]})");
  const auto e = rt.error_of("services.foo.Fail");
  CHECK(e.code == 418);
  CHECK_MESSAGE(e.message.find("no bar (at services/foo.js:5:3)") != std::string::npos, e.message);
  CHECK(rt.error_of("services.foo.Nope").code == 404);
  CHECK(rt.error_of("services.none.Bar").code == 404);
  fs::remove_all(app);
}

TEST_CASE("names imported from gou's type shims are the runtime's globals, even ones it does not have") {
  rt_test::Runtime rt;
  rt.load("t", "import { Process, Job } from '@yaoapps/client';\nimport { log, Eval } from \"@yao/runtime\";\n"
               "export function Main() { return [typeof Job, typeof log, typeof Eval, Process('scripts.t.One')]; }\n"
               "export function Use() { return new Job(); }\nfunction One() { return 1; }",
          "t.ts");
  CHECK(rt.json("scripts.t.Main") == R"(["undefined","object","function",1])");
  const auto e = rt.error_of("scripts.t.Use");
  CHECK(e.message.find("ReferenceError: Job is not defined (at t.ts:4:") != std::string::npos);
}

TEST_CASE("an error in the last lines is reported where the script has it, not in the epilogue") {
  rt_test::Runtime rt;
  const auto e = rt.load_error("t", "function Main() { return 1; }\nfunction Other() {\n  return [1, 2\n");
  CHECK(e.code == 500);
  CHECK(e.message.find("SyntaxError") != std::string::npos);
  CHECK_MESSAGE((e.message.find("t.js:3:") != std::string::npos || e.message.find("t.js:4:") != std::string::npos), e.message);
  // The namespace is made after the script's own code: the script cannot reach it.
  rt.load("ns", "function Main() { return typeof __phost_namespace__; }");
  CHECK(rt.json("scripts.ns.Main") == "\"undefined\"");
  CHECK(rt.error_of("scripts.ns.toString").code == 404);
}

TEST_CASE("x.js and x.ts in one folder are an error naming both") {
  const fs::path app = temp_dir("dupe");
  write(app / "scripts/x.js", "function Main() { return 'js'; }");
  write(app / "scripts/x.ts", "function Main(): string { return 'ts'; }");
  write(app / "scripts/y.ts", "function Main(): string { return 'y'; }");
  rt_test::Runtime rt({.app_dir = app.string()});
  CHECK(rt.json("scripts.y.Main") == "\"y\"");
  const auto x = rt.error_of("scripts.x.Main");  // neither of the two is served
  CHECK(x.message.find("both give the script id 'x'") != std::string::npos);
  bool named_both = false;
  for (const std::string& line : rt.log_lines())
    named_both = named_both || (line.find("scripts/x.") != std::string::npos &&
                                line.find("both give the script id 'x'") != std::string::npos);
  CHECK(named_both);
  fs::remove_all(app);
}

// gou keeps Exception's code as given and reads it back with Atoi from the
// error's name "Exception|<code>": scripts that pass '404' get 404.
TEST_CASE("an Exception's code given as a string of digits is that code, any other string 500") {
  rt_test::Runtime rt;
  rt.load("x", "function Digits() { throw new Exception('missing', '404'); }\n"
               "function Word() { throw new Exception('odd', 'teapot'); }\n"
               "function Spaced() { throw new Exception('odd', ' 404'); }\n"
               "function Numeric() { throw new Exception('gone', 410); }");
  const auto digits = rt.error_of("scripts.x.Digits");
  CHECK(digits.code == 404);
  CHECK(digits.message.find("missing") != std::string::npos);
  CHECK(rt.error_of("scripts.x.Word").code == 500);
  CHECK(rt.error_of("scripts.x.Spaced").code == 500);
  CHECK(rt.error_of("scripts.x.Numeric").code == 410);
}

// gou hands a script the failed process's message as it was thrown; apps
// show e.message to users. Where it failed is in the stack, and comes back
// in the message when the error leaves the script.
TEST_CASE("a caught process error's message is the thrown one, without the locations the runtime appended") {
  rt_test::Runtime rt;
  rt.host().add("native.look", "", [](phost::Call&) -> phost::Value {
    throw phost::Error(418, "own (at c.js:1:19)", PHOST_E_PROCESS, "    at Elsewhere (d.js:1:19)");
  });
  rt.host().add("native.bare", "", [](phost::Call&) -> phost::Value { throw phost::Error(418, "own (at c.js:1:19)"); });
  rt.host().add("native.relay", "", [](phost::Call& call) { return call.call("scripts.c.Fail"); });
  rt.load("c", "function Fail() { throw new Exception('bad thing', 400); }");
  rt.load("b", "function Main() { return Process('scripts.c.Fail'); }");
  rt.load("a", "function Catch(name) { try { Process(name); } catch (e) { return [e.message, e.code]; } }\n"
               "function Stack() { try { Process('scripts.b.Main'); } catch (e) { return e.stack; } }\n"
               "function Main() { return Process('scripts.b.Main'); }\n"
               "function Changed() { try { Process('scripts.b.Main'); } catch (e) { e.message = 'other'; throw e; } }\n"
               "function Rethrow() { try { Process('scripts.b.Main'); } catch (e) { throw e; } }");
  CHECK(rt.json("scripts.a.Catch", phost::args("scripts.c.Fail")) == R"(["bad thing",400])");
  CHECK(rt.json("scripts.a.Catch", phost::args("scripts.b.Main")) == R"(["bad thing",400])");  // two hops
  CHECK(rt.json("scripts.a.Catch", phost::args("native.relay")) == R"(["bad thing",400])");   // a native hop
  // A native process's own text that looks like a location stays.
  CHECK(rt.json("scripts.a.Catch", phost::args("native.look")) == R"x(["own (at c.js:1:19)",418])x");
  CHECK(rt.json("scripts.a.Catch", phost::args("native.bare")) == R"x(["own (at c.js:1:19)",418])x");
  const std::string stack = rt.json("scripts.a.Stack");
  CHECK(stack == R"x("Error: bad thing\n    at Fail (c.js:1:25)\n    at Main (b.js:1:26)")x");
  // Not caught: the application sees every location, as before.
  const auto e = rt.error_of("scripts.a.Main");
  CHECK(e.code == 400);
  CHECK(e.message == "bad thing (at c.js:1:19) (while calling scripts.c.Fail from b.js:1:26)"
                     " (while calling scripts.b.Main from a.js:3:26)");
  CHECK(e.stack == "    at Fail (c.js:1:25)\n    at Main (b.js:1:26)\n    at Main (a.js:3:26)");
  // A message the script changed is the script's; the hop is where the process was called, not rethrown.
  CHECK(rt.error_of("scripts.a.Changed").message == "other (while calling scripts.b.Main from a.js:4:28)");
  CHECK(rt.error_of("scripts.a.Rethrow").message == "bad thing (at c.js:1:19) (while calling scripts.c.Fail from b.js:1:26)"
                                                    " (while calling scripts.b.Main from a.js:5:28)");
  CHECK(rt.json("scripts.a.Catch", phost::args("scripts.a.Rethrow")) == R"(["bad thing",400])");
}

// gou calls a script's functions; a class is not one (calling it throws).
TEST_CASE("a module's exported classes are not processes") {
  rt_test::Runtime rt;
  rt.load("m", "export class Action { run() { return 1; } }\nexport function Main() { return 'main'; }\n"
               "export const Klass = class {};\nclass Inner {}\nexport { Inner as Renamed };\n"
               "export const Arrow = () => 'arrow';\nexport async function Later() { return 'later'; }\n"
               "export const classy = { class() { return 'method'; } }.class;\n"
               "export const classic = function () { return 'fn'; };\nexport default class {}",
          "m.ts");
  const std::string scripts = rt.json("runtime.scripts");
  for (const char* name : {"Action", "Klass", "Renamed", "default"}) {
    CHECK_MESSAGE(scripts.find('"' + std::string(name) + '"') == std::string::npos, name);
    const auto e = rt.error_of("scripts.m." + std::string(name));
    CHECK(e.code == 404);
    CHECK(e.message == "script 'm' has no function '" + std::string(name) + "'");
  }
  CHECK(rt.json("scripts.m.Main") == "\"main\"");
  CHECK(rt.json("scripts.m.Arrow") == "\"arrow\"");
  CHECK(rt.json("scripts.m.Later") == "\"later\"");
  CHECK(rt.json("scripts.m.classy") == "\"method\"");
  CHECK(rt.json("scripts.m.classic") == "\"fn\"");
}

}  // TEST_SUITE
