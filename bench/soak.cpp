// Soak: 8 threads calling a mix of native and script processes, with
// reloads, timeouts and thrown errors mixed in, for a fixed number of calls.
// Every answer is checked. Prints calls/s, p50/p99 latency, outcomes by kind
// and RSS after warm-up and at the end; exits 1 on any wrong answer.
//
//   bench_soak [calls per thread = 25000] [threads = 8]
#include <phost/host.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifndef PHOST_V8_PLUGIN
#error "PHOST_V8_PLUGIN must name the V8 plugin"
#endif

namespace {

using Clock = std::chrono::steady_clock;

double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096.0 / (1024 * 1024);
}

std::string hot_source(int64_t version) {
  return "const v = " + std::to_string(version) + ";\nfunction Version() { return v; }";
}

struct Tally {
  std::mutex mutex;
  std::map<std::string, long> outcomes;  // "ok", "timeout (expected)", ...
  long wrong = 0;
  std::vector<int64_t> latencies_ns;

  void merge(const std::map<std::string, long>& local, long local_wrong, std::vector<int64_t>& lat) {
    std::lock_guard lock(mutex);
    for (const auto& [kind, n] : local) outcomes[kind] += n;
    wrong += local_wrong;
    latencies_ns.insert(latencies_ns.end(), lat.begin(), lat.end());
  }
};

}  // namespace

int main(int argc, char** argv) {
  const long calls_per_thread = argc > 1 ? std::stol(argv[1]) : 25000;
  const int threads = argc > 2 ? std::stoi(argv[2]) : 8;

  phost::HostOptions host_options;
  host_options.log_level = PHOST_LOG_ERROR;
  host_options.log = [](int, std::string_view, std::string_view) {};
  phost::Host host(host_options);
  host.add("native.add", "a + b", [](phost::Call& call) {
    return phost::Value::integer(call.arg<int64_t>(0) + call.arg<int64_t>(1));
  });
  phost::Value config = phost::Value::object();
  config.set("isolates", phost::Value::integer(2));
  config.set("timeout_ms", phost::Value::integer(5000));
  host.load_plugin(PHOST_V8_PLUGIN, config);
  auto load = [&](std::string_view id, const std::string& source) { host.call("runtime.load", phost::args(id, source)); };
  load("calc",
       "function Add(a, b) { return { sum: a + b, twice: Process('native.add', a, b) + a + b }; }\n"
       "function Fail(code) { throw new Exception('planned failure', code); }");
  load("slow", "function Spin() { for (;;) {} }");
  // Reloads are serialized so that publication order is version order: a
  // thread must then never see a version older than one it saw before.
  std::mutex reload_mutex;
  std::atomic<int64_t> version{1};
  load("hot", hot_source(1));

  Tally tally;
  std::atomic<long> done_calls{0};
  const long warmup = calls_per_thread / 10;
  std::atomic<int> warmed{0};
  double rss_after_warmup = 0;
  std::mutex rss_mutex;
  const double rss_start = rss_mib();

  auto worker = [&](int t) {
    std::map<std::string, long> local;
    long wrong = 0;
    auto wrong_answer = [&](const char* what) {
      ++wrong;
      ++local[std::string("WRONG ") + what];
    };
    // Sized and touched up front, so the buffer is not counted as growth.
    std::vector<int64_t> latencies(static_cast<size_t>(calls_per_thread), 0);
    int64_t last_version = 0;
    for (long i = 0; i < calls_per_thread; ++i) {
      if (i == warmup && ++warmed == threads) {
        std::lock_guard lock(rss_mutex);
        rss_after_warmup = rss_mib();
      }
      const long kind = i % 1000;
      const auto start = Clock::now();
      try {
        if (kind < 600) {
          const phost::Value r = host.call("scripts.calc.Add", phost::args(int64_t(i), int64_t(t)));
          const int64_t sum = i + t;
          if (r["sum"].as_int() != sum || r["twice"].as_int() != 2 * sum) wrong_answer("script result");
          ++local["script ok"];
        } else if (kind < 850) {
          if (host.call("native.add", phost::args(int64_t(i), int64_t(t))).as_int() != i + t)
            wrong_answer("native result");
          ++local["native ok"];
        } else if (kind < 980) {
          const int64_t v = host.call("scripts.hot.Version").as_int();
          if (v < last_version) wrong_answer("version went back");
          if (v > version.load() + 1) wrong_answer("version never published");  // +1: one may be publishing
          last_version = v;
          ++local["versioned ok"];
        } else if (kind < 990) {
          std::lock_guard lock(reload_mutex);
          load("hot", hot_source(version + 1));
          ++version;
          ++local["reload ok"];
        } else if (kind < 999) {
          host.call("scripts.calc.Fail", phost::args(418));
          wrong_answer("no planned error");
        } else {
          phost::CallOptions o;
          o.timeout = std::chrono::milliseconds(20);
          host.call("scripts.slow.Spin", phost::args(), o);
          wrong_answer("no planned timeout");
        }
      } catch (const phost::Error& e) {
        if (kind >= 990 && kind < 999 && e.code() == 418) {
          ++local["error 418 (planned)"];
        } else if (kind == 999 && e.code() == 408) {
          ++local["timeout 408 (planned)"];
        } else {
          wrong_answer("unexpected error");
          ++local["  error " + std::to_string(e.code()) + ": " + e.what()];
        }
      }
      latencies[static_cast<size_t>(i)] = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
      ++done_calls;
    }
    tally.merge(local, wrong, latencies);
  };

  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double rss_end = rss_mib();
  for (int i = 0; i < 2; ++i)  // a full GC in each isolate (either may answer; ask twice)
    host.call("runtime.stats", phost::args(phost::Value::from_json(R"({"gc":true})")));
  const double rss_after_gc = rss_mib();

  std::sort(tally.latencies_ns.begin(), tally.latencies_ns.end());
  auto percentile = [&](double p) {
    return tally.latencies_ns[static_cast<size_t>(p * static_cast<double>(tally.latencies_ns.size() - 1))] / 1000.0;
  };
  const double growth = (rss_end - rss_after_warmup) / rss_after_warmup * 100.0;
  std::printf("soak: %d threads x %ld calls = %ld calls in %.2f s, isolates=2\n", threads, calls_per_thread,
              done_calls.load(), seconds);
  std::printf("  calls/s           %.0f\n", static_cast<double>(done_calls.load()) / seconds);
  std::printf("  latency p50       %.1f us\n", percentile(0.50));
  std::printf("  latency p99       %.1f us  (the planned 20 ms timeouts are 0.1%% of calls)\n", percentile(0.99));
  std::printf("  latency max       %.1f us\n", percentile(1.0));
  std::printf("  outcomes:\n");
  for (const auto& [kind, n] : tally.outcomes) std::printf("    %-28s %ld\n", kind.c_str(), n);
  std::printf("  wrong answers     %ld\n", tally.wrong);
  std::printf("  reloads published %lld\n", static_cast<long long>(version.load() - 1));
  std::printf("  RSS start %.1f MiB, after warm-up %.1f MiB, end %.1f MiB: growth after warm-up %.1f%% (target < 5%%)\n",
              rss_start, rss_after_warmup, rss_end, growth);
  std::printf("  RSS after a full GC in the isolates: %.1f MiB (%+.1f%% vs after warm-up)\n", rss_after_gc,
              (rss_after_gc - rss_after_warmup) / rss_after_warmup * 100.0);
  return tally.wrong == 0 ? 0 : 1;
}
