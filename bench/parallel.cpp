// All() against the same process calls made one after another from a script,
// in one run: tasks that wait (time.Sleep, a native process) and tasks that are
// scripts themselves (each needs an isolate of its own to run in parallel).
//   bench_parallel [tasks] [ms]      defaults: 3 tasks of 500 ms (issue 10's case)
#include <phost/host.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

double seconds_of(phost::Host& host, const std::string& process, int tasks, int ms) {
  const auto start = std::chrono::steady_clock::now();
  host.call(process, phost::args(tasks, ms));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int tasks = argc > 1 ? std::atoi(argv[1]) : 3;
  const int ms = argc > 2 ? std::atoi(argv[2]) : 500;
  try {
    phost::Host host;
    phost::Value config = phost::Value::from_json(R"({"isolates": )" + std::to_string(tasks + 1) +
                                                  R"(, "timeout_ms": 600000})");
    host.load_plugin(PHOST_V8_PLUGIN, config);
    host.call("runtime.load",
              phost::args("p",
                          "function Nap(ms) { time.Sleep(ms); return ms; }\n"
                          "function list(n, process, ms) { return Array.from({length: n}, () => ({process, args: [ms]})); }\n"
                          "function Sequential(n, ms) { for (let i = 0; i < n; i++) Process('time.Sleep', ms); }\n"
                          "function Parallel(n, ms) { All(list(n, 'time.Sleep', ms)); }\n"
                          "function SequentialScripts(n, ms) { for (let i = 0; i < n; i++) Process('scripts.p.Nap', ms); }\n"
                          "function ParallelScripts(n, ms) { All(list(n, 'scripts.p.Nap', ms)); }",
                          "p.js"));
    seconds_of(host, "scripts.p.Parallel", tasks, 1);  // threads started, code compiled
    seconds_of(host, "scripts.p.ParallelScripts", tasks, 1);
    std::printf("%d tasks of %d ms each\n", tasks, ms);
    std::printf("%-28s %10s %10s %8s\n", "tasks", "sequential", "All", "ratio");
    for (const char* kind : {"", "Scripts"}) {
      const double seq = seconds_of(host, std::string("scripts.p.Sequential") + kind, tasks, ms);
      const double par = seconds_of(host, std::string("scripts.p.Parallel") + kind, tasks, ms);
      std::printf("%-28s %9.3fs %9.3fs %7.2fx\n", *kind ? "script (scripts.p.Nap)" : "native (time.Sleep)", seq, par,
                  seq / par);
    }
  } catch (const phost::Error& e) {
    std::fprintf(stderr, "bench_parallel: %s (code %d)\n", e.what(), e.code());
    return 1;
  }
  return 0;
}
