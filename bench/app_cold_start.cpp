// bench_app_cold_start: what TypeScript costs an app at start-up.
// An app of 1,000 distinct ~35-line scripts (6 functions each) is written
// twice: as .ts (typed: interfaces, annotations, generics, `as`) and as the
// same code without types in .js. Each run is a fresh process (this program
// again, `--child`), so V8, the plugin and the transpiler all start cold:
// create a host, load the V8 plugin with app_dir (which loads every script),
// then call each script's Main() once. Four configurations, each median of 3:
// .js and .ts, without cache_dir and with a cache_dir filled by a previous
// process. Target: .ts with cache_dir within 1.2x of .js with cache_dir.
// Transpile time per file = (.ts - .js) / files, both without a cache.
//
// Usage: bench_app_cold_start [files, default 1000]
#include <phost/host.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#ifndef PHOST_V8_PLUGIN
#error "PHOST_V8_PLUGIN: the path of libphost_v8.so"
#endif

namespace {

namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bench_app_cold_start: %s\n", why.c_str());
  std::exit(1);
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (int64_t(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1'000'000 + u.ru_utime.tv_usec + u.ru_stime.tv_usec) *
         1000;
}

// One script; ts adds the types a TypeScript author writes, nothing else differs.
std::string script(int n, bool ts) {
  const std::string N = std::to_string(n);
  auto t = [ts](const std::string& type) { return ts ? type : std::string(); };
  return (ts ? "interface Item" + N + " { sku: string; price: number; qty: number }\n"
               "type Level = 'gold' | 'silver' | 'none';\n"
             : std::string("\n\n")) +
         "const RATE" + t(": number") + " = " + std::to_string(n % 17) + " / 100;\n"
         "const LIMIT" + t(": number") + " = " + std::to_string(100 + n) + ";\n"
         "function clamp" + t("<T extends number>") + "(v" + t(": T") + ", lo" + t(": T") + ", hi" + t(": T") + ")" +
         t(": T") + " {\n"
         "  return v < lo ? lo : v > hi ? hi : v;\n"
         "}\n"
         "function subtotal(items" + t(": Item" + N + "[]") + ")" + t(": number") + " {\n"
         "  let total = 0;\n"
         "  for (const item of items) total += item.price * item.qty;\n"
         "  return total;\n"
         "}\n"
         "function discount(total" + t(": number") + ", level" + t(": Level") + ")" + t(": number") + " {\n"
         "  switch (level) {\n"
         "    case 'gold': return total * 0.1;\n"
         "    case 'silver': return total * 0.05;\n"
         "    default: return total > LIMIT ? " + std::to_string(n % 7) + " : 0;\n"
         "  }\n"
         "}\n"
         "function tax(amount" + t(": number") + ")" + t(": number") + " {\n"
         "  return Math.round(amount * RATE * 100) / 100;\n"
         "}\n"
         "function label(items" + t(": ReadonlyArray<Item" + N + ">") + ")" + t(": string") + " {\n"
         "  return items.filter((i) => i.qty > 0).map((i) => i.sku + 'x' + i.qty).join(',');\n"
         "}\n"
         "function Main() {\n"
         "  const items" + t(": Item" + N + "[]") + " = [\n"
         "    {sku: 'a" + N + "', price: " + std::to_string(10 + n % 13) + ", qty: 2},\n"
         "    {sku: 'b" + N + "', price: 3, qty: 0},\n"
         "    {sku: 'c" + N + "', price: 7.5, qty: 4},\n"
         "  ];\n"
         "  const sub = subtotal(items);\n"
         "  const off = clamp(discount(sub, (" + N + " % 3 ? 'gold' : 'none')" + t(" as Level") + "), 0, sub);\n"
         "  const net = sub - off;\n"
         "  return {id: " + N + ", label: label(items), net, tax: tax(net), total: net + tax(net)};\n"
         "}\n";
}

void write_app(const fs::path& app, int files, bool ts) {
  fs::remove_all(app);
  fs::create_directories(app / "scripts");
  for (int i = 0; i < files; ++i)
    std::ofstream(app / "scripts" / ("big" + std::to_string(i) + (ts ? ".ts" : ".js"))) << script(i, ts);
}

// The child: one cold start, printed as "<load ms> <calls ms> <cpu ms>".
int child(const std::string& app, const std::string& cache_dir, int files) {
  const int64_t t0 = now_ns();
  phost::HostOptions options;
  options.log_level = PHOST_LOG_WARN;
  phost::Host host(options);
  phost::Value config = phost::Value::object();
  config.set("app_dir", phost::Value::string(app));
  config.set("isolates", phost::Value::integer(1));
  config.set("strict", phost::Value::boolean(true));
  if (cache_dir != "-") config.set("cache_dir", phost::Value::string(cache_dir));
  const char* other = std::getenv("PHOST_BENCH_PLUGIN");  // another build of the plugin, to compare
  host.load_plugin(other && *other ? other : PHOST_V8_PLUGIN, config);
  const int64_t t1 = now_ns();
  for (int i = 0; i < files; ++i) {
    const phost::Value r = host.call("scripts.big" + std::to_string(i) + ".Main");
    if (r["id"].as_int() != i) die("wrong result from big" + std::to_string(i));
  }
  const int64_t t2 = now_ns();
  std::printf("%.3f %.3f %.3f\n", double(t1 - t0) / 1e6, double(t2 - t1) / 1e6, double(cpu_ns()) / 1e6);
  return 0;
}

struct Run {
  double load = 0, calls = 0, cpu = 0;
  double total() const { return load + calls; }
};

Run run_child(const std::string& self, const fs::path& app, const std::string& cache_dir, int files) {
  const std::string command =
      "'" + self + "' --child '" + app.string() + "' '" + cache_dir + "' " + std::to_string(files);
  FILE* out = popen(command.c_str(), "r");
  if (!out) die("cannot run " + command);
  Run r;
  const int got = std::fscanf(out, "%lf %lf %lf", &r.load, &r.calls, &r.cpu);
  if (pclose(out) != 0 || got != 3) die("the child failed: " + command);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 5 && std::string(argv[1]) == "--child") return child(argv[2], argv[3], std::atoi(argv[4]));
    const int files = argc > 1 ? std::atoi(argv[1]) : 1000;
    if (files <= 0) die("usage: bench_app_cold_start [files > 0]");
    const std::string self = fs::canonical("/proc/self/exe").string();
    const fs::path base = fs::temp_directory_path() / ("phost_bench_cold_" + std::to_string(getpid()));
    write_app(base / "js", files, false);
    write_app(base / "ts", files, true);
    std::printf("bench_app_cold_start: %d scripts of ~35 lines (6 functions), a fresh process per run, isolates=1; "
                "median of 3\n",
                files);
    std::printf("  %-28s %10s %10s %10s %10s\n", "", "load ms", "calls ms", "total ms", "CPU ms");
    constexpr int kRounds = 3;
    struct Config {
      const char* name;
      const char* kind;
      bool cache;
      std::vector<Run> runs;
    };
    std::vector<Config> configs = {{".js, no cache_dir", "js", false, {}},
                                   {".js, cache_dir (filled)", "js", true, {}},
                                   {".ts, no cache_dir", "ts", false, {}},
                                   {".ts, cache_dir (filled)", "ts", true, {}}};
    for (int round = 0; round < kRounds; ++round) {
      for (Config& c : configs) {
        std::string cache = "-";
        if (c.cache) {
          const fs::path dir = base / ("cache-" + std::string(c.kind) + std::to_string(round));
          fs::remove_all(dir);
          cache = dir.string();
          run_child(self, base / c.kind, cache, files);  // a previous process fills it
        }
        c.runs.push_back(run_child(self, base / c.kind, cache, files));
      }
    }
    auto med = [](const Config& c, double (*f)(const Run&)) {
      std::vector<double> x;
      for (const Run& r : c.runs) x.push_back(f(r));
      return median(x);
    };
    std::vector<double> totals;
    for (const Config& c : configs) {
      const double total = med(c, [](const Run& r) { return r.total(); });
      totals.push_back(total);
      std::printf("  %-28s %10.1f %10.1f %10.1f %10.1f   (totals:", c.name, med(c, [](const Run& r) { return r.load; }),
                  med(c, [](const Run& r) { return r.calls; }), total, med(c, [](const Run& r) { return r.cpu; }));
      for (const Run& r : c.runs) std::printf(" %.0f", r.total());
      std::printf(")\n");
    }
    const double cpu_js = med(configs[0], [](const Run& r) { return r.cpu; });
    const double cpu_ts = med(configs[2], [](const Run& r) { return r.cpu; });
    std::printf("  transpile, per file: %.2f ms wall, %.2f ms CPU ((.ts - .js) / files, no cache_dir; the "
                "transpiler's own start included)\n",
                (totals[2] - totals[0]) / files, (cpu_ts - cpu_js) / files);
    // On a busy machine wall time swings with the load; CPU time (all threads) is the steadier measure.
    const double cpu_js_cached = med(configs[1], [](const Run& r) { return r.cpu; });
    const double cpu_ts_cached = med(configs[3], [](const Run& r) { return r.cpu; });
    const double ratio = totals[3] / totals[1];
    const double cpu_ratio = cpu_ts_cached / cpu_js_cached;
    std::printf("  .ts / .js with cache_dir: %.2fx wall, %.2fx CPU  -> target <= 1.2x %s\n", ratio, cpu_ratio,
                cpu_ratio <= 1.2 ? "MET (CPU)" : "NOT MET (CPU)");
    std::printf("  .ts / .js without:        %.2fx wall, %.2fx CPU\n", totals[2] / totals[0], cpu_ts / cpu_js);
    std::printf("  load average at the end: %.2f\n", [] {
      double l = 0;
      std::ifstream("/proc/loadavg") >> l;
      return l;
    }());
    fs::remove_all(base);
    return 0;
  } catch (const std::exception& e) {
    die(e.what());
  }
}
