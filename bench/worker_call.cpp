// What a worker process adds to a call: the same native call (echo.echo) and
// the same script call (scripts.b.Add) in-process and through a worker
// ("isolation": "process"), against a raw V8 call, as ratios in one run; and
// how throughput through workers scales with threads and workers.
//
// Usage: bench_worker_call [calls per round, default 20000] [rounds, default 5] [--worker-only|--ping-pong]
// --worker-only: only the native call through a worker (no V8 in the bench
// process), for counting its system calls and context switches with
// `perf stat -e raw_syscalls:sys_enter,context-switches` at two call counts;
// --ping-pong: only the floor, one byte each way between two processes.
#include "v8_baselines.hpp"

#include <phost/host.hpp>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef PHOST_V8_PLUGIN
#error "PHOST_V8_PLUGIN: the path of the V8 runtime plugin"
#endif
#ifndef PHOST_ECHO_PLUGIN
#error "PHOST_ECHO_PLUGIN: the path of the echo plugin"
#endif

namespace {

using bench::die;

int64_t g_calls = 20'000;
int g_rounds = 5;

// CPU time (user + system) of this process's children, the workers, ns:
// what a call costs them whatever the machine's load does to wall time.
int64_t children_cpu_ns() {
  int64_t ticks = 0;
  const std::string self = std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    std::string f[13];
    for (std::string& x : f) fields >> x;  // state ppid ... stime: fields 3..15
    if (f[1] == self) ticks += std::stoll(f[11]) + std::stoll(f[12]);
  }
  return ticks * (1'000'000'000 / ::sysconf(_SC_CLK_TCK));
}

// Median ns per call over the rounds, and the range; CPU ns per call of this
// process and of its workers over all rounds.
struct Measured {
  double median = 0, low = 0, high = 0;
  double cpu_self = 0, cpu_workers = 0;
};

template <class Fn>
Measured measure(Fn&& fn) {
  fn(g_calls / 10);  // warm up
  std::vector<double> ns;
  const int64_t self0 = bench::process_cpu_ns(), workers0 = children_cpu_ns();
  for (int r = 0; r < g_rounds; ++r) {
    const int64_t start = bench::now_ns();
    fn(g_calls);
    ns.push_back(double(bench::now_ns() - start) / double(g_calls));
  }
  const double calls = double(g_calls) * g_rounds;
  return {bench::median(ns), *std::min_element(ns.begin(), ns.end()), *std::max_element(ns.begin(), ns.end()),
          double(bench::process_cpu_ns() - self0) / calls, double(children_cpu_ns() - workers0) / calls};
}

// The floor under any round trip that sleeps: one byte each way over a
// socket pair between this process and a forked one, which only echoes it.
Measured ping_pong() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) die("socketpair");
  const pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::close(fds[0]);
    char c;
    while (::read(fds[1], &c, 1) == 1 && ::write(fds[1], &c, 1) == 1) {
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  const Measured m = measure([fd = fds[0]](int64_t n) {
    char c = 'x';
    for (int64_t i = 0; i < n; ++i)
      if (::write(fd, &c, 1) != 1 || ::read(fd, &c, 1) != 1) die("ping-pong");
  });
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return m;
}

phost::Host make_host() {
  phost::HostOptions options;
  options.log_level = PHOST_LOG_WARN;
  return phost::Host(std::move(options));
}

void load(phost::Host& host, const std::filesystem::path& app, bool isolated, uint32_t workers) {
  phost::Value config = phost::Value::object();
  config.set("app_dir", phost::Value::string(app.string()));
  config.set("isolates", phost::Value::integer(isolated ? 1 : 2));
  phost::LoadOptions options;
  options.isolation = isolated ? phost::Isolation::process : phost::Isolation::in_process;
  options.workers = workers;
  host.load_plugin(PHOST_V8_PLUGIN, config, options);
  host.load_plugin(PHOST_ECHO_PLUGIN, {}, options);
}

Measured native(phost::Host& host) {
  const phost::Value args = phost::args(42, "hello", true);
  return measure([&](int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      if (host.call("echo.echo", args).size() != 3) die("echo.echo: wrong result");
  });
}

Measured script(phost::Host& host) {
  return measure([&](int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      if (host.call("scripts.b.Add", phost::args(i, 2)).as_int() != i + 2) die("scripts.b.Add: wrong result");
  });
}

// Calls per second from `threads` threads for about a second.
double throughput(phost::Host& host, int threads, const char* name, const phost::Value& args) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0};
  std::vector<std::thread> pool;
  const int64_t start = bench::now_ns();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      int64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        host.call(name, args);
        ++n;
      }
      calls += n;
    });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (std::thread& t : pool) t.join();
  return double(calls.load()) * 1e9 / double(bench::now_ns() - start);
}

void row(const char* name, const Measured& m, const Measured& base) {
  std::printf("  %-34s %9.0f ns  (%7.0f-%7.0f)  %7.2fx   cpu/call: host %6.0f ns, workers %6.0f ns\n", name,
              m.median, m.low, m.high, m.median / base.median, m.cpu_self, m.cpu_workers);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_calls = std::atoll(argv[1]);
  if (argc > 2) g_rounds = std::atoi(argv[2]);
  if (g_calls <= 0 || g_rounds <= 0) die("usage: bench_worker_call [calls per round] [rounds] [--worker-only]");
  if (argc > 3 && std::string(argv[3]) == "--worker-only") {
    phost::Host isolated = make_host();
    phost::LoadOptions options;
    options.isolation = phost::Isolation::process;
    isolated.load_plugin(PHOST_ECHO_PLUGIN, {}, options);
    const Measured m = native(isolated);
    std::printf("native call through a worker: %.0f ns (%.0f-%.0f), cpu/call: host %.0f ns, worker %.0f ns\n",
                m.median, m.low, m.high, m.cpu_self, m.cpu_workers);
    return 0;
  }
  if (argc > 3 && std::string(argv[3]) == "--ping-pong") {
    const Measured m = ping_pong();
    std::printf("socket pair ping-pong: %.0f ns (%.0f-%.0f), cpu/call: this %.0f ns, the other %.0f ns\n", m.median,
                m.low, m.high, m.cpu_self, m.cpu_workers);
    return 0;
  }
  bench::print_header("bench_worker_call");
  const auto app = std::filesystem::temp_directory_path() / ("phost-bench-workers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(app / "scripts");
  std::ofstream(app / "scripts" / "b.js")
      << "function Add(a, b) { return a + b; }\n"
         "function Work(n) { let s = 0; for (let i = 0; i < n; i++) s = (s + i * i) % 1000003; return s; }\n";

  phost::Host in_process = make_host();  // initialises V8 for this process
  load(in_process, app, false, 1);
  phost::Host isolated = make_host();
  load(isolated, app, true, 1);

  const Measured floor = ping_pong();
  const Measured native_in = native(in_process);
  const Measured native_w = native(isolated);
  const Measured script_in = script(in_process);
  const Measured script_w = script(isolated);
  Measured raw;
  {
    bench::RawIsolate isolate;
    bench::RawContext context(isolate.get());
    v8::Isolate* iso = isolate.get();
    v8::HandleScope scope(iso);
    v8::Local<v8::Context> ctx = context.get();
    bench::run_script(ctx, "function Add(a, b) { return a + b; }");
    v8::Local<v8::Function> add = bench::global_function(ctx, "Add");
    raw = measure([&](int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        v8::HandleScope inner(iso);
        v8::Local<v8::Value> add_args[] = {v8::Number::New(iso, double(i)), v8::Number::New(iso, 2)};
        v8::Local<v8::Value> r;
        if (!add->Call(ctx, v8::Undefined(iso), 2, add_args).ToLocal(&r) || r->IntegerValue(ctx).FromJust() != i + 2)
          die("raw V8: wrong result");
      }
    });
  }

  std::printf("%lld calls per round, %d rounds; median (range) and ratio to the row's baseline\n",
              (long long)g_calls, g_rounds);
  std::printf("native call, echo.echo([42, \"hello\", true]):\n");
  row("in-process (baseline)", native_in, native_in);
  row("through a worker", native_w, native_in);
  row("socket pair ping-pong (the floor)", floor, native_in);
  std::printf("  worker round trip adds %.1f us of wall time, %.1f us of CPU (host + worker)\n",
              (native_w.median - native_in.median) / 1000,
              (native_w.cpu_self + native_w.cpu_workers - native_in.cpu_self) / 1000);
  std::printf("script call, scripts.b.Add(i, 2):\n");
  row("raw V8 Function::Call (baseline)", raw, raw);
  row("in-process", script_in, raw);
  row("through a worker", script_w, raw);
  std::printf("  worker round trip adds %.1f us of wall time (worker/in-process %.2fx), %.1f us of CPU\n",
              (script_w.median - script_in.median) / 1000, script_w.median / script_in.median,
              (script_w.cpu_self + script_w.cpu_workers - script_in.cpu_self) / 1000);

  // Throughput: one thread on one worker, then two threads on two workers.
  const phost::Value echo_args = phost::args(42, "hello", true);
  const double one = throughput(isolated, 1, "echo.echo", echo_args);
  phost::Host two_workers = make_host();
  load(two_workers, app, true, 2);
  const double two = throughput(two_workers, 2, "echo.echo", echo_args);
  std::printf("throughput through workers, echo.echo: 1 thread/1 worker %.0f calls/s, 2 threads/2 workers "
              "%.0f calls/s (%.2fx)\n", one, two, two / one);
  // Calls that work (~0.2 ms each): the CPU goes to the plugins, not to the round trips.
  const phost::Value work_args = phost::args(200'000);
  const double one_work = throughput(isolated, 1, "scripts.b.Work", work_args);
  const double two_work = throughput(two_workers, 2, "scripts.b.Work", work_args);
  std::printf("throughput through workers, scripts.b.Work(200000): 1 thread/1 worker %.0f calls/s, 2 threads/2 "
              "workers %.0f calls/s (%.2fx)\n", one_work, two_work, two_work / one_work);
  std::filesystem::remove_all(app);
  return 0;
}
