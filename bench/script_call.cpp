// bench_script_call: ns per `scripts.x.Add(a, b)` through phost::Host::call
// with the V8 runtime plugin, against baselines measured in the same process
// on the same V8:
//   raw V8      - the script compiled once, v8::Function::Call with argument
//                 objects built by hand (Object::New + CreateDataProperty) and
//                 the result's fields read back by hand;
//   gou 1       - gou's standard mode: new isolate + context + compile + call,
//                 disposed after every call;
//   gou 2       - gou's performance mode as briefed: one pooled context that
//                 compiles and runs the script source on every call, then
//                 calls the global function.
// Plus throughput with 1 and 2 application threads (isolates=2).
// Times are medians of several rounds; nothing is asserted.
//
// Usage: bench_script_call [round seconds, default 0.25]
//   Each measurement runs 5-7 rounds of about that many seconds (the number
//   of calls per round is calibrated by a warm-up), so the run stays bounded.
#include "v8_baselines.hpp"

#include <phost/host.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

#include <v8-statistics.h>

#ifndef PHOST_V8_PLUGIN
#error "PHOST_V8_PLUGIN: the path of libphost_v8.so"
#endif

// PHOST_BENCH_PLUGIN runs the same program against another build of the plugin
// (bench/compare-plugins.sh: the figures before and after a change, side by side).
static const char* plugin_path() {
  const char* other = std::getenv("PHOST_BENCH_PLUGIN");
  return other && *other ? other : PHOST_V8_PLUGIN;
}

namespace {

using bench::die;
using bench::now_ns;

// The script under test, the same text for phost and for every baseline.
constexpr std::string_view kScript = "function Add(a, b) {\n  return {x: a.x + b.x, y: a.y + b.y};\n}\n";
constexpr std::string_view kNopScript = "function Nop() {}\n";


// The C++ data the arguments are built from; varies per call.
struct Point {
  int64_t x, y;
};
inline Point point_a(int64_t i) { return {i & 1023, 2}; }
inline Point point_b(int64_t i) { return {3, (i >> 3) & 1023}; }

// Every path adds up the fields it reads back, so nothing is optimised away
// and every result is checked.
void check_sum(const char* what, int64_t sum, int64_t first, int64_t n) {
  int64_t expect = 0;
  for (int64_t i = first; i < first + n; ++i) {
    const Point a = point_a(i), b = point_b(i);
    expect += (a.x + b.x) + (a.y + b.y);
  }
  if (sum != expect) die(std::string(what) + ": wrong results (sum " + std::to_string(sum) + ", expected " +
                         std::to_string(expect) + ")");
}

struct Measured {
  double ns_per_call = 0;  // median over rounds
  double lo = 0, hi = 0;   // range over rounds
  double cpu_ns_per_call = 0;  // process CPU time per call (all threads), median
  int64_t rounds = 0, calls_per_round = 0;
};

// Runs batch(first, n) `rounds` times after one warm-up batch; batch returns
// the sum it read back.
// Runs batch(first, n) `rounds` times and returns the median ns per call.
// The calls per round are chosen so a round takes about round_s (after a
// warm-up batch that also estimates the cost), capped at max_calls: the run
// stays bounded however busy the machine is. check: compare the sums with
// check_sum (batches with constant arguments check their own results).
double g_round_s = 0.25;

Measured measure(const char* label, int rounds, int64_t warmup, int64_t max_calls,
                 const std::function<int64_t(int64_t, int64_t)>& batch, bool check = true) {
  int64_t first = 0;
  const int64_t w0 = now_ns();
  const int64_t wsum = batch(first, warmup);
  const double est = double(std::max<int64_t>(1, now_ns() - w0)) / double(warmup);
  if (check) check_sum(label, wsum, first, warmup);
  first += warmup;
  const int64_t calls = std::clamp<int64_t>(std::llround(g_round_s * 1e9 / est), 3, std::max<int64_t>(3, max_calls));
  std::vector<double> times, cpu;
  for (int r = 0; r < rounds; ++r) {
    const int64_t c0 = bench::process_cpu_ns();
    const int64_t t0 = now_ns();
    const int64_t sum = batch(first, calls);
    const int64_t t1 = now_ns();
    const int64_t c1 = bench::process_cpu_ns();
    if (check) check_sum(label, sum, first, calls);
    first += calls;
    times.push_back(double(t1 - t0) / double(calls));
    cpu.push_back(double(c1 - c0) / double(calls));
  }
  Measured m;
  m.ns_per_call = bench::median(times);
  m.lo = *std::min_element(times.begin(), times.end());
  m.hi = *std::max_element(times.begin(), times.end());
  m.cpu_ns_per_call = bench::median(cpu);
  m.rounds = rounds;
  m.calls_per_round = calls;
  return m;
}

// ---- phost -----------------------------------------------------------------

phost::Value make_point(Point p) {
  phost::Value o = phost::Value::object(2);
  o.set("x", phost::Value::integer(p.x));
  o.set("y", phost::Value::integer(p.y));
  return o;
}

std::unique_ptr<phost::Host> make_host(int isolates) {
  phost::HostOptions options;
  options.log_level = PHOST_LOG_WARN;
  auto host = std::make_unique<phost::Host>(options);
  phost::Value config = phost::Value::object();
  config.set("isolates", phost::Value::integer(isolates));
  config.set("timeout_ms", phost::Value::integer(60000));
  host->load_plugin(plugin_path(), config);
  host->call("runtime.load", phost::args("x", kScript, "x.js"));
  host->call("runtime.load", phost::args("nop", kNopScript, "nop.js"));
  return host;
}

// One call with the arguments built from C++ data for this call.
inline int64_t phost_add(phost::Host& host, int64_t i) {
  const phost::Value result = host.call("scripts.x.Add", phost::args(make_point(point_a(i)), make_point(point_b(i))));
  return result["x"].as_int() + result["y"].as_int();
}

// ---- raw V8 ----------------------------------------------------------------

class RawAdd {
public:
  explicit RawAdd(v8::Isolate* isolate) : isolate_(isolate), context_(isolate) {
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = context_.get();
    bench::run_script(context, kScript, "x.js");
    fn_.Reset(isolate, bench::global_function(context, "Add"));
    x_.Reset(isolate, bench::str(isolate, "x", v8::NewStringType::kInternalized));
    y_.Reset(isolate, bench::str(isolate, "y", v8::NewStringType::kInternalized));
  }

  int64_t call(int64_t i) {
    v8::HandleScope scope(isolate_);
    v8::Local<v8::Context> context = context_.get();
    v8::TryCatch try_catch(isolate_);
    const v8::Local<v8::String> kx = x_.Get(isolate_), ky = y_.Get(isolate_);
    v8::Local<v8::Value> argv[] = {object(context, kx, ky, point_a(i)), object(context, kx, ky, point_b(i))};
    v8::Local<v8::Value> result;
    if (!fn_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 2, argv).ToLocal(&result) || !result->IsObject())
      die("raw V8: Add failed");
    return field(context, result.As<v8::Object>(), kx) + field(context, result.As<v8::Object>(), ky);
  }

  static v8::Local<v8::Object> object(v8::Local<v8::Context> context, v8::Local<v8::String> kx,
                                      v8::Local<v8::String> ky, Point p) {
    v8::Isolate* isolate = context->GetIsolate();
    v8::Local<v8::Object> o = v8::Object::New(isolate);
    o->CreateDataProperty(context, kx, v8::Number::New(isolate, double(p.x))).Check();
    o->CreateDataProperty(context, ky, v8::Number::New(isolate, double(p.y))).Check();
    return o;
  }
  static int64_t field(v8::Local<v8::Context> context, v8::Local<v8::Object> o, v8::Local<v8::String> key) {
    v8::Local<v8::Value> v;
    if (!o->Get(context, key).ToLocal(&v) || !v->IsNumber()) die("raw V8: bad result field");
    return v->IntegerValue(context).FromJust();
  }

private:
  v8::Isolate* isolate_;
  bench::RawContext context_;
  v8::Global<v8::Function> fn_;
  v8::Global<v8::String> x_, y_;
};

// Compile + run the script source in context, then call its global Add with
// hand-built arguments (what both gou strategies do per call, minus gou's
// JSON conversion and its 21 built-in templates, which only add to its cost).
int64_t compile_and_call(v8::Local<v8::Context> context, std::string_view source, int64_t i) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  bench::run_script(context, source, "x.js");
  v8::Local<v8::Function> fn = bench::global_function(context, "Add");
  const v8::Local<v8::String> kx = bench::str(isolate, "x", v8::NewStringType::kInternalized);
  const v8::Local<v8::String> ky = bench::str(isolate, "y", v8::NewStringType::kInternalized);
  v8::Local<v8::Value> argv[] = {RawAdd::object(context, kx, ky, point_a(i)),
                                 RawAdd::object(context, kx, ky, point_b(i))};
  v8::Local<v8::Value> result;
  if (!fn->Call(context, v8::Undefined(isolate), 2, argv).ToLocal(&result) || !result->IsObject())
    die("gou: Add failed");
  return RawAdd::field(context, result.As<v8::Object>(), kx) + RawAdd::field(context, result.As<v8::Object>(), ky);
}

// gou strategy 1: a new isolate + context per call, disposed after.
int64_t gou1_call(v8::ArrayBuffer::Allocator* allocator, int64_t i) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator;
  v8::Isolate* isolate = v8::Isolate::New(params);
  int64_t out;
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    out = compile_and_call(context, kScript, i);
  }
  isolate->Dispose();
  return out;
}

void print_row(const char* name, const Measured& m, const Measured& raw, const Measured& phost, bool is_phost) {
  char speedup[32] = "";
  if (!is_phost && &m != &raw) {
    const double x = m.ns_per_call / phost.ns_per_call;
    std::snprintf(speedup, sizeof speedup, x < 10 ? "%.2fx" : "%.0fx", x);
  }
  std::printf("  %-44s %12.0f %9.0f-%-9.0f %8.2fx %10s %9.0f\n", name, m.ns_per_call, m.lo, m.hi,
              m.ns_per_call / raw.ns_per_call, speedup, m.cpu_ns_per_call);
}

// ---- throughput ------------------------------------------------------------

struct Throughput {
  double calls_per_s = 0, lo = 0, hi = 0;
};

Throughput throughput(phost::Host& host, int threads, double seconds, int rounds) {
  std::vector<double> rates;
  for (int r = 0; r < rounds; ++r) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false}, stop{false};
    std::vector<int64_t> counts(threads, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        int64_t n = 0, sum = 0;
        const int64_t base = int64_t(t) << 40;
        while (!stop.load(std::memory_order_relaxed)) {
          sum += phost_add(host, base + n);
          ++n;
        }
        check_sum("throughput", sum, base, n);
        counts[t] = n;
      });
    }
    while (ready.load() < threads) std::this_thread::yield();
    const int64_t t0 = now_ns();
    go.store(true, std::memory_order_release);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop.store(true);
    for (auto& th : pool) th.join();
    const int64_t t1 = now_ns();
    int64_t total = 0;
    for (int64_t c : counts) total += c;
    rates.push_back(double(total) / (double(t1 - t0) * 1e-9));
  }
  Throughput out;
  out.calls_per_s = bench::median(rates);
  out.lo = *std::min_element(rates.begin(), rates.end());
  out.hi = *std::max_element(rates.begin(), rates.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_round_s = std::atof(argv[1]);
  if (!(g_round_s > 0)) die("usage: bench_script_call [round seconds > 0]");
  bench::print_header("bench_script_call");
  const int64_t rss_start = bench::rss_bytes();

  // The plugin initialises V8 for the process; everything raw comes after.
  auto host = make_host(1);
  if (host->call("scripts.x.Add", phost::args(make_point({1, 2}), make_point({3, 4}))).to_json() != R"({"x":4,"y":6})")
    die("scripts.x.Add gave the wrong answer");
  std::printf("V8 %s, plugin %s\n", v8::V8::GetVersion(), plugin_path());
  std::printf("script: %s", std::string(kScript).c_str());
  std::printf("args a={x:i&1023, y:2}, b={x:3, y:(i>>3)&1023} built from C++ data on every call; "
              "result.x + result.y read back and checked\n\n");

  constexpr int kRounds = 7;
  const int64_t kMaxFast = 400'000;

  // phost, isolates=1, the arguments built from C++ data for every call.
  Measured phost_m = measure("phost", kRounds, 20'000, kMaxFast, [&](int64_t first, int64_t n) {
    int64_t sum = 0;
    for (int64_t i = first; i < first + n; ++i) sum += phost_add(*host, i);
    return sum;
  });

  // phost with the argument array built once (conversion to V8 still per call).
  Measured phost_prebuilt;
  {
    const phost::Value args = phost::args(make_point({5, 2}), make_point({3, 7}));
    phost_prebuilt = measure("phost prebuilt", kRounds, 2'000, kMaxFast, [&](int64_t, int64_t n) {
      int64_t sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        const phost::Value r = host->call("scripts.x.Add", args);
        sum += r["x"].as_int() + r["y"].as_int();
      }
      if (sum != 17 * n) die("phost prebuilt: wrong results");
      return sum;
    }, false);
  }

  // Fixed cost of a scripts.* call: no arguments, undefined result.
  Measured phost_nop = measure("phost nop", kRounds, 2'000, kMaxFast, [&](int64_t, int64_t n) {
    for (int64_t i = 0; i < n; ++i) host->call("scripts.nop.Nop");
    return int64_t(0);
  }, false);

  // Building and reading phost::Values alone, no call.
  Measured values_only = measure("values only", kRounds, 2'000, kMaxFast, [&](int64_t first, int64_t n) {
    int64_t sum = 0;
    for (int64_t i = first; i < first + n; ++i) {
      const phost::Value a = phost::args(make_point(point_a(i)), make_point(point_b(i)));
      sum += (a[0]["x"].as_int() + a[1]["x"].as_int()) + (a[0]["y"].as_int() + a[1]["y"].as_int());
    }
    return sum;
  });

  // raw V8, same process, own isolate created after the plugin initialised V8.
  bench::RawIsolate raw_isolate;
  Measured raw_m;
  {
    RawAdd raw(raw_isolate.get());
    raw_m = measure("raw V8", kRounds, 20'000, kMaxFast, [&](int64_t first, int64_t n) {
      int64_t sum = 0;
      for (int64_t i = first; i < first + n; ++i) sum += raw.call(i);
      return sum;
    });
  }

  // gou strategy 1.
  Measured gou1 = measure("gou 1", 5, 10, 200, [&](int64_t first, int64_t n) {
    int64_t sum = 0;
    for (int64_t i = first; i < first + n; ++i) sum += gou1_call(raw_isolate.allocator(), i);
    return sum;
  });

  // gou strategy 2: one pooled context, recompile + run + call every time.
  Measured gou2, gou2_distinct, gou2_reset;
  int64_t gou2_rss0 = 0, gou2_rss1 = 0, distinct_rss0 = 0, distinct_rss1 = 0;
  size_t gou2_heap0 = 0, gou2_heap1 = 0, distinct_heap0 = 0, distinct_heap1 = 0;
  const int64_t kDistinct = 20'000;
  {
    v8::Isolate* isolate = raw_isolate.get();
    auto heap_used = [isolate] {
      v8::HeapStatistics h;
      isolate->GetHeapStatistics(&h);
      return h.used_heap_size();
    };
    {
      bench::RawContext pooled(isolate);
      gou2_rss0 = bench::rss_bytes();
      gou2_heap0 = heap_used();
      gou2 = measure("gou 2", kRounds, 2'000, kMaxFast, [&](int64_t first, int64_t n) {
        int64_t sum = 0;
        for (int64_t i = first; i < first + n; ++i) {
          v8::HandleScope scope(isolate);
          sum += compile_and_call(pooled.get(), kScript, i);
        }
        return sum;
      });
      gou2_rss1 = bench::rss_bytes();
      gou2_heap1 = heap_used();
    }
    {
      // The same, but the source differs every call (a trailing comment), as
      // after edits/reloads or with many distinct scripts through one pooled
      // context: every version stays in V8's per-isolate compilation cache.
      // A fixed count (not time-bounded) so the growth is comparable.
      bench::RawContext pooled(isolate);
      std::string source;
      distinct_rss0 = bench::rss_bytes();
      distinct_heap0 = heap_used();
      int64_t version = 0;
      const int64_t t0 = now_ns(), c0 = bench::process_cpu_ns();
      int64_t sum = 0;
      for (int64_t i = 0; i < kDistinct; ++i) {
        v8::HandleScope scope(isolate);
        source.assign(kScript);
        source += "// version " + std::to_string(++version) + "\n";
        sum += compile_and_call(pooled.get(), source, i);
      }
      gou2_distinct.ns_per_call = gou2_distinct.lo = gou2_distinct.hi = double(now_ns() - t0) / double(kDistinct);
      gou2_distinct.cpu_ns_per_call = double(bench::process_cpu_ns() - c0) / double(kDistinct);
      check_sum("gou 2 distinct", sum, 0, kDistinct);
      distinct_rss1 = bench::rss_bytes();
      distinct_heap1 = heap_used();
    }
    // gou's performance-mode runner really also resets (closes and re-creates)
    // its context after every exec (runner.go reset()).
    gou2_reset = measure("gou 2 + reset", 5, 10, 2'000, [&](int64_t first, int64_t n) {
      int64_t sum = 0;
      for (int64_t i = first; i < first + n; ++i) {
        v8::HandleScope scope(isolate);
        v8::Local<v8::Context> context = v8::Context::New(isolate);
        v8::Context::Scope context_scope(context);
        sum += compile_and_call(context, kScript, i);
      }
      return sum;
    });
  }

  std::printf("scripts.x.Add(a, b), isolates=1; ns/call = median of rounds (range); cpu = process CPU ns per call "
              "(all threads)\n");
  std::printf("  %-44s %12s %-19s %9s %10s %9s\n", "strategy", "ns/call", "  range", "vs raw", "phost is", "cpu ns");
  print_row("raw V8 (compiled once, Function::Call)", raw_m, raw_m, phost_m, false);
  print_row("phost Host::call (args built per call)", phost_m, raw_m, phost_m, true);
  print_row("gou 1: isolate+context+compile per call", gou1, raw_m, phost_m, false);
  print_row("gou 2: pooled context, compile+run per call", gou2, raw_m, phost_m, false);
  std::printf("  -- for reference --\n");
  print_row("phost, args array built once", phost_prebuilt, raw_m, phost_m, true);
  print_row("phost scripts.nop.Nop() (no args, undefined)", phost_nop, raw_m, phost_m, true);
  print_row("phost::Value args build+read only, no call", values_only, raw_m, phost_m, true);
  print_row("gou 2, distinct source every call", gou2_distinct, raw_m, phost_m, false);
  print_row("gou 2 + new context per call (runner reset)", gou2_reset, raw_m, phost_m, false);
  std::printf("  calls per round: raw %lld, phost %lld, gou 1 %lld, gou 2 %lld, gou 2 + reset %lld\n",
              (long long)raw_m.calls_per_round, (long long)phost_m.calls_per_round, (long long)gou1.calls_per_round,
              (long long)gou2.calls_per_round, (long long)gou2_reset.calls_per_round);
  std::printf("  gou 2, same source (compilation cache hits): RSS %.1f -> %.1f MiB, V8 heap used %.1f -> %.1f MiB\n",
              bench::mib(gou2_rss0), bench::mib(gou2_rss1), bench::mib(int64_t(gou2_heap0)),
              bench::mib(int64_t(gou2_heap1)));
  std::printf("  gou 2, %lld distinct sources: RSS %.1f -> %.1f MiB (%+.0f B/call), V8 heap used %.1f -> %.1f MiB "
              "(%+.0f B/call)\n",
              (long long)kDistinct, bench::mib(distinct_rss0), bench::mib(distinct_rss1),
              double(distinct_rss1 - distinct_rss0) / double(kDistinct), bench::mib(int64_t(distinct_heap0)),
              bench::mib(int64_t(distinct_heap1)), (double(distinct_heap1) - double(distinct_heap0)) / double(kDistinct));

  const double vs_raw = phost_m.ns_per_call / raw_m.ns_per_call;
  const double over1 = gou1.ns_per_call / phost_m.ns_per_call, over2 = gou2.ns_per_call / phost_m.ns_per_call;
  std::printf("\ntargets:\n");
  std::printf("  phost within 1.5x of raw V8:          %.2fx  -> %s\n", vs_raw, vs_raw <= 1.5 ? "MET" : "NOT MET");
  std::printf("  phost >= 100x faster than gou 1:      %.1fx  -> %s\n", over1, over1 >= 100 ? "MET" : "NOT MET");
  std::printf("  phost >= 100x faster than gou 2:      %.1fx  -> %s\n", over2, over2 >= 100 ? "MET" : "NOT MET");

  // Throughput with 1 and 2 application threads, isolates=2.
  host.reset();
  auto host2 = make_host(2);
  const double seconds = std::max(0.2, 4 * g_round_s);
  throughput(*host2, 1, 0.2, 1);  // warm both isolates' code up
  throughput(*host2, 2, 0.2, 1);
  const Throughput t1 = throughput(*host2, 1, seconds, 3);
  const Throughput t2 = throughput(*host2, 2, seconds, 3);
  const double ratio = t2.calls_per_s / t1.calls_per_s;
  std::printf("\nthroughput, isolates=2, %.1f s x 3 rounds each (median, range):\n", seconds);
  std::printf("  1 application thread:  %10.0f calls/s (%.0f-%.0f)\n", t1.calls_per_s, t1.lo, t1.hi);
  std::printf("  2 application threads: %10.0f calls/s (%.0f-%.0f)\n", t2.calls_per_s, t2.lo, t2.hi);
  std::printf("  2 threads / 1 thread:  %.2fx  -> target >= 1.7x %s\n", ratio, ratio >= 1.7 ? "MET" : "NOT MET");
  std::printf("\nRSS at start %.1f MiB, at end %.1f MiB; load average at end %s\n", bench::mib(rss_start),
              bench::mib(bench::rss_bytes()), bench::loadavg().c_str());
  return 0;
}
