// TypeScript stripping and top-level scanning for script loading, done by
// sucrase (bundled at build time and embedded in the plugin) inside a small
// V8 isolate of its own, so hostile sources never touch the script isolates.
// Thread-safe: calls from any thread are served one at a time by a worker
// thread that owns the isolate; each call has a deadline and the isolate a
// heap limit, both reported as errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace phost::v8rt {

// Lines and columns are 1-based; columns count UTF-16 code units, as V8's do.
// A source larger than the heap limit is refused at once; sucrase needs some
// 100 bytes of heap per byte of source: 64 MB serves files up to about half a
// megabyte (bench_transpile (d)).

struct TranspileResult {
  bool ok = false;
  // The JS. Removed types become blanks, so every line and column stays, except
  // after code sucrase writes (an enum, parameter properties) on the same line.
  std::string code;
  std::string error;  // "file:line:col: message" when !ok
};

struct ScanResult {
  struct Import {
    std::string specifier;
    int line = 0;
    int column = 0;  // of the specifier's opening quote
  };
  bool ok = false;
  bool module = false;                 // a top-level import/export declaration, or import.meta anywhere
  std::vector<std::string> functions;  // top-level function declarations (export, export default NAME,
                                       // async, generators too), in source order, unique
  std::vector<Import> imports;         // static imports and re-exports (`export ... from`), not import()
  std::string error;                   // "line:col: message" when !ok
};

class Transpiler {
public:
  // The caller's deadline: a call waits neither for another's call nor for
  // its own job past it. max(): none.
  using Deadline = std::chrono::steady_clock::time_point;
  static constexpr std::string_view kDeadlinePassed = "the caller's deadline passed";

  struct Options {
    size_t heap_limit = size_t{64} << 20;           // the transpiler isolate's old generation
    std::chrono::milliseconds deadline{2000};       // per call, once the bundle is loaded (which has 10 s)
    bool code_cache = true;                         // reuse V8's code cache of the bundle, process-wide
  };

  Transpiler();
  explicit Transpiler(Options options);
  ~Transpiler();
  Transpiler(const Transpiler&) = delete;
  Transpiler& operator=(const Transpiler&) = delete;

  // TypeScript -> JS (types removed, ES2022 kept). What sucrase cannot turn
  // into equivalent JS (value namespaces, decorators, `export =`,
  // `import = require()`) is an error naming its position.
  TranspileResult strip(std::string_view source, std::string_view file, Deadline deadline = Deadline::max()) noexcept;

  // A source's top level. A TypeScript source is scanned as the JS it strips
  // to (type-only and elided imports are not listed; positions are the .ts
  // file's); a JS source must not hold TypeScript syntax. scan(ts, true) right
  // after strip(ts) of the same text reuses the strip's parse (tens of us).
  // sucrase's parser refuses a few sloppy-script forms that V8 accepts: `with`,
  // HTML-like comments, `let`/`await` as names, `if (x) function f() {}`.
  ScanResult scan(std::string_view source, bool typescript, Deadline deadline = Deadline::max()) noexcept;

  // Loads the bundle now rather than on the first call; "" when ready, else the error.
  std::string warm_up() noexcept;

private:
  class Worker;
  Options options_;
  std::shared_ptr<Worker> worker_;  // shared with its thread, which may outlive us if V8 hangs
};

}  // namespace phost::v8rt
