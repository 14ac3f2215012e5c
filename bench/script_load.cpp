// bench_script_load: what loading scripts costs in phost's V8 runtime.
//   (a) 10,000 small scripts through runtime.load, then one call each: us per
//       load, us per first call, V8 heap and RSS per script;
//   (b) reloading one script 100,000 times (+ a call each): us per reload+call
//       and RSS growth after a warm-up of 1,000;
//   (c) cold start of 1,000 distinct ~35-line scripts (each Main called once)
//       in a fresh host, without and with a code cache directory filled by a
//       previous host in this process;
//   (d) why the code cache helps as much as it does: the same 1,000 scripts
//       compiled on raw V8 (own isolates, same process) with caches made at
//       different moments (after the top-level run, as phost does; after the
//       first call; with kEagerCompile).
// Nothing is asserted on time; results are checked for correctness.
//
// Usage: bench_script_load [fraction, default 1.0]  (scales the script and reload counts)
#include "v8_baselines.hpp"

#include <phost/host.hpp>

#include <v8-statistics.h>

#include <cmath>
#include <filesystem>
#include <functional>

#ifndef PHOST_V8_PLUGIN
#error "PHOST_V8_PLUGIN: the path of libphost_v8.so"
#endif

namespace {

using bench::die;
using bench::now_ns;

double g_fraction = 1.0;
int64_t scaled(int64_t n) { return std::max<int64_t>(10, std::llround(double(n) * g_fraction)); }

std::unique_ptr<phost::Host> make_host(int isolates, const std::string& cache_dir = "") {
  phost::HostOptions options;
  options.log_level = PHOST_LOG_WARN;
  auto host = std::make_unique<phost::Host>(options);
  phost::Value config = phost::Value::object();
  config.set("isolates", phost::Value::integer(isolates));
  config.set("timeout_ms", phost::Value::integer(60000));
  if (!cache_dir.empty()) config.set("cache_dir", phost::Value::string(cache_dir));
  host->load_plugin(PHOST_V8_PLUGIN, config);
  return host;
}

void load(phost::Host& host, const std::string& id, const std::string& source) {
  host.call("runtime.load", phost::args(id, source, id + ".js"));
}

struct Stats {
  int64_t used_heap = 0, hits = 0, misses = 0, rejected = 0, stored = 0;
};

Stats stats(phost::Host& host, bool gc) {
  phost::Value options = phost::Value::object();
  options.set("gc", phost::Value::boolean(gc));
  const phost::Value s = host.call("runtime.stats", phost::args(std::move(options)));
  Stats out;
  out.used_heap = s["heap"]["used_heap_bytes"].as_int();
  out.hits = s["code_cache"]["hits"].as_int();
  out.misses = s["code_cache"]["misses"].as_int();
  out.rejected = s["code_cache"]["rejected"].as_int();
  out.stored = s["code_cache"]["stored"].as_int();
  return out;
}

std::string small_script(int64_t i) {
  return "const cfg = " + std::to_string(i) + "; function Main(){return cfg}";
}

// ~35 lines, several functions, distinct per n; Main() calls them all.
std::string big_script(int n) {
  const std::string N = std::to_string(n);
  return "// order rules, variant " + N + "\n"
         "const RATE = " + std::to_string(n % 17) + " / 100;\n"
         "const LIMIT = " + std::to_string(100 + n) + ";\n"
         "function clamp(v, lo, hi) {\n"
         "  return v < lo ? lo : v > hi ? hi : v;\n"
         "}\n"
         "function subtotal(items) {\n"
         "  let total = 0;\n"
         "  for (const item of items) total += item.price * item.qty;\n"
         "  return total;\n"
         "}\n"
         "function discount(total, level) {\n"
         "  switch (level) {\n"
         "    case 'gold': return total * 0.1;\n"
         "    case 'silver': return total * 0.05;\n"
         "    default: return total > LIMIT ? " + std::to_string(n % 7) + " : 0;\n"
         "  }\n"
         "}\n"
         "function tax(amount) {\n"
         "  return Math.round(amount * RATE * 100) / 100;\n"
         "}\n"
         "function label(items) {\n"
         "  return items.filter((i) => i.qty > 0).map((i) => i.sku + 'x' + i.qty).join(',');\n"
         "}\n"
         "function Main() {\n"
         "  const items = [\n"
         "    {sku: 'a" + N + "', price: " + std::to_string(10 + n % 13) + ", qty: 2},\n"
         "    {sku: 'b" + N + "', price: 3, qty: 0},\n"
         "    {sku: 'c" + N + "', price: 7.5, qty: 4},\n"
         "  ];\n"
         "  const sub = subtotal(items);\n"
         "  const off = clamp(discount(sub, " + N + " % 3 ? 'gold' : 'none'), 0, sub);\n"
         "  const net = sub - off;\n"
         "  return {id: " + N + ", label: label(items), net, tax: tax(net), total: net + tax(net)};\n"
         "}\n";
}

constexpr const char* kBigNames[] = {"RATE", "LIMIT", "clamp", "subtotal", "discount", "tax", "label", "Main"};

// ---- (a) ------------------------------------------------------------------

void part_a() {
  const int64_t n = scaled(10'000);
  auto host = make_host(1);
  const Stats s0 = stats(*host, true);
  const int64_t rss0 = bench::rss_bytes();

  int64_t t0 = now_ns();
  for (int64_t i = 0; i < n; ++i) load(*host, "s" + std::to_string(i), small_script(i));
  const int64_t load_ns = now_ns() - t0;
  const Stats s_loaded = stats(*host, true);
  const int64_t rss_loaded = bench::rss_bytes();

  std::vector<std::string> names;
  names.reserve(size_t(n));
  for (int64_t i = 0; i < n; ++i) names.push_back("scripts.s" + std::to_string(i) + ".Main");
  t0 = now_ns();
  for (int64_t i = 0; i < n; ++i)
    if (host->call(names[size_t(i)]).as_int() != i) die("(a) wrong result from " + names[size_t(i)]);
  const int64_t first_ns = now_ns() - t0;
  t0 = now_ns();
  for (int64_t i = 0; i < n; ++i)
    if (host->call(names[size_t(i)]).as_int() != i) die("(a) wrong result from " + names[size_t(i)]);
  const int64_t second_ns = now_ns() - t0;
  const int64_t rss1 = bench::rss_bytes();
  const Stats s1 = stats(*host, true);

  std::printf("(a) %lld scripts `const cfg = i; function Main(){return cfg}`, isolates=1\n", (long long)n);
  std::printf("    runtime.load:            %8.1f us/script  (%.0f ms total)\n", double(load_ns) / 1e3 / double(n),
              double(load_ns) / 1e6);
  std::printf("    first call (compiles):   %8.1f us/script  (%.0f ms total)\n", double(first_ns) / 1e3 / double(n),
              double(first_ns) / 1e6);
  std::printf("    second call:             %8.1f us/script\n", double(second_ns) / 1e3 / double(n));
  std::printf("    V8 heap (after full GC): %8.0f bytes/script after the calls (%.1f -> %.1f MiB); "
              "%.0f bytes/script after loading only\n",
              double(s1.used_heap - s0.used_heap) / double(n), bench::mib(s0.used_heap), bench::mib(s1.used_heap),
              double(s_loaded.used_heap - s0.used_heap) / double(n));
  std::printf("    RSS:                     %8.0f bytes/script after the calls (%.1f -> %.1f MiB); "
              "%.0f bytes/script after loading only\n",
              double(rss1 - rss0) / double(n), bench::mib(rss0), bench::mib(rss1),
              double(rss_loaded - rss0) / double(n));
  std::printf("    code cache: %lld stored, %lld misses, %lld hits (memory only: no cache_dir)\n",
              (long long)s1.stored, (long long)s1.misses, (long long)s1.hits);
}

// ---- (b) ------------------------------------------------------------------

void part_b() {
  const int64_t warmup = 1'000, n = scaled(100'000);
  auto host = make_host(1);
  int64_t version = 0;
  auto reload_and_call = [&] {
    ++version;
    load(*host, "r", small_script(version));
    if (host->call("scripts.r.Main").as_int() != version) die("(b) reload did not take effect");
  };
  for (int64_t i = 0; i < warmup; ++i) reload_and_call();
  const Stats s0 = stats(*host, false);
  const int64_t rss0 = bench::rss_bytes();
  const int64_t faults0 = bench::minor_faults();
  std::vector<double> per_block;
  const int64_t block = std::max<int64_t>(1, n / 10);
  int64_t t0 = now_ns(), tb = t0;
  for (int64_t i = 1; i <= n; ++i) {
    reload_and_call();
    if (i % block == 0) {
      const int64_t t = now_ns();
      per_block.push_back(double(t - tb) / 1e3 / double(block));
      tb = t;
    }
  }
  const int64_t total_ns = now_ns() - t0;
  const int64_t rss1 = bench::rss_bytes();
  const int64_t faults1 = bench::minor_faults();
  const Stats s1 = stats(*host, false);
  const Stats s1gc = stats(*host, true);
  const int64_t rss1gc = bench::rss_bytes();

  std::printf("(b) reload one script (distinct source each time) + call it, isolates=1, %lld times after %lld warm-up\n",
              (long long)n, (long long)warmup);
  std::printf("    reload+call:  %.1f us (mean); per tenth of the run: median %.1f, min %.1f, max %.1f us\n",
              double(total_ns) / 1e3 / double(n), bench::median(per_block),
              *std::min_element(per_block.begin(), per_block.end()),
              *std::max_element(per_block.begin(), per_block.end()));
  const double growth = bench::mib(rss1 - rss0);
  std::printf("    RSS:          %.1f -> %.1f MiB = %+.1f MiB (%+.0f bytes/reload)  -> target < 10 MB %s\n",
              bench::mib(rss0), bench::mib(rss1), growth, double(rss1 - rss0) / double(n),
              double(rss1 - rss0) < 10e6 ? "MET" : "NOT MET");
  std::printf("    after runtime.stats({gc:true}): RSS %.1f MiB (%+.1f MiB vs after warm-up)\n", bench::mib(rss1gc),
              bench::mib(rss1gc - rss0));
  std::printf("    V8 heap used: %.1f -> %.1f MiB (no GC forced), %.1f MiB after a full GC; minor faults %+lld\n",
              bench::mib(s0.used_heap), bench::mib(s1.used_heap), bench::mib(s1gc.used_heap),
              (long long)(faults1 - faults0));
  std::printf("    code cache: stored %lld -> %lld (one entry per version, kept in memory)\n\n", (long long)s0.stored,
              (long long)s1.stored);
}

// ---- (c) ------------------------------------------------------------------

struct ColdStart {
  double host_ms = 0, load_ms = 0, call_ms = 0;
  double total() const { return host_ms + load_ms + call_ms; }
  Stats stats;
};

ColdStart cold_start(const std::vector<std::string>& sources, const std::string& cache_dir) {
  ColdStart out;
  int64_t t0 = now_ns();
  auto host = make_host(1, cache_dir);
  out.host_ms = double(now_ns() - t0) / 1e6;
  t0 = now_ns();
  for (size_t i = 0; i < sources.size(); ++i) load(*host, "big" + std::to_string(i), sources[i]);
  out.load_ms = double(now_ns() - t0) / 1e6;
  t0 = now_ns();
  for (size_t i = 0; i < sources.size(); ++i) {
    const phost::Value r = host->call("scripts.big" + std::to_string(i) + ".Main");
    if (r["id"].as_int() != int64_t(i)) die("(c) wrong result from big" + std::to_string(i));
  }
  out.call_ms = double(now_ns() - t0) / 1e6;
  out.stats = stats(*host, false);
  return out;
}

void part_c(const std::vector<std::string>& sources) {
  const auto base = std::filesystem::temp_directory_path() / ("phost_bench_cache_" + std::to_string(getpid()));
  std::filesystem::remove_all(base);
  constexpr int kRounds = 3;
  std::vector<ColdStart> without, with;
  ColdStart fill;
  for (int r = 0; r < kRounds; ++r) {
    without.push_back(cold_start(sources, ""));
    const std::string dir = (base / std::to_string(r)).string();
    fill = cold_start(sources, dir);  // a previous host fills the directory
    with.push_back(cold_start(sources, dir));
    // Each script hits twice: its prepared source and its code.
    if (with.back().stats.hits < int64_t(sources.size()) || with.back().stats.rejected != 0)
      die("(c) the code cache was not used: hits " + std::to_string(with.back().stats.hits) + ", rejected " +
          std::to_string(with.back().stats.rejected));
  }
  uintmax_t bytes = 0;
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(base / "0")) {
    bytes += e.file_size();
    ++files;
  }
  std::filesystem::remove_all(base);

  auto med = [](const std::vector<ColdStart>& v, double (*f)(const ColdStart&)) {
    std::vector<double> x;
    for (const auto& c : v) x.push_back(f(c));
    return bench::median(x);
  };
  auto row = [&](const char* name, const std::vector<ColdStart>& v) {
    std::printf("    %-26s host+plugin %6.1f  loads %7.1f  first calls %7.1f  total %7.1f  (totals:", name,
                med(v, [](const ColdStart& c) { return c.host_ms; }), med(v, [](const ColdStart& c) { return c.load_ms; }),
                med(v, [](const ColdStart& c) { return c.call_ms; }), med(v, [](const ColdStart& c) { return c.total(); }));
    for (const auto& c : v) std::printf(" %.0f", c.total());
    std::printf(")\n");
  };
  std::printf("(c) cold start: %zu distinct scripts of ~35 lines (6 functions), each Main() called once, fresh host "
              "(isolates=1); ms, median of %d\n", sources.size(), kRounds);
  row("without code cache", without);
  row("with cache_dir (filled)", with);
  std::printf("    the filling host: %lld entries stored, %zu files, %.0f bytes/entry on disk\n",
              (long long)fill.stats.stored, files, files ? double(bytes) / double(files) : 0.0);
  const double w = med(without, [](const ColdStart& c) { return c.total(); });
  const double c = med(with, [](const ColdStart& x) { return x.total(); });
  const double wlc = med(without, [](const ColdStart& x) { return x.load_ms + x.call_ms; });
  const double clc = med(with, [](const ColdStart& x) { return x.load_ms + x.call_ms; });
  std::printf("    reduction: %.1f%% of the total, %.1f%% of loads+first calls  -> target >= 30%% %s\n\n",
              100 * (1 - c / w), 100 * (1 - clc / wlc), 100 * (1 - c / w) >= 30 ? "MET" : "NOT MET");
}

// ---- (d) ------------------------------------------------------------------

// The body phost compiles for a classic script: the source plus an epilogue
// that fills the namespace (same shape as runtime/src/source_scan.cpp).
template <class Names>
std::string phost_body(const std::string& source, const Names& names) {
  std::string out = source + "\n;";
  for (const char* name : names) {
    out += std::string("if (typeof ") + name + " === 'function' && " + name + " !== globalThis[\"" + name +
           "\"]) __phost_namespace__." + name + " = " + name + ";\n";
  }
  return out + "return __phost_namespace__;";
}

enum class CacheMode { none, after_top_level, after_first_call, eager };

const char* mode_name(CacheMode m) {
  switch (m) {
    case CacheMode::none: return "no cache";
    case CacheMode::after_top_level: return "cache made after top level (phost)";
    case CacheMode::after_first_call: return "cache made after first call";
    case CacheMode::eager: return "cache made with kEagerCompile";
  }
  return "?";
}

using Cache = std::unique_ptr<v8::ScriptCompiler::CachedData>;

// Compiles body as phost does; consumes *cache if given. Runs the top level,
// then (if call) Main(). Returns the wrapper function.
v8::Local<v8::Function> compile_run(v8::Local<v8::Context> context, const std::string& body, const Cache* cache,
                                    v8::ScriptCompiler::CompileOptions options, bool call, bool* rejected,
                                    int64_t expect_id) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  v8::ScriptOrigin origin(isolate, bench::str(isolate, "big.js"));
  v8::ScriptCompiler::Source source(
      bench::str(isolate, body), origin,
      cache ? new v8::ScriptCompiler::CachedData((*cache)->data, (*cache)->length) : nullptr);
  v8::Local<v8::String> params[] = {bench::str(isolate, "__phost_namespace__")};
  v8::Local<v8::Function> wrapper;
  if (!v8::ScriptCompiler::CompileFunction(context, &source, 1, params, 0, nullptr,
                                           cache ? v8::ScriptCompiler::kConsumeCodeCache : options)
           .ToLocal(&wrapper))
    die("(d) compile failed");
  if (rejected) *rejected = cache && source.GetCachedData()->rejected;
  v8::Local<v8::Value> argv[] = {v8::Object::New(isolate)};
  v8::Local<v8::Value> ns;
  if (!wrapper->Call(context, v8::Undefined(isolate), 1, argv).ToLocal(&ns)) die("(d) top level failed");
  if (call) {
    v8::Local<v8::Value> main, result, id;
    if (!ns.As<v8::Object>()->Get(context, bench::str(isolate, "Main")).ToLocal(&main) || !main->IsFunction() ||
        !main.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&result) ||
        !result.As<v8::Object>()->Get(context, bench::str(isolate, "id")).ToLocal(&id) ||
        id->IntegerValue(context).FromJust() != expect_id)
      die("(d) Main failed");
  }
  return scope.Escape(wrapper);
}

std::vector<Cache> produce(const std::vector<std::string>& bodies, CacheMode mode) {
  std::vector<Cache> out;
  bench::RawIsolate isolate;
  bench::RawContext context(isolate.get());
  for (size_t i = 0; i < bodies.size(); ++i) {
    v8::HandleScope scope(isolate.get());
    v8::Local<v8::Function> wrapper;
    if (mode == CacheMode::eager) {
      // Compile eagerly and produce at once (nothing run yet).
      v8::TryCatch try_catch(isolate.get());
      v8::ScriptOrigin origin(isolate.get(), bench::str(isolate.get(), "big.js"));
      v8::ScriptCompiler::Source source(bench::str(isolate.get(), bodies[i]), origin);
      v8::Local<v8::String> params[] = {bench::str(isolate.get(), "__phost_namespace__")};
      if (!v8::ScriptCompiler::CompileFunction(context.get(), &source, 1, params, 0, nullptr,
                                               v8::ScriptCompiler::kEagerCompile)
               .ToLocal(&wrapper))
        die("(d) eager compile failed");
    } else {
      wrapper = compile_run(context.get(), bodies[i], nullptr, v8::ScriptCompiler::kNoCompileOptions,
                            mode == CacheMode::after_first_call, nullptr, int64_t(i));
    }
    out.emplace_back(v8::ScriptCompiler::CreateCodeCacheForFunction(wrapper));
    if (!out.back()) die("(d) no cache produced");
  }
  return out;
}

struct Consumed {
  double ms = 0;
  int64_t rejected = 0;
};

// A fresh isolate: compile + top level + Main() for every body.
Consumed consume(const std::vector<std::string>& bodies, const std::vector<Cache>* caches) {
  bench::RawIsolate isolate;
  bench::RawContext context(isolate.get());
  Consumed out;
  const int64_t t0 = now_ns();
  for (size_t i = 0; i < bodies.size(); ++i) {
    v8::HandleScope scope(isolate.get());
    bool rejected = false;
    compile_run(context.get(), bodies[i], caches ? &(*caches)[i] : nullptr, v8::ScriptCompiler::kNoCompileOptions,
                true, &rejected, int64_t(i));
    out.rejected += rejected;
  }
  out.ms = double(now_ns() - t0) / 1e6;
  return out;
}

// What runtime.load adds: a syntax-check CompileFunction that is thrown away.
double syntax_checks(const std::vector<std::string>& bodies) {
  bench::RawIsolate isolate;
  bench::RawContext context(isolate.get());
  const int64_t t0 = now_ns();
  for (const auto& body : bodies) {
    v8::HandleScope scope(isolate.get());
    v8::TryCatch try_catch(isolate.get());
    v8::ScriptOrigin origin(isolate.get(), bench::str(isolate.get(), "big.js"));
    v8::ScriptCompiler::Source source(bench::str(isolate.get(), body), origin);
    v8::Local<v8::String> params[] = {bench::str(isolate.get(), "__phost_namespace__")};
    if (v8::ScriptCompiler::CompileFunction(context.get(), &source, 1, params).IsEmpty()) die("(d) check failed");
  }
  return double(now_ns() - t0) / 1e6;
}

// Raw V8 reference for (a): the same small bodies compiled, run and called
// once in one fresh isolate, timing the code cache production separately.
void raw_small(int64_t n) {
  constexpr const char* kNames[] = {"cfg", "Main"};
  bench::RawIsolate isolate;
  bench::RawContext context(isolate.get());
  int64_t compile_ns = 0, cache_ns = 0, call_ns = 0;
  size_t bytes = 0;
  for (int64_t i = 0; i < n; ++i) {
    v8::HandleScope scope(isolate.get());
    const std::string body = phost_body(small_script(i), kNames);
    int64_t t0 = now_ns();
    v8::Local<v8::Function> wrapper =
        compile_run(context.get(), body, nullptr, v8::ScriptCompiler::kNoCompileOptions, false, nullptr, 0);
    int64_t t1 = now_ns();
    Cache cache(v8::ScriptCompiler::CreateCodeCacheForFunction(wrapper));
    int64_t t2 = now_ns();
    bytes += size_t(cache->length);
    v8::Local<v8::Value> argv[] = {v8::Object::New(isolate.get())};
    v8::Local<v8::Value> ns, main, result;
    // The top level again, on a fresh namespace, to reach Main (cheap).
    if (!wrapper->Call(context.get(), v8::Undefined(isolate.get()), 1, argv).ToLocal(&ns)) die("raw small: run");
    const int64_t t3 = now_ns();
    if (!ns.As<v8::Object>()->Get(context.get(), bench::str(isolate.get(), "Main")).ToLocal(&main) ||
        !main.As<v8::Function>()->Call(context.get(), v8::Undefined(isolate.get()), 0, nullptr).ToLocal(&result) ||
        result->IntegerValue(context.get()).FromJust() != i)
      die("raw small: Main");
    const int64_t t4 = now_ns();
    compile_ns += t1 - t0;
    cache_ns += t2 - t1;
    call_ns += t4 - t3;
  }
  std::printf("    raw V8 reference, same %lld bodies, one fresh isolate: CompileFunction + top level %.1f us, "
              "CreateCodeCacheForFunction %.1f us (%.0f bytes), first Main() %.1f us per script\n\n",
              (long long)n, double(compile_ns) / 1e3 / double(n), double(cache_ns) / 1e3 / double(n),
              double(bytes) / double(n), double(call_ns) / 1e3 / double(n));
}

void part_d(const std::vector<std::string>& sources) {
  std::vector<std::string> bodies;
  for (const auto& s : sources) bodies.push_back(phost_body(s, kBigNames));
  const CacheMode modes[] = {CacheMode::none, CacheMode::after_top_level, CacheMode::after_first_call,
                             CacheMode::eager};
  std::vector<std::vector<Cache>> caches(4);
  for (CacheMode m : modes)
    if (m != CacheMode::none) caches[size_t(m)] = produce(bodies, m);
  constexpr int kRounds = 3;
  std::vector<std::vector<double>> times(4);
  std::vector<int64_t> rejected(4, 0);
  std::vector<double> checks;
  for (int r = 0; r < kRounds; ++r) {
    for (CacheMode m : modes) {
      const Consumed c = consume(bodies, m == CacheMode::none ? nullptr : &caches[size_t(m)]);
      times[size_t(m)].push_back(c.ms);
      rejected[size_t(m)] += c.rejected;
    }
    checks.push_back(syntax_checks(bodies));
  }
  const double none = bench::median(times[0]);
  std::printf("(d) raw V8, same %zu scripts as phost compiles them (CompileFunction of source + namespace "
              "epilogue), fresh isolate per run: compile + top level + Main(), ms, median of %d\n",
              bodies.size(), kRounds);
  for (CacheMode m : modes) {
    size_t bytes = 0;
    for (const auto& c : caches[size_t(m)]) bytes += size_t(c->length);
    std::printf("    %-36s %7.1f ms  %+6.1f%%  cache %5.0f bytes/script  rejected %lld\n", mode_name(m),
                bench::median(times[size_t(m)]), 100 * (bench::median(times[size_t(m)]) / none - 1),
                caches[size_t(m)].empty() ? 0.0 : double(bytes) / double(bodies.size()),
                (long long)rejected[size_t(m)]);
  }
  std::printf("    %-36s %7.1f ms  (what each runtime.load adds: a CompileFunction, no cache, result dropped)\n",
              "syntax check alone", bench::median(checks));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_fraction = std::atof(argv[1]);
  if (!(g_fraction > 0)) die("usage: bench_script_load [fraction > 0]");
  bench::print_header("bench_script_load");
  const int64_t t_start = now_ns();
  // The first host initialises V8 for the process; raw isolates only after.
  part_a();
  raw_small(scaled(10'000));
  part_b();
  std::vector<std::string> sources;
  for (int i = 0; i < scaled(1'000); ++i) sources.push_back(big_script(i));
  part_c(sources);
  part_d(sources);
  std::printf("\ntotal %.1f s; load average at end %s\n", double(now_ns() - t_start) / 1e9, bench::loadavg().c_str());
  return 0;
}
