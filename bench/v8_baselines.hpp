// Shared helpers for bench_script_call and bench_script_load: clocks, RSS,
// load average, medians, and a raw V8 isolate for the baselines.
//
// V8 is initialised by the runtime plugin (once per process). A raw isolate
// here must be created only after the plugin is loaded, and nothing here
// calls V8::Initialize again.
#pragma once

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-object.h>
#include <v8-persistent-handle.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-initialization.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace bench {

[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "bench: %s\n", why.c_str());
  std::exit(1);
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU time of the whole process (all threads), ns.
inline int64_t process_cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (int64_t(u.ru_utime.tv_sec) + u.ru_stime.tv_sec) * 1'000'000'000 +
         (int64_t(u.ru_utime.tv_usec) + u.ru_stime.tv_usec) * 1000;
}

inline int64_t minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Resident set size from /proc/self/statm, bytes.
inline int64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

inline std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

inline double load1() {
  std::ifstream in("/proc/loadavg");
  double a = 0;
  in >> a;
  return a;
}

inline void print_header(const char* program) {
  std::printf("%s: load average %s (1/5/15 min), %ld cores%s\n", program, loadavg().c_str(),
              sysconf(_SC_NPROCESSORS_ONLN), load1() > 1.5 ? "  ** machine busy: figures are noisy **" : "");
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double mib(int64_t bytes) { return double(bytes) / (1024.0 * 1024.0); }

// ---- raw V8 ----------------------------------------------------------------

inline v8::Local<v8::String> str(v8::Isolate* isolate, std::string_view s,
                                 v8::NewStringType type = v8::NewStringType::kNormal) {
  return v8::String::NewFromUtf8(isolate, s.data(), type, static_cast<int>(s.size())).ToLocalChecked();
}

// An isolate of our own, with our own ArrayBuffer allocator, entered on the
// creating thread for its whole life (like the plugin's workers).
class RawIsolate {
public:
  RawIsolate() : allocator_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    isolate_ = v8::Isolate::New(params);
    isolate_->Enter();
  }
  ~RawIsolate() {
    isolate_->Exit();
    isolate_->Dispose();
  }
  RawIsolate(const RawIsolate&) = delete;
  RawIsolate& operator=(const RawIsolate&) = delete;

  v8::Isolate* get() const noexcept { return isolate_; }
  v8::ArrayBuffer::Allocator* allocator() const noexcept { return allocator_.get(); }

private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
};

// A context kept alive and entered (one per RawIsolate in these benches).
class RawContext {
public:
  explicit RawContext(v8::Isolate* isolate) : isolate_(isolate) {
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    context->Enter();
    context_.Reset(isolate, context);
  }
  ~RawContext() {
    v8::HandleScope scope(isolate_);
    context_.Get(isolate_)->Exit();
    context_.Reset();
  }
  RawContext(const RawContext&) = delete;
  RawContext& operator=(const RawContext&) = delete;
  v8::Local<v8::Context> get() const { return context_.Get(isolate_); }

private:
  v8::Isolate* isolate_;
  v8::Global<v8::Context> context_;
};

// Compiles and runs a classic script in context; dies on an exception.
inline void run_script(v8::Local<v8::Context> context, std::string_view source, std::string_view name = "bench.js") {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::ScriptOrigin origin(isolate, str(isolate, name));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  if (!v8::Script::Compile(context, str(isolate, source), &origin).ToLocal(&script) ||
      !script->Run(context).ToLocal(&result)) {
    v8::String::Utf8Value message(isolate, try_catch.Exception());
    die(std::string("script failed: ") + (*message ? *message : "?"));
  }
}

inline v8::Local<v8::Function> global_function(v8::Local<v8::Context> context, std::string_view name) {
  v8::Local<v8::Value> v;
  if (!context->Global()->Get(context, str(context->GetIsolate(), name)).ToLocal(&v) || !v->IsFunction())
    die("no global function " + std::string(name));
  return v.As<v8::Function>();
}

}  // namespace bench
