// fuzz_bridge: the input drives a small generator of scripts that use the
// bridge the way careless or hostile code does: Process() to native and
// script processes (itself included), Exception, getters on results and on
// thrown values, promises and microtasks, console, Context, loops; and picks
// a deadline from 1 to 64 ms for each call. The one host must keep
// answering: every call ends with a value or a clear error (an HTTP-like
// code, a UTF-8 message, never PHOST_E_INTERNAL), within a bound far above
// its deadline, and a probe script answers correctly after every input.
#include "v8_support.hpp"

#include <chrono>

using namespace fuzz;

namespace {

V8Host* g_host = nullptr;

// Reads the input as a stream of small choices.
class Choices {
public:
  Choices(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  unsigned next(unsigned n) { return pos_ < size_ ? data_[pos_++] % n : 0; }
  bool done() const { return pos_ >= size_; }

private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

std::string expr(Choices& c, int depth);

std::string stmt(Choices& c, int depth) {
  if (depth > 4) return "n++;";
  switch (c.next(12)) {
    case 0: return "Process('test.echo', " + expr(c, depth + 1) + ");";
    case 1: return "Process('scripts.f.Main', n);";
    case 2: return "throw new Exception('e' + n, " + std::to_string(400 + c.next(200)) + ");";
    case 3: return "for (let i = 0; i < " + std::to_string(c.next(5) * 100) + "; i++) { " + stmt(c, depth + 1) + " }";
    case 4: return "while (true) { " + stmt(c, depth + 1) + " }";
    case 5: return "Promise.resolve().then(() => { " + stmt(c, depth + 1) + " });";
    case 6: return "try { " + stmt(c, depth + 1) + " } catch (e) { " + stmt(c, depth + 1) + " }";
    case 7: return "console.log(" + expr(c, depth + 1) + ");";
    case 8: return "keep.push(" + expr(c, depth + 1) + ");";
    case 9: return "throw { get message() { " + stmt(c, depth + 1) + " return 'm'; }, code: 418 };";
    case 10: return "if (n++ > 3) return " + expr(c, depth + 1) + ";";
    default: return "Process('scripts.probe.Ok');";
  }
}

std::string expr(Choices& c, int depth) {
  if (depth > 4) return "n";
  switch (c.next(10)) {
    case 0: return "({ get v() { " + stmt(c, depth + 1) + " return 1; } })";
    case 1: return "Context.global";
    case 2: return "new Exception('x', 500)";
    case 3: return "Process('test.echo', n)";
    case 4: return "[" + expr(c, depth + 1) + ", " + expr(c, depth + 1) + "]";
    case 5: return "new Map([[1, 'a'], ['1', 'b']])";
    case 6: return "(async () => { await null; " + stmt(c, depth + 1) + " return 2; })()";
    case 7: return "'s'.repeat(" + std::to_string(c.next(8) * 1000) + ")";
    case 8: return "{ a: " + expr(c, depth + 1) + " }";
    default: return "n";
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_host = new V8Host(50);
  phost_process_desc echo{};
  echo.struct_size = sizeof echo;
  echo.name = S("test.echo");
  echo.description = S("returns its first argument");
  echo.handler = [](void*, phost_call_ctx*, const phost_value* args, phost_value** out) -> phost_status {
    const phost_value* first = api().value_at(args, 0, nullptr);
    if (!first) return api().value_null(out);
    api().value_retain(first);
    *out = const_cast<phost_value*>(first);
    return PHOST_OK;
  };
  if (phost_register(g_host->host(), &echo) != PHOST_OK) fail(__FILE__, __LINE__, "register", last_error().message);
  g_host->must_load("probe", "function Ok() { return 42; }");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Choices c(data, size);
  const bool async = c.next(2);
  std::string body;
  while (!c.done() && body.size() < 4000) body += stmt(c, 0) + "\n";
  const std::string source = "let n = 0; const keep = [];\n" + std::string(async ? "async " : "") +
                             "function Main() {\n" + body + "return { get r() { " + stmt(c, 1) + " return n; } };\n}";
  const Outcome loaded = g_host->load("f", source);
  FUZZ_CHECK(loaded.status != PHOST_E_INTERNAL, err_text(loaded.error) + "\n" + shown(source));

  const int64_t timeout = 1 + c.next(64);
  const auto start = std::chrono::steady_clock::now();
  const Ref args = args_of({});
  const Outcome o = g_host->call("scripts.f.Main", args.get(), timeout);
  const auto took = std::chrono::steady_clock::now() - start;
  if (o.status != PHOST_OK) {
    const std::string what = err_text(o.error) + "\nsource: " + shown(source);
    FUZZ_CHECK(o.status != PHOST_E_INTERNAL, what);
    FUZZ_CHECK(o.error.code >= 100 && o.error.code <= 599, what);
    FUZZ_CHECK(!o.error.message.empty() && valid_utf8(o.error.message), what);
  }
  FUZZ_CHECK(took < std::chrono::seconds(10), "a call with a " + std::to_string(timeout) + " ms deadline took " +
                                                  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                                                  " ms:\n" + shown(source));
  const Outcome probe = g_host->call("scripts.probe.Ok", args.get(), 5000);
  FUZZ_CHECK(probe.status == PHOST_OK, "the host stopped answering: " + err_text(probe.error) + "\n" + shown(source));
  int64_t answer = 0;
  FUZZ_CHECK(api().value_get_int(probe.value.get(), &answer) == PHOST_OK && answer == 42, "the probe's answer changed");
  return 0;
}
