// bench_transpile: what the TypeScript transpiler (runtime/src/transpiler.*) costs.
//   (a) creating a Transpiler until it serves (isolate, context, sucrase bundle):
//       without V8's code cache of the bundle, making it (first in the process),
//       and consuming it; against a bare Isolate::New + Context::New;
//   (b) the first strip after each kind of creation (sucrase's functions are
//       compiled lazily unless the cache holds them);
//   (c) steady state on a 200-line .ts file: strip, scan of its output, scan of
//       the .ts after a strip of it (which reuses the strip's parse), strip then
//       scan of the .ts (what loading it takes), and a one-line strip (the fixed cost of a
//       call: thread hand-over, locker, sucrase's set-up); against V8 itself
//       compiling the same JS (CompileModule, lazy, a new source each time).
//   (d) the largest file the default 64 MB heap serves.
// Medians; minor page faults beside creation times. Nothing is asserted on time.
//
// Usage: bench_transpile [rounds, default 200]
#include "v8_baselines.hpp"

#include "transpiler.hpp"

#include <libplatform/libplatform.h>

namespace {

using bench::die;
using bench::median;
using bench::now_ns;
using phost::v8rt::Transpiler;

// 200 lines of everyday TypeScript: interfaces, enums, generic classes with
// parameter properties, optional chaining, satisfies, template literals.
std::string sample_ts() {
  std::string out;
  int lines = 0;
  for (int i = 0; lines < 200; ++i) {
    const std::string n = std::to_string(i);
    const std::string block[] = {
        "export interface Order" + n + " { id: number; items: Array<{ sku: string; qty: number }>; note?: string }",
        "export enum Status" + n + " { Open = 'open', Closed = 'closed' }",
        "export class Repo" + n + "<T extends { id: number }> {",
        "  private cache = new Map<number, T>();",
        "  constructor(private readonly name: string, public limit: number = 10) {}",
        "  get(id: number): T | undefined { return this.cache.get(id) ?? undefined; }",
        "  put(item: T): void { this.cache.set(item.id, item); }",
        "}",
        "export function total" + n + "(o: Order" + n + ", rate?: number): number {",
        "  let sum = 0;",
        "  for (const it of o.items) { sum += it.qty * (rate ?? 1); }",
        "  const label = `${o.id}: ${o.note?.trim() ?? ''}` as string;",
        "  return sum satisfies number;",
        "}",
        "type Pair" + n + "<A, B> = [A, B];",
        "const pair" + n + ": Pair" + n + "<string, number> = ['a', 1];",
    };
    for (const std::string& line : block) {
      if (lines++ == 200) break;
      out += line + "\n";
    }
  }
  return out;
}

struct Creation {
  double ms = 0, cpu_ms = 0, first_strip_ms = 0, first_strip_cpu_ms = 0;
  int64_t faults = 0, rss = 0;
};

Creation create(const Transpiler::Options& options, const std::string& ts) {
  Creation c;
  const int64_t faults = bench::minor_faults(), rss = bench::rss_bytes();
  const int64_t t0 = now_ns(), c0 = bench::process_cpu_ns();
  Transpiler transpiler(options);
  if (std::string error = transpiler.warm_up(); !error.empty()) die("warm_up: " + error);
  const int64_t t1 = now_ns(), c1 = bench::process_cpu_ns();
  c.faults = bench::minor_faults() - faults;
  if (!transpiler.strip(ts, "sample.ts").ok) die("strip failed");
  c.first_strip_ms = double(now_ns() - t1) / 1e6;
  c.first_strip_cpu_ms = double(bench::process_cpu_ns() - c1) / 1e6;
  c.rss = bench::rss_bytes() - rss;
  c.ms = double(t1 - t0) / 1e6;
  c.cpu_ms = double(c1 - c0) / 1e6;
  return c;
}

// Medians of wall time and of process CPU time (all threads: the transpiler
// works on its own thread), us. CPU time stays meaningful on a busy machine.
struct Cost {
  double wall = 0, cpu = 0;
};

template <typename F>
Cost median_us(int rounds, F&& f) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < rounds; ++i) {
    const int64_t w0 = now_ns(), c0 = bench::process_cpu_ns();
    f(i);
    cpu.push_back(double(bench::process_cpu_ns() - c0) / 1e3);
    wall.push_back(double(now_ns() - w0) / 1e3);
  }
  return {median(std::move(wall)), median(std::move(cpu))};
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(10, std::atoi(argv[1])) : 200;
  static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform();
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  bench::print_header("bench_transpile");

  const std::string ts = sample_ts();
  std::printf("sample: 200 lines, %zu bytes of TypeScript; %d rounds\n\n", ts.size(), rounds);

  // (a), (b)
  std::vector<double> bare, bare_cpu;
  for (int i = 0; i < 5; ++i) {
    const int64_t t0 = now_ns(), c0 = bench::process_cpu_ns();
    {
      bench::RawIsolate isolate;
      v8::HandleScope scope(isolate.get());
      if (v8::Context::New(isolate.get()).IsEmpty()) die("no context");
      bare.push_back(double(now_ns() - t0) / 1e6);
      bare_cpu.push_back(double(bench::process_cpu_ns() - c0) / 1e6);
    }
  }
  const double bare_cpu_ms = median(bare_cpu);

  Transpiler::Options no_cache;
  no_cache.code_cache = false;
  std::vector<Creation> plain, cached;
  for (int i = 0; i < 5; ++i) plain.push_back(create(no_cache, ts));
  const Creation making = create(Transpiler::Options{}, ts);  // the first with a cache: warm-up + CreateCodeCache
  for (int i = 0; i < 5; ++i) cached.push_back(create(Transpiler::Options{}, ts));
  const auto med_of = [](const std::vector<Creation>& runs, double Creation::*field) {
    std::vector<double> v;
    for (const Creation& c : runs) v.push_back(c.*field);
    return median(std::move(v));
  };
  std::printf("(a) creating a Transpiler until it serves (medians of 5; ratios of CPU time)\n");
  std::printf("                                               wall ms    CPU ms        faults\n");
  const auto creation_row = [bare_cpu_ms](const char* what, double wall, double cpu, double faults) {
    std::printf("  %-42s %8.2f  %8.2f  %5.1fx", what, wall, cpu, cpu / bare_cpu_ms);
    if (faults >= 0) std::printf("  %6.0f", faults);
    std::printf("\n");
  };
  creation_row("bare Isolate::New + Context::New", median(bare), bare_cpu_ms, -1);
  std::vector<double> plain_faults, cached_faults;
  for (const Creation& c : plain) plain_faults.push_back(double(c.faults));
  for (const Creation& c : cached) cached_faults.push_back(double(c.faults));
  creation_row("transpiler, no code cache", med_of(plain, &Creation::ms), med_of(plain, &Creation::cpu_ms), median(plain_faults));
  creation_row("transpiler, making the code cache (once)", making.ms, making.cpu_ms, double(making.faults));
  creation_row("transpiler, consuming the code cache", med_of(cached, &Creation::ms), med_of(cached, &Creation::cpu_ms),
      median(cached_faults));
  std::printf("  RSS growth, first transpiler + one strip   %8.1f MiB\n", bench::mib(plain.front().rss));
  std::printf("(b) first strip of the sample after creation     wall ms    CPU ms\n");
  std::printf("  no code cache                              %8.2f  %8.2f\n", med_of(plain, &Creation::first_strip_ms),
              med_of(plain, &Creation::first_strip_cpu_ms));
  std::printf("  with the code cache                        %8.2f  %8.2f\n\n", med_of(cached, &Creation::first_strip_ms),
              med_of(cached, &Creation::first_strip_cpu_ms));

  // (c)
  Transpiler transpiler;
  const auto stripped = transpiler.strip(ts, "sample.ts");
  if (!stripped.ok) die("strip: " + stripped.error);
  const std::string& js = stripped.code;
  const size_t functions = transpiler.scan(js, false).functions.size();
  if (functions == 0) die("scan found no functions");
  // Interleaved, after a warm-up, so every operation runs with the same JIT state.
  const auto strip_ts = [&](int) {
    if (!transpiler.strip(ts, "sample.ts").ok) die("strip failed");
  };
  const auto scan_js = [&](int) {
    if (transpiler.scan(js, false).functions.size() != functions) die("scan found other functions");
  };
  const auto scan_ts = [&](int) {
    if (transpiler.scan(ts, true).functions.size() != functions) die("scan of the .ts found other functions");
  };
  const auto load_ts = [&](int) {  // what loading a .ts file takes: the scan reuses the strip's parse
    if (!transpiler.strip(ts, "sample.ts").ok || transpiler.scan(ts, true).functions.size() != functions) {
      die("strip + scan failed");
    }
  };
  const auto strip_tiny = [&](int) {
    if (!transpiler.strip("let a: number = 1;", "tiny.ts").ok) die("tiny strip failed");
  };
  for (int i = 0; i < 50; ++i) strip_ts(i), scan_js(i), scan_ts(i), load_ts(i), strip_tiny(i);
  std::vector<Cost> costs[5];
  for (int i = 0; i < rounds; ++i) {
    costs[0].push_back(median_us(1, strip_ts));
    costs[1].push_back(median_us(1, scan_js));
    costs[2].push_back(median_us(1, scan_ts));
    costs[3].push_back(median_us(1, load_ts));
    costs[4].push_back(median_us(1, strip_tiny));
  }
  const auto med = [](const std::vector<Cost>& v) {
    std::vector<double> wall, cpu;
    for (const Cost& c : v) wall.push_back(c.wall), cpu.push_back(c.cpu);
    return Cost{median(std::move(wall)), median(std::move(cpu))};
  };
  const Cost strip_us = med(costs[0]), scan_js_us = med(costs[1]), scan_ts_us = med(costs[2]), load_us = med(costs[3]),
             tiny_us = med(costs[4]);

  bench::RawIsolate isolate;
  bench::RawContext context(isolate.get());
  const Cost compile_us = median_us(rounds, [&](int i) {
    v8::HandleScope scope(isolate.get());
    const std::string source = js + "\n// " + std::to_string(i);  // a new source: no compilation-cache hit
    v8::ScriptOrigin origin(isolate.get(), bench::str(isolate.get(), "sample.js"), 0, 0, false, -1, {}, false, false,
                            true);
    v8::ScriptCompiler::Source input(bench::str(isolate.get(), source), origin);
    if (v8::ScriptCompiler::CompileModule(isolate.get(), &input).IsEmpty()) die("V8 does not compile the output");
  });

  std::printf("(c) steady state, 200-line file (medians of %d; ratios of CPU time)\n", rounds);
  std::printf("                                              wall us    CPU us\n");
  const auto row = [&compile_us](const char* what, Cost c) {
    std::printf("  %-42s %8.1f  %8.1f  %5.1fx\n", what, c.wall, c.cpu, c.cpu / compile_us.cpu);
  };
  row("V8 compiling the stripped JS (module)", compile_us);
  row("strip(.ts)", strip_us);
  row("scan(stripped js)", scan_js_us);
  row("scan(.ts) after strip(.ts) of it", scan_ts_us);
  row("strip(.ts), then scan(.ts): a .ts load", load_us);
  row("strip of one line (fixed cost of a call)", tiny_us);

  // (d) how large a file the default 64 MB heap serves
  std::printf("\n(d) strip of larger files (the sample repeated), default heap limit\n");
  for (const int copies : {10, 50, 100, 200, 400}) {
    std::string large;
    for (int i = 0; i < copies; ++i) large += ts;
    const int64_t t0 = now_ns();
    const auto result = transpiler.strip(large, "large.ts");
    std::printf("  %6.2f MB  %8.1f ms  %s\n", bench::mib(static_cast<int64_t>(large.size())), double(now_ns() - t0) / 1e6,
                result.ok ? "ok" : result.error.c_str());
  }
  return 0;
}
