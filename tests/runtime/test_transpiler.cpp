// The TypeScript transpiler and top-level scanner (runtime/src/transpiler.*),
// driven directly; V8 is initialised here as the runtime does it.
#include "transpiler.hpp"

#include <doctest/doctest.h>

#include <libplatform/libplatform.h>
#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-initialization.h>
#include <v8-isolate.h>
#include <v8-json.h>
#include <v8-locker.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using phost::v8rt::ScanResult;
using phost::v8rt::Transpiler;

namespace {

void initialize_v8_once() {
  static const bool initialized = [] {
    static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(platform.get());
    v8::V8::Initialize();
    return true;
  }();
  (void)initialized;
}

Transpiler& transpiler() {
  initialize_v8_once();
  static Transpiler instance;
  return instance;
}

// 1-based line and column (bytes; the test sources are ASCII) of the first occurrence of needle.
std::pair<int, int> position_of(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE_MESSAGE(at != std::string::npos, needle);
  const size_t line_start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return {static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1,
          static_cast<int>(at - line_start) + 1};
}

// A plain V8 isolate for checking what the output does and what V8 itself sees.
class Js {
public:
  Js() {
    initialize_v8_once();
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator_shared.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    isolate_ = v8::Isolate::New(params);
  }
  ~Js() { isolate_->Dispose(); }
  Js(const Js&) = delete;
  Js& operator=(const Js&) = delete;

  // Runs the classic scripts one after another in a fresh context; the last one's value as JSON.
  std::string run(const std::vector<std::string>& scripts) {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handles(isolate_);
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    v8::Context::Scope context_scope(context);
    v8::TryCatch try_catch(isolate_);
    v8::Local<v8::Value> value;
    for (const std::string& text : scripts) {
      v8::Local<v8::String> source =
          v8::String::NewFromUtf8(isolate_, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
              .ToLocalChecked();
      v8::Local<v8::Script> script;
      if (!v8::Script::Compile(context, source).ToLocal(&script) || !script->Run(context).ToLocal(&value)) {
        v8::String::Utf8Value error(isolate_, try_catch.Exception());
        return std::string("threw: ") + (*error ? *error : "?");
      }
    }
    v8::Local<v8::String> json;
    if (!v8::JSON::Stringify(context, value).ToLocal(&json)) return "unstringifiable";
    v8::String::Utf8Value text(isolate_, json);
    return *text ? *text : "";
  }

private:
  v8::Isolate* isolate_;
};

// "a,b,c": comparable and printable by doctest.
std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

std::string position(const ScanResult::Import& import) {
  return std::to_string(import.line) + ":" + std::to_string(import.column);
}

}  // namespace

TEST_SUITE("transpiler") {

TEST_CASE("TypeScript constructs strip to JS that keeps the lines and columns of the source") {
  const std::string ts =
      "import type { Order } from './types';\n"
      "export type Id = string | number;\n"
      "enum Color { Red, Green = 4, Blue }\n"
      "interface Shape { area(): number }\n"
      "abstract class Base<T> {\n"
      "  abstract describe(): string;\n"
      "  constructor(protected readonly tag: T) {}\n"
      "}\n"
      "class Box<T extends object> extends Base<string> implements Shape {\n"
      "  private items: T[] = [];\n"
      "  constructor(public width: number, private height: number = 2) { super('box'); }\n"
      "  area(): number { return this.width * this.height; }\n"
      "  describe(): string { return `${this.tag}:${this.area()}`; }\n"
      "}\n"
      "const config = { retries: 3, name: 'x' } satisfies Record<string, unknown>;\n"
      "function first<T>(list: T[] | undefined): T | undefined { return list?.[0]; }\n"
      "let cache: { hits?: number } = {};\n"
      "cache.hits ?\?= 7; const mark1 = Color.Green;\n"
      "const order = null as unknown as Order | null; const mark2 = order?.id ?? 'none';\n"
      "const result = [new Box(3).area(), new Box(2, 5).describe(), Color[4], Color.Blue, config.retries,\n"
      "                first([9]), first(undefined) ?? 'empty', cache.hits, mark1, mark2];\n";
  const auto stripped = transpiler().strip(ts, "shapes.ts");
  REQUIRE_MESSAGE(stripped.ok, stripped.error);
  const std::string& js = stripped.code;
  CHECK(std::count(js.begin(), js.end(), '\n') == std::count(ts.begin(), ts.end(), '\n'));
  // Removed types are blanked, so even tokens after a type on the same line keep their column.
  for (const char* mark : {"class Box", "super('box')", "return this.width", "return `${this.tag}", "const config",
                           "function first", "return list?.[0]", "let cache", "cache.hits ?\?= 7", "const mark1",
                           "const mark2", "const result", "first([9])", "first(undefined)"}) {
    CAPTURE(mark);
    CHECK(position_of(js, mark) == position_of(ts, mark));
  }
  CHECK(js.find("interface") == std::string::npos);
  CHECK(js.find("satisfies") == std::string::npos);
  CHECK(js.find("import") == std::string::npos);  // the type-only import is gone
  CHECK(js.find("?.[0]") != std::string::npos);    // ES2022 kept, not lowered
  CHECK(js.find("?\?=") != std::string::npos);

  // The output is JS that V8 runs with TypeScript's semantics (enum values, parameter properties).
  Js v8js;
  CHECK(v8js.run({js, "result"}) == R"([6,"box:10","Green",5,3,9,"empty",7,4,"none"])");
}

TEST_CASE("a syntax error names file:line:col") {
  const auto result = transpiler().strip("const a = 1;\nlet b: number = ;\n", "orders/total.ts");
  CHECK_FALSE(result.ok);
  CHECK(result.error.rfind("orders/total.ts:2:17: ", 0) == 0);
  CAPTURE(result.error);
  const auto unterminated = transpiler().strip("let s = `abc\n\n", "t.ts");
  CHECK_FALSE(unterminated.ok);
  CHECK(unterminated.error.rfind("t.ts:", 0) == 0);
}

TEST_CASE("what sucrase cannot turn into equivalent JS is a load error at its position") {
  struct Case {
    const char* source;
    const char* prefix;
  };
  const Case cases[] = {
      {"let a = 1;\nnamespace Util { export const x = 1; }\n", "u.ts:2:1: a namespace holding values"},
      {"export namespace A.B { export function f() {} }\n", "u.ts:1:8: a namespace holding values"},
      {"class A {\n  @logged method() {}\n}\n", "u.ts:2:3: decorators are not supported"},
      {"const x = 1;\nexport = x;\n", "u.ts:2:1: `export =` is CommonJS"},
      {"import fs = require('fs');\nfs.readFileSync('x');\n", "u.ts:1:1: `import = require()` is CommonJS"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.source);
    const auto result = transpiler().strip(c.source, "u.ts");
    CHECK_FALSE(result.ok);
    CHECK(result.error.rfind(c.prefix, 0) == 0);
    CAPTURE(result.error);
  }
  // Namespaces of types only, and ambient ones, are erased as TypeScript does.
  const auto types_only = transpiler().strip(
      "namespace Api { export interface User { id: number } export type Id = number; }\n"
      "declare namespace Env { const mode: string; function f(): void; }\n"
      "declare module 'ext' { export const v: number; }\nexport const ok = 1;\n",
      "n.ts");
  CHECK_MESSAGE(types_only.ok, types_only.error);
}

TEST_CASE("scan lists exactly the top-level function declarations, whatever the lexer traps") {
  const std::string js =
      "var c = 1, x = '{';\n"
      "function alpha() { function nestedInAlpha() {} return function inner() {}; }\n"
      "if (c) /{/.test(x)\n"
      "function beta(a, b) { return a / b / 2; }\n"
      "const t = `${ { k: function notTop() { return `${ { y: '}' } }`; } }.k() }` + '`';\n"
      "// function commented(x) {\n"
      "/* function blockComment() { */\n"
      "const s = \"function inString() {\", s2 = 'function inSingle(';\n"
      "async function gamma() { await 1; }\n"
      "function* delta() { yield /}/; }\n"
      "async function* epsilon() {}\n"
      "const arrow = () => { function inArrow() {} };\n"
      "const expr = function named() {};\n"
      "(function iife() {})();\n"
      "class K { method() { function inMethod() {} } static { function inStatic() {} } }\n"
      "{ function inBlock() {} }\n"
      "if (c) { function inIf() {} }\n"
      "label: function labelled() {}\n"  // sloppy scripts hoist it like any declaration (Annex B)
      "const r = x.length > 0 ? /\\/function fake() {}/g : 1;\n"
      "function zeta() {}\n"
      "function alpha() {}\n";
  const ScanResult scan = transpiler().scan(js, false);
  REQUIRE_MESSAGE(scan.ok, scan.error);
  CHECK(join(scan.functions) == "alpha,beta,gamma,delta,epsilon,labelled,zeta");
  CHECK_FALSE(scan.module);
  CHECK(scan.imports.empty());
}

TEST_CASE("scan finds ES module functions: export function, export default function NAME") {
  const std::string js =
      "import def, { a as b } from './lib/a.js';\n"
      "import * as ns from \"../shared/ns\";\n"
      "import './side-effect';\n"
      "export function one() {}\n"
      "export async function two() {}\n"
      "export default function three() {}\n"
      "function four() { return import('./dynamic'); }\n"
      "export * from './star';\n"
      "export { q as r } from './re';\n"
      "export const five = () => 1;\n"
      "const quote = \"from './not-an-import'\";\n";
  const ScanResult scan = transpiler().scan(js, false);
  REQUIRE_MESSAGE(scan.ok, scan.error);
  CHECK(scan.module);
  CHECK(join(scan.functions) == "one,two,three,four");
  REQUIRE(scan.imports.size() == 5);
  const std::pair<std::string, std::string> expected[] = {
      {"./lib/a.js", "1:29"}, {"../shared/ns", "2:21"}, {"./side-effect", "3:8"}, {"./star", "8:15"}, {"./re", "9:24"}};
  for (size_t i = 0; i < scan.imports.size(); ++i) {
    CAPTURE(i);
    CHECK(scan.imports[i].specifier == expected[i].first);
    CHECK(position(scan.imports[i]) == expected[i].second);
  }
  // An anonymous default export is no process.
  const ScanResult anonymous = transpiler().scan("export default function () {}\n", false);
  CHECK(anonymous.ok);
  CHECK(anonymous.functions.empty());
}

TEST_CASE("module detection: declarations and import.meta make a module, import() does not") {
  struct Case {
    const char* source;
    bool module;
  };
  const Case cases[] = {
      {"function Main() { return 1; }", false},
      {"async function Main() { return (await import('./x')).v; }", false},
      {"const url = import.meta.url;", true},
      {"function f() { return import.meta.url; }", true},
      {"const o = { import: { meta: 1 } }; o.import.meta;", false},
      {"export {};", true},
      {"import './x';", true},
      {"const o = { import: 1, export: 2 }; o.import;", false},
      {"// import x from 'y'\nconst s = 'export default 1';", false},
  };
  for (const Case& c : cases) {
    const std::string source = c.source;
    CAPTURE(source);
    const ScanResult scan = transpiler().scan(source, false);
    REQUIRE_MESSAGE(scan.ok, scan.error);
    CHECK(scan.module == c.module);
  }
}

TEST_CASE("sloppy-only forms that sucrase's parser refuses fail the scan with a position") {
  // V8 accepts each of these classic scripts; the caller learns where sucrase stopped.
  const std::pair<std::string, std::string> cases[] = {
      {"function a() {}\nwith (o) { x = 1; }", "2:1: "},
      {"function b() {}\n<!-- an HTML-like comment", "2:1: "},
      {"var let = 1;", "1:5: "},
      {"if (a) function p() {}", "1:8: "},
  };
  for (const auto& c : cases) {
    const std::string& source = c.first;
    const std::string& position = c.second;
    CAPTURE(source);
    const ScanResult scan = transpiler().scan(source, false);
    CHECK_FALSE(scan.ok);
    CHECK(scan.error.rfind(position, 0) == 0);
    CAPTURE(scan.error);
  }
}

TEST_CASE("a TypeScript source is scanned as the JS it strips to") {
  const std::string ts =
      "import type { T } from './types';\n"
      "import { OnlyAType } from './only-types';\n"
      "import { used } from './used';\n"
      "declare function ambient(): void;\n"
      "function over(a: string): string;\n"
      "function over(a: number): number;\n"
      "function over(a: any): any { return used(a); }\n"
      "export function typed<X>(x: X, t?: T): OnlyAType | X { return x; }\n"
      "namespace Types { export interface I {} }\n";
  const ScanResult scan = transpiler().scan(ts, true);
  REQUIRE_MESSAGE(scan.ok, scan.error);
  CHECK(scan.module);
  CHECK(join(scan.functions) == "over,typed");
  REQUIRE(scan.imports.size() == 1);
  CHECK(scan.imports[0].specifier == "./used");
  CHECK(position(scan.imports[0]) == "3:22");

  const ScanResult js_with_types = transpiler().scan("function f(a: number) {}", false);
  CHECK_FALSE(js_with_types.ok);
  CHECK(js_with_types.error.rfind("1:13: ", 0) == 0);
  CAPTURE(js_with_types.error);
}

TEST_CASE("import specifiers are read as string values, escapes included") {
  const ScanResult scan = transpiler().scan("import a from './caf\\u00e9';\nimport b from \"./q\\\"uote\";\n", false);
  REQUIRE_MESSAGE(scan.ok, scan.error);
  REQUIRE(scan.imports.size() == 2);
  CHECK(scan.imports[0].specifier == "./caf\xc3\xa9");
  CHECK(scan.imports[1].specifier == "./q\"uote");
}

TEST_CASE("columns count UTF-16 code units and lines follow V8's line terminators") {
  // "é" is one UTF-16 unit (two UTF-8 bytes), "😀" two (four bytes); \r\n and \r end lines.
  const ScanResult scan =
      transpiler().scan("const s = '\xc3\xa9\xf0\x9f\x98\x80'; import x from './a';\r\n\rimport y from './b';", false);
  REQUIRE_MESSAGE(scan.ok, scan.error);
  REQUIRE(scan.imports.size() == 2);
  CHECK(position(scan.imports[0]) == "1:32");
  CHECK(position(scan.imports[1]) == "3:15");
}

TEST_CASE("scan agrees with V8 on the top-level functions of varied classic scripts") {
  // Snippets with {n} replaced by a unique number; each declares at most one top-level function.
  const std::vector<std::pair<std::string, bool>> snippets = {
      {"function top{n}(a, b) { return a + b; }\n", true},
      {"async function top{n}() { await null; }\n", true},
      {"function* top{n}() { yield 1; }\n", true},
      {"async function* top{n}() {}\n", true},
      {"function top{n}() { function nested{n}() {} return nested{n}; }\n", true},
      {"const arrow{n} = () => { function hidden{n}() {} };\n", false},
      {"let expr{n} = function named{n}() {};\n", false},
      {"(function iife{n}() {})();\n", false},
      {"class C{n} { m() { function inMethod{n}() {} } }\n", false},
      {"if (g) /{/.test(h);\n", false},
      {"var t{n} = `${ { k: function fake{n}() {} }.k.name }`;\n", false},
      {"// function commented{n}() {}\n", false},
      {"/* function inComment{n}() { */\n", false},
      {"var s{n} = 'function inString{n}() {' + \"}\";\n", false},
      {"if (false) { function inBlock{n}() {} }\n", false},
      {"var d{n} = g / 2 / 1, r{n} = /[/]function re{n}()/.source;\n", false},
      {"var o{n} = { f() { function inObj{n}() {} }, ['k' + '{n}']: 1 };\n", false},
      {"switch (g) { case 2: function inCase{n}() {} }\n", false},  // Annex B: a var, a function once run
      {"try { h; } catch { function inCatch{n}() {} } finally {}\n", false},
      {"var tpl{n} = `a${g}b${`c${ `${h}` }`}`;\n", false},
      {"lbl{n}: for (;;) { break lbl{n}; }\n", false},
      {"var w{n} = g < 1 ? h : (g) / 2;\n", false},
  };
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  Js v8js;
  const std::string probe =
      "Object.getOwnPropertyNames(globalThis).filter(n => { const d = Object.getOwnPropertyDescriptor(globalThis, n);"
      " return !d.configurable && typeof d.value === 'function'; }).sort().join()";
  for (int round = 0; round < 60; ++round) {
    std::string source = "var g = 1, h = '{';\n";
    const uint64_t count = 3 + next(12);
    for (uint64_t i = 0; i < count; ++i) {
      std::string snippet = snippets[next(snippets.size())].first;
      for (size_t at; (at = snippet.find("{n}")) != std::string::npos;) {
        snippet.replace(at, 3, std::to_string(round * 100 + static_cast<int>(i)));
      }
      source += snippet;
    }
    CAPTURE(source);
    const ScanResult scan = transpiler().scan(source, false);
    REQUIRE_MESSAGE(scan.ok, scan.error);
    std::vector<std::string> names = scan.functions;
    std::sort(names.begin(), names.end());
    CHECK(v8js.run({source, probe}) == "\"" + join(names) + "\"");
  }
}

TEST_CASE("the top level of a TypeScript source, read from its own tokens, is that of the JS it strips to") {
  // scan(ts, true) reads sucrase's TypeScript tokens (removed ones skipped);
  // scan(js, false) parses the output afresh. They must agree on everything.
  const std::vector<std::string> snippets = {
      "import type { T{n} } from './types{n}';\n",
      "import { OnlyType{n} } from './only{n}'; let v{n}: OnlyType{n} | null = null;\n",
      "import { used{n} } from './used{n}'; export function f{n}() { return used{n}(); }\n",
      "import { type A{n}, b{n} } from \"./mixed{n}\"; const c{n}: A{n} = b{n};\n",
      "import def{n}, * as ns{n} from './ns{n}'; console.log(def{n}, ns{n});\n",
      "import './side{n}';\n",
      "export type { X{n} } from './tx{n}';\n",
      "export { y{n} } from './re{n}';\n",
      "export * from './star{n}';\n",
      "export * as all{n} from './all{n}';\n",
      "import Alias{n} = Space.Member;\n",
      "export default interface Shape{n} { area(): number }\n",
      "export declare function ambient{n}(): void;\n",
      "function over{n}(a: string): string;\nfunction over{n}(a: any) { return a; }\n",
      "export enum E{n} { A, B }\n",
      "export abstract class C{n}<T> { constructor(private x: T) {} abstract m(): void; }\n",
      "export const k{n} = <T,>(x: T): T => x;\n",
      "async function* gen{n}(): AsyncGenerator<number> { yield 1; }\n",
      "namespace Types{n} { export interface I {} }\n",
      "declare module 'mod{n}' { export function hidden{n}(): void; }\n",
      "const r{n} = (x as any) / 2 / (y satisfies number);\n",
      "export {};\n",
  };
  uint64_t state = 0x2545f4914f6cdd1dULL;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  auto describe = [](const ScanResult& scan) {
    std::string out = std::string(scan.module ? "module" : "script") + " [" + join(scan.functions) + "]";
    // Lines only: sucrase writes `import a, * as b` as `import a , * as b`, one column off in the output.
    for (const auto& import : scan.imports) out += " " + import.specifier + "@" + std::to_string(import.line);
    return out;
  };
  for (int round = 0; round < 80; ++round) {
    std::string source;
    const uint64_t count = 1 + next(8);
    for (uint64_t i = 0; i < count; ++i) {
      std::string snippet = snippets[next(snippets.size())];
      for (size_t at; (at = snippet.find("{n}")) != std::string::npos;) {
        snippet.replace(at, 3, std::to_string(round * 100 + static_cast<int>(i)));
      }
      source += snippet;
    }
    CAPTURE(source);
    const ScanResult from_tokens = transpiler().scan(source, true);
    REQUIRE_MESSAGE(from_tokens.ok, from_tokens.error);
    const auto stripped = transpiler().strip(source, "t.ts");
    REQUIRE_MESSAGE(stripped.ok, stripped.error);
    const ScanResult from_output = transpiler().scan(stripped.code, false);
    REQUIRE_MESSAGE(from_output.ok, from_output.error);
    CHECK(describe(from_tokens) == describe(from_output));
  }
}

TEST_CASE("hostile sources give an error or a result, never a crash or a hang") {
  // 5 MB of statements.
  std::string big;
  while (big.size() < (size_t{5} << 20)) big += "let v" + std::to_string(big.size()) + ": number = 1 + 2;\n";
  const auto large = transpiler().strip(big, "big.ts");
  CHECK((large.ok || !large.error.empty()));
  // Deep nesting overflows sucrase's recursive parser: a RangeError, reported where the parser gave up.
  const std::pair<std::string, std::string> deep[] = {
      {std::string(200000, '(') + "1" + std::string(200000, ')'), "nesting too deep"},
      {std::string(200000, '['), "nesting too deep"},
      {"let a = 1;\n" + std::string(100000, '{'), "nesting too deep"},
      {"let s = `${" + std::string(50001, '`') + "}`", "Unterminated template"},
  };
  for (const auto& d : deep) {
    const std::string& source = d.first;
    const std::string& why = d.second;
    CAPTURE(why);
    const auto stripped = transpiler().strip(source, "deep.ts");
    CHECK_FALSE(stripped.ok);
    CHECK(stripped.error.rfind("deep.ts:", 0) == 0);
    CHECK(stripped.error.find(why) != std::string::npos);
    const ScanResult scan = transpiler().scan(source, false);
    CHECK_FALSE(scan.ok);
    CHECK(scan.error.find(why) != std::string::npos);
    CAPTURE(scan.error);
  }
  for (const std::string& junk : {std::string("\0\0\xff\xfe", 4), std::string("/*"), std::string("`${"),
                                 std::string("}); globalThis.pwned = 1; (function(){")}) {
    CHECK_FALSE(transpiler().scan(junk, false).ok);
  }
  // Invalid UTF-8 reaches sucrase as U+FFFD, which it lexes leniently (V8 will reject it when compiling).
  CHECK(transpiler().scan("\xc3", false).functions.empty());
  // Still serving after all that.
  const ScanResult after = transpiler().scan("function ok() {}", false);
  CHECK(after.ok);
  CHECK(join(after.functions) == "ok");
}

TEST_CASE("a call past its deadline is stopped and the next call works") {
  initialize_v8_once();
  Transpiler::Options options;
  // Short enough that the strip is stopped long before its memory reaches
  // the transpiler's heap limit, however fast the machine (at 300 ms a quiet
  // one hit the limit first).
  options.deadline = std::chrono::milliseconds(60);
  Transpiler quick(options);
  REQUIRE(quick.warm_up().empty());
  std::string slow;
  while (slow.size() < (size_t{8} << 20)) slow += "const a" + std::to_string(slow.size()) + " = b?.c ?? d;\n";
  const auto started = std::chrono::steady_clock::now();
  const auto result = quick.strip(slow, "slow.ts");
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(result.ok);
  CHECK(result.error == "slow.ts:1:1: took longer than 60 ms");
  CHECK(took < std::chrono::milliseconds(2500));  // unstopped, it runs for seconds (15 s in Node)
  const auto next = quick.strip("let x: number = 1;", "next.ts");
  CHECK(next.ok);
  CHECK(next.code == "let x         = 1;");
}

TEST_CASE("loading the engine does not count against the first caller's deadline") {
  initialize_v8_once();
  Transpiler fresh;
  const auto started = std::chrono::steady_clock::now();
  const ScanResult scan = fresh.scan("function first() {}", false, started + std::chrono::milliseconds(20));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(scan.ok);
  CHECK(scan.error == "");
  CHECK(join(scan.functions) == "first");
  CHECK(took > std::chrono::milliseconds(20));  // the load alone outlasts the deadline it was excluded from
}

TEST_CASE("the heap limit fails the call, and a fresh isolate serves the next one") {
  initialize_v8_once();
  Transpiler::Options options;
  options.heap_limit = size_t{16} << 20;
  options.deadline = std::chrono::seconds(20);
  Transpiler small(options);
  std::string big;
  while (big.size() < (size_t{6} << 20)) big += "f(a, [b, {c: d}], `e${g}`);\n";
  const auto result = small.scan(big, false);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "1:1: exceeded the transpiler's heap limit of 16 MB");
  // Larger than the heap itself: refused before anything is copied or parsed.
  const auto refused = small.strip(std::string((size_t{16} << 20) + 1, ' '), "huge.ts");
  CHECK(refused.error == "huge.ts:1:1: a source of 16 MB exceeds the transpiler's heap limit of 16 MB");
  const auto next = small.scan("function again() {}", false);
  CHECK(next.ok);
  CHECK(join(next.functions) == "again");
}

TEST_CASE("concurrent callers from many threads all get their own results") {
  Transpiler& shared = transpiler();
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&shared, &wrong, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string name = "f" + std::to_string(t) + "_" + std::to_string(i);
        const auto stripped = shared.strip("function " + name + "(a: number): number { return a; }", name + ".ts");
        const ScanResult scan = shared.scan(stripped.code, false);
        if (!stripped.ok || !scan.ok || scan.functions != std::vector<std::string>{name}) ++wrong[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == std::vector<int>(8, 0));
}

TEST_CASE("a transpiler created and destroyed without a call, or after one, leaves cleanly") {
  initialize_v8_once();
  { Transpiler unused; }
  Transpiler used;
  CHECK(used.strip("let a: string = 'x';", "a.ts").code == "let a         = 'x';");
}

}  // TEST_SUITE
