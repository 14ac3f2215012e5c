// fuzz_script_load: bytes as a script source (not UTF-8: skipped, the value
// layer refuses it before the runtime sees it) -> runtime.load("f", source).
// Either it loads ({id: "f", module: bool}) or it fails with a clear error
// (not PHOST_E_INTERNAL, an HTTP-like code, a non-empty UTF-8 message),
// never a crash or a hang (timeout_ms is 250). After every load a probe
// script, loaded once at start-up, checks the shared context:
//   - every global that was there at start-up is still there, the same value;
//   - the shared built-ins have the same own keys and are still frozen;
//   - Process/Exception/Context are the same and Exception still works;
//   - the probe's own namespace state is intact: a counter in its top-level
//     `let` never goes back (it would if the probe's version were replaced).
// A script cannot create globals (a sloppy `x = 1` or `globalThis.x = 1` is a
// ReferenceError); the probe still removes any it finds, and the comparison
// of names before and after would show one.
// The fuzzed script's functions are never called: load + probe only.
// One more oracle: when a classic script fails to compile, the probe checks
// with `new Function(param, source)` that V8 refuses the source alone too,
// so that the namespace epilogue runtime.load appends can never turn a valid
// script into a SyntaxError.
#include "v8_support.hpp"

using namespace fuzz;

namespace {

V8Host* g_host = nullptr;
std::string g_baseline;  // the probe's result without `calls`
int64_t g_calls = 0;

constexpr char kProbe[] = R"JS(
const names0 = Object.getOwnPropertyNames(globalThis);
const values0 = names0.map((n) => globalThis[n]);
const shared = [Object.prototype, Array.prototype, Function.prototype, Error.prototype, String.prototype,
                Promise.prototype, JSON, Math, Reflect];
const keys0 = shared.map((o) => Reflect.ownKeys(o).length);
const process0 = Process, exception0 = Exception, context0 = Context;
let calls = 0;
// Whether V8 takes the source alone as a classic script's body (as runtime.load compiles it, without the epilogue).
function Compiles(source) {
  try {
    new Function('__phost_namespace__', source);
    return true;
  } catch (e) {
    return false;
  }
}
function Probe() {
  calls += 1;
  const names = Object.getOwnPropertyNames(globalThis);
  // A script's own globals (sloppy assignments, globalThis.x = ...) go again when they can.
  for (const n of names) if (!names0.includes(n)) delete globalThis[n];
  let error = '';
  try { Exception('probe', 418); } catch (e) { error = `${e.message}:${e.code}`; }
  return {
    calls,
    missing: names0.filter((n) => !Object.getOwnPropertyDescriptor(globalThis, n)),
    replaced: names0.filter((n, i) => !Object.is(globalThis[n], values0[i])),
    keys: shared.map((o, i) => Reflect.ownKeys(o).length - keys0[i]),
    frozen: shared.every((o) => Object.isFrozen(o)),
    bridge: Process === process0 && Exception === exception0 && Context === context0,
    error,
    json: JSON.stringify({ a: [1, 'b'] }),
    sum: [1, 2, 3].map((v) => v * 2).reduce((a, b) => a + b, 0),
  };
}
)JS";

// The probe's result as JSON, without the counter (checked here).
std::string probe(std::string_view after) {
  const Ref args = args_of({});
  Outcome o = g_host->call("scripts.probe.Probe", args.get());
  FUZZ_CHECK(o.status == PHOST_OK, "probe failed after loading:\n" + shown(after) + "\n" + err_text(o.error));
  const phost_value* calls = api().value_find(o.value.get(), S("calls"));
  int64_t n = 0;
  FUZZ_CHECK(calls && api().value_get_int(calls, &n) == PHOST_OK, "probe result without calls");
  // Up by one per probe; by more when the fuzzed script called the probe itself.
  FUZZ_CHECK(n > g_calls, "the probe's namespace state went back (calls " + std::to_string(n) + ", before " +
                              std::to_string(g_calls) + ") after loading:\n" + shown(after));
  g_calls = n;
  phost_value* rest = nullptr;
  api().value_object(8, &rest);
  const Ref owned(rest);
  const size_t len = api().value_len(o.value.get());
  for (size_t i = 0; i < len; ++i) {
    phost_str key{};
    const phost_value* item = api().value_at(o.value.get(), i, &key);
    if (V(key) == "calls") continue;
    api().value_retain(item);
    api().value_set(rest, key, const_cast<phost_value*>(item));
  }
  std::string text;
  to_json(rest, text);
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_host = new V8Host(250);
  g_host->must_load("probe", kProbe);
  g_baseline = probe("(nothing yet)");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  if (!valid_utf8(source)) return -1;

  const Outcome o = g_host->load("f", source);
  if (o.status == PHOST_OK) {
    const phost_value* id = api().value_find(o.value.get(), S("id"));
    phost_str s{};
    FUZZ_CHECK(id && api().value_get_str(id, &s) == PHOST_OK && V(s) == "f", "load result without id 'f'");
    FUZZ_CHECK(api().value_kind(api().value_find(o.value.get(), S("module"))) == PHOST_BOOL, "no module flag");
  } else {
    const std::string what = err_text(o.error) + "\nsource: " + shown(source);
    FUZZ_CHECK(o.status != PHOST_E_INTERNAL, what);
    FUZZ_CHECK(o.error.code >= 100 && o.error.code <= 599, what);
    FUZZ_CHECK(!o.error.message.empty(), what);
    FUZZ_CHECK(valid_utf8(o.error.message), what);
    // A classic script V8 compiles must not fail to compile because of the
    // namespace epilogue runtime.load appends (built from source_scan's guesses).
    if (o.error.message.rfind("compiling script 'f'", 0) == 0) {
      const Ref text = string_value(source);
      const Ref args = args_of({text.get()});
      const Outcome alone = g_host->call("scripts.probe.Compiles", args.get());
      FUZZ_CHECK(alone.status == PHOST_OK, "Compiles failed: " + err_text(alone.error));
      int32_t compiles = 0;
      api().value_get_bool(alone.value.get(), &compiles);
      FUZZ_CHECK(!compiles, "V8 compiles this classic script, but runtime.load refused it:\n" + what);
    }
    // Out of memory replaces the isolate: the probe starts again in a fresh context.
    if (o.status == PHOST_E_NO_MEMORY) g_calls = 0;
  }

  const std::string now = probe(source);
  FUZZ_CHECK(now == g_baseline, "the shared context changed after loading:\n" + shown(source) + "\nbefore: " +
                                    shown(g_baseline, 2000) + "\nafter:  " + shown(now, 2000));
  return 0;
}
