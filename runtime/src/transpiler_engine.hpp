// The transpiler's isolate: one context in which the embedded sucrase bundle
// ran once, and the bundle's strip() and scan() called with V8's limits.
// Single-threaded: only Transpiler's worker thread creates, uses and destroys
// it (TerminateExecution on isolate() is the one call allowed from elsewhere).
#pragma once

#include "transpiler.hpp"

#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-persistent-handle.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace phost::v8rt {

class TranspilerEngine {
public:
  explicit TranspilerEngine(const Transpiler::Options& options);
  ~TranspilerEngine();
  TranspilerEngine(const TranspilerEngine&) = delete;
  TranspilerEngine& operator=(const TranspilerEngine&) = delete;

  v8::Isolate* isolate() const noexcept { return isolate_.get(); }

  // Runs the bundle; "" on success, else why not. Must succeed before any call.
  std::string load();

  // A call stopped by TerminateExecution (deadline or heap limit) fails with
  // "terminated"; the caller cancels the termination and names the cause.
  TranspileResult strip(std::string_view source, std::string_view file);
  ScanResult scan(std::string_view source, bool typescript);
  // The heap limit was reached: the isolate must not be trusted again.
  bool condemned() const noexcept { return heap_limit_hit_.load(); }

  // Drops the process-wide code cache of the bundle (for measuring loads without it).
  static void forget_code_cache() noexcept;

private:
  struct IsolateDisposer {
    void operator()(v8::Isolate* isolate) const noexcept { isolate->Dispose(); }
  };
  static size_t near_heap_limit(void* data, size_t current, size_t initial);

  Transpiler::Options options_;
  std::unique_ptr<v8::Isolate, IsolateDisposer> isolate_;  // declared first: disposed last
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> strip_;
  v8::Global<v8::Function> scan_;
  std::atomic<bool> heap_limit_hit_{false};
};

}  // namespace phost::v8rt
