// What the registry and dispatch add to a native call: phost_call on an echo
// handler versus the same handler function called directly, with the same
// three argument values (an int, a short string, a bool) built once, the
// result released after every call. Also counts heap allocations per call
// (global operator new is replaced in this executable; libphost and the
// plugin resolve theirs to it).
//
// Two handlers:
//  - app: a C handler the application registers itself (phost_register);
//  - plugin: echo.echo from plugins/echo (the sdk trampoline + std::function).
//    Its direct path calls the handler the plugin registers, captured by
//    running the plugin's entry once with a table whose register_process
//    keeps the desc instead.
// Plus Host::call, the C++ API's wrapper around phost_call, on echo.echo.
//
// Then contention: CPU time per call of the app handler with 1 and with 2
// threads calling at once, directly (the machine's own growth: the baseline),
// by name and through a call handle (a ref per thread). The registry should
// add none: phost's growth over the direct call's stays near 1.0x.
//
// Usage: bench_registry_call [iterations per run, default 2000000] [runs, default 5]
#include <phost/host.hpp>

#include <dlfcn.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>
#include <thread>
#include <vector>

#ifndef PHOST_ECHO_PLUGIN
#error "PHOST_ECHO_PLUGIN: the path of the echo plugin"
#endif

// ---- counting allocator ---------------------------------------------------

namespace {
std::atomic<uint64_t> g_allocations{0};

void* counted_alloc(std::size_t size, std::size_t align = 0) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (size + align - 1) / align * align)
                                              : std::malloc(size);
  return p;
}
}  // namespace

#ifndef PHOST_BENCH_NO_ALLOC_COUNT
// Default visibility: the executable is built with -fvisibility=hidden, and
// these must interpose libphost's and the plugin's operator new.
#define PHOST_BENCH_EXPORT __attribute__((visibility("default")))
PHOST_BENCH_EXPORT void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
PHOST_BENCH_EXPORT void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
PHOST_BENCH_EXPORT void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
PHOST_BENCH_EXPORT void* operator new[](std::size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
PHOST_BENCH_EXPORT void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
PHOST_BENCH_EXPORT void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
PHOST_BENCH_EXPORT void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
PHOST_BENCH_EXPORT void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
PHOST_BENCH_EXPORT void operator delete(void* p) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete[](void* p) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete(void* p, std::size_t) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
PHOST_BENCH_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#endif

namespace {

// ---- the handlers ----------------------------------------------------------

const phost_api* g_api = nullptr;

// The application's echo: returns its arguments (another reference).
phost_status PHOST_CALL app_echo(void*, phost_call_ctx*, const phost_value* args, phost_value** out) {
  g_api->value_retain(args);
  *out = const_cast<phost_value*>(args);
  return PHOST_OK;
}

// The descs the echo plugin registers when its entry runs with capture_table.
std::vector<phost_process_desc> g_captured;

phost_status PHOST_CALL capture_register(phost_plugin*, const phost_process_desc* desc) {
  g_captured.push_back(*desc);
  return PHOST_OK;
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bench_registry_call: %s\n", why.c_str());
  std::exit(1);
}

// ---- measuring -------------------------------------------------------------

struct Path {
  const char* label;
  std::function<void()> once;  // one call, result released
  std::vector<double> ns;      // per run
  std::vector<double> allocs;  // per run, per call
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The loop is templated on the callable so the call itself is not behind a
// std::function; the handler is still reached through a function pointer.
template <class Fn>
void run(Path& path, Fn&& fn, uint64_t iterations) {
  const uint64_t allocs_before = g_allocations.load(std::memory_order_relaxed);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < iterations; ++i) fn();
  const auto stop = std::chrono::steady_clock::now();
  const uint64_t allocs = g_allocations.load(std::memory_order_relaxed) - allocs_before;
  path.ns.push_back(std::chrono::duration<double, std::nano>(stop - start).count() / double(iterations));
  path.allocs.push_back(double(allocs) / double(iterations));
}

int64_t process_cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (int64_t(u.ru_utime.tv_sec) + u.ru_stime.tv_sec) * 1'000'000'000 +
         (int64_t(u.ru_utime.tv_usec) + u.ru_stime.tv_usec) * 1000;
}

// Process CPU ns per call of `threads` threads making n calls each; make(t)
// gives thread t its call.
template <class Make>
double cpu_per_call(int threads, uint64_t n, Make&& make) {
  std::vector<std::thread> pool;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto fn = make(t);
      ++ready;
      while (!go.load()) std::this_thread::yield();
      for (uint64_t i = 0; i < n; ++i) fn();
    });
  while (ready.load() < threads) std::this_thread::yield();
  const int64_t c0 = process_cpu_ns();
  go = true;
  for (auto& th : pool) th.join();
  return double(process_cpu_ns() - c0) / double(n * uint64_t(threads));
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t iterations = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  if (iterations == 0 || runs <= 0) die("usage: bench_registry_call [iterations] [runs]");

  phost::Host::Options options;
  options.log_level = PHOST_LOG_WARN;
  phost::Host host(options);  // also sets phost::api()
  g_api = phost_get_api(PHOST_ABI_MAJOR);

  {  // Make sure the counter sees libphost's allocations, or the zeros mean nothing.
    const uint64_t before = g_allocations.load();
    phost_value* v = nullptr;
    g_api->value_string(phost::to_str("a string long enough to need the heap"), &v);
    g_api->value_release(v);
#ifndef PHOST_BENCH_NO_ALLOC_COUNT
    if (g_allocations.load() - before < 2) die("operator new is not interposed: allocation counts would be wrong");
#endif
  }

  // The application's own echo.
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.name = phost::to_str("bench.echo");
  desc.description = phost::to_str("echo, registered by the application");
  desc.handler = app_echo;
  if (phost_register(host.get(), &desc) != PHOST_OK) die("phost_register failed");

  // The echo plugin's handler, captured for the direct path, then the plugin
  // loaded into the host as usual (the same library image: dlopen refcounts).
  void* library = dlopen(PHOST_ECHO_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  if (!library) die(std::string("dlopen: ") + dlerror());
  auto entry = reinterpret_cast<phost_plugin_entry_v1_fn>(dlsym(library, PHOST_PLUGIN_ENTRY_SYMBOL));
  if (!entry) die("the echo plugin exports no entry");
  static phost_api capture_table = *g_api;
  capture_table.register_process = capture_register;
  phost_plugin_info info{};
  info.struct_size = sizeof info;
  if (entry(&capture_table, nullptr, &info) != PHOST_OK) die("echo plugin entry failed (capture)");
  auto echo_it = std::find_if(g_captured.begin(), g_captured.end(), [](const phost_process_desc& d) {
    return std::string_view(d.name.ptr, d.name.len) == "echo.echo";
  });
  if (echo_it == g_captured.end()) die("the echo plugin registered no echo.echo");
  const phost_process_desc plugin_echo = *echo_it;
  try {
    host.load_plugin(PHOST_ECHO_PLUGIN);
  } catch (const phost::Error& e) {
    die(std::string("load_plugin: ") + e.what());
  }

  // The arguments, built once and frozen by the first call.
  const phost::Value args = phost::args(int64_t{42}, "hello", true);
  const phost_value* a = args.get();
  phost_host* h = host.get();
  const phost_str app_name = phost::to_str("bench.echo");
  const phost_str plugin_name = phost::to_str("echo.echo");
  // Through a volatile so the compiler cannot inline the direct calls.
  phost_handler_fn volatile app_fn = app_echo;
  phost_handler_fn volatile plugin_fn = plugin_echo.handler;
  void* const plugin_data = plugin_echo.user_data;

  auto check_ok = [](phost_status s, phost_value* out) {
    if (s != PHOST_OK || !out) {
      phost_error e{};
      e.struct_size = sizeof e;
      g_api->last_error(&e);
      die("a call failed (" + std::to_string(s) + "): " + std::string(phost::to_view(e.message)));
    }
    g_api->value_release(out);
  };
  auto app_direct = [&] {
    phost_value* out = nullptr;
    const phost_status s = app_fn(nullptr, nullptr, a, &out);
    check_ok(s, out);
  };
  auto app_registry = [&] {
    phost_value* out = nullptr;
    const phost_status s = phost_call(h, app_name, a, nullptr, &out);
    check_ok(s, out);
  };
  auto plugin_direct = [&] {
    phost_value* out = nullptr;
    const phost_status s = plugin_fn(plugin_data, nullptr, a, &out);
    check_ok(s, out);
  };
  auto plugin_registry = [&] {
    phost_value* out = nullptr;
    const phost_status s = phost_call(h, plugin_name, a, nullptr, &out);
    check_ok(s, out);
  };
  auto cpp_api = [&] { host.call("echo.echo", args); };

  Path paths[] = {{"app handler, direct", {}, {}, {}},
                  {"app handler, phost_call", {}, {}, {}},
                  {"echo plugin, direct", {}, {}, {}},
                  {"echo plugin, phost_call", {}, {}, {}},
                  {"echo plugin, Host::call (C++)", {}, {}, {}}};
  auto one_round = [&](uint64_t n, bool keep) {
    run(paths[0], app_direct, n);
    run(paths[1], app_registry, n);
    run(paths[2], plugin_direct, n);
    run(paths[3], plugin_registry, n);
    run(paths[4], cpp_api, n);
    if (!keep)
      for (Path& p : paths) p.ns.clear(), p.allocs.clear();
  };
  one_round(iterations / 10 + 1, false);  // warm-up
  for (int r = 0; r < runs; ++r) one_round(iterations, true);

  std::printf("phost registry call: %d runs x %llu calls per path, median ns/call (min..max)\n", runs,
              static_cast<unsigned long long>(iterations));
  std::printf("args: [42, \"hello\", true] built once; each result released\n\n");
  std::printf("%-32s %10s %21s %12s\n", "path", "ns/call", "(min..max)", "allocs/call");
  for (Path& p : paths) {
    const auto [lo, hi] = std::minmax_element(p.ns.begin(), p.ns.end());
    char range[64];
    std::snprintf(range, sizeof range, "(%.1f..%.1f)", *lo, *hi);
    std::printf("%-32s %10.1f %21s %12.2f\n", p.label, median(p.ns), range, median(p.allocs));
  }
  const double app_d = median(paths[0].ns), app_r = median(paths[1].ns);
  const double plug_d = median(paths[2].ns), plug_r = median(paths[3].ns);
  std::printf("\nregistry + dispatch overhead (phost_call - direct):\n");
  std::printf("  app handler:  %6.1f ns  (ratio %.2fx, %.1f vs %.1f ns)\n", app_r - app_d, app_r / app_d, app_r,
              app_d);
  std::printf("  echo plugin:  %6.1f ns  (ratio %.2fx, %.1f vs %.1f ns)\n", plug_r - plug_d, plug_r / plug_d,
              plug_r, plug_d);
  std::printf("  allocations added per call: app %.2f, plugin %.2f\n",
              median(paths[1].allocs) - median(paths[0].allocs), median(paths[3].allocs) - median(paths[2].allocs));

  // ---- contention: 1 thread vs 2 -------------------------------------------
  // Each thread's own arguments (a value's refcount is shared state too).
  auto direct_for = [&](int) {
    return [a = phost::args(int64_t{42}, "hello", true), &app_fn, &check_ok] {
      phost_value* out = nullptr;
      const phost_status s = app_fn(nullptr, nullptr, a.get(), &out);
      check_ok(s, out);
    };
  };
  auto by_name_for = [&](int) {
    return [a = phost::args(int64_t{42}, "hello", true), h, app_name, &check_ok] {
      phost_value* out = nullptr;
      const phost_status s = phost_call(h, app_name, a.get(), nullptr, &out);
      check_ok(s, out);
    };
  };
  auto by_ref_for = [&](int) {
    phost_ref* ref = nullptr;
    if (phost_lookup(h, app_name, &ref) != PHOST_OK) die("phost_lookup failed");
    std::shared_ptr<phost_ref> owned(ref, phost_ref_release);
    return [a = phost::args(int64_t{42}, "hello", true), h, owned, &check_ok] {
      phost_value* out = nullptr;
      const phost_status s = phost_call_ref(h, owned.get(), a.get(), nullptr, &out);
      check_ok(s, out);
    };
  };
  struct Growth {
    const char* label;
    std::vector<double> one, two;
  } growth[] = {{"app handler, direct", {}, {}}, {"phost_call by name", {}, {}}, {"phost_call_ref", {}, {}}};
  for (int r = 0; r < 2 * runs + 1; ++r) {  // interleaved: the machine's drift hits all alike
    growth[0].one.push_back(cpu_per_call(1, iterations, direct_for));
    growth[0].two.push_back(cpu_per_call(2, iterations, direct_for));
    growth[1].one.push_back(cpu_per_call(1, iterations, by_name_for));
    growth[1].two.push_back(cpu_per_call(2, iterations, by_name_for));
    growth[2].one.push_back(cpu_per_call(1, iterations, by_ref_for));
    growth[2].two.push_back(cpu_per_call(2, iterations, by_ref_for));
  }
  std::printf("\ncontention: process CPU ns per call, 1 thread vs 2 threads at once (medians of %d)\n", 2 * runs + 1);
  std::printf("%-32s %10s %10s %8s %14s\n", "path", "1 thread", "2 threads", "growth", "over direct's");
  const double base = median(growth[0].two) / median(growth[0].one);
  for (const Growth& g : growth) {
    const double one = median(g.one), two = median(g.two);
    std::printf("%-32s %10.1f %10.1f %7.2fx %13.2fx\n", g.label, one, two, two / one, two / one / base);
  }

  for (const phost_process_desc& d : g_captured)
    if (d.finalize) d.finalize(d.user_data);
  dlclose(library);
  return 0;
}
