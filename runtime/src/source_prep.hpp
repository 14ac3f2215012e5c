// Turns a script's source into what V8 compiles, once per distinct source:
// TypeScript (a .ts file) is stripped of its types by the transpiler, which
// keeps every line and column; the top level is scanned with a real parser
// (sucrase's) for its function declarations, and an epilogue makes each of
// them callable, exported or not, as gou does:
//  - a classic script is compiled as a function body whose epilogue returns
//    a namespace object of its functions (with a token it is given);
//  - an ES module puts each of them on its import.meta's kModuleFunctions
//    object (module_linker.hpp), outside the namespace its importers see.
// Results are cached by SHA-256 in the code cache (memory and cache_dir), so
// a restart neither transpiles nor parses again.
#pragma once

#include "code_cache.hpp"
#include "transpiler.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace phost::v8rt {

inline constexpr const char* kTokenParam = "__phost_token__";

struct PreparedSource {
  bool module = false;
  std::vector<std::string> functions;  // top-level function declarations
  std::string body;                    // the JS V8 compiles, epilogue included
  size_t epilogue_at = 0;              // where the epilogue starts in body
};

class SourcePrep {
public:
  explicit SourcePrep(CodeCache& cache) : cache_(cache) {}

  // Throws phost::Error 500 naming file:line:col for what cannot be stripped,
  // 408 when the deadline passes first.
  PreparedSource prepare(std::string_view source, std::string_view file,
                         Transpiler::Deadline deadline = Transpiler::Deadline::max());

private:
  PreparedSource compute(std::string_view source, std::string_view file, bool typescript, Transpiler::Deadline deadline);

  CodeCache& cache_;
  Transpiler transpiler_;  // its isolate is made on first use
};

}  // namespace phost::v8rt
