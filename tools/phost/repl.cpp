#include "repl.hpp"

#include "exit_codes.hpp"
#include "output.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#ifndef _WIN32
#include <unistd.h>

#include <editline/readline.h>
#endif

namespace phost::cli {
namespace {

// The session's script. Direct eval, so inputs see $ and _ (and their own
// `var`s only for that input: nothing may become a global of the shared context).
constexpr const char* kReplId = "phost_repl";
constexpr const char* kReplScript = R"js(const $ = {};
let _;
function show(v) {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return '[Function: ' + (v.name || '(anonymous)') + ']';
  if (typeof v === 'bigint') return v + 'n';
  if (typeof v === 'symbol') return v.toString();
  if (v instanceof Error) return v.stack || String(v);
  try {
    const text = JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x + 'n' :
      typeof x === 'function' ? '[Function: ' + (x.name || '(anonymous)') + ']' : x === undefined ? null : x, 2);
    return text === undefined ? String(v) : text;
  } catch (e) {
    return String(v);
  }
}
function Eval(code) {
  const value = eval(code);
  if (value instanceof Promise) return value.then((v) => show(_ = v));
  _ = value;
  return show(value);
}
)js";

constexpr const char* kHelp =
    ".help   this text\n"
    ".exit   leave (or end of input, Ctrl-D)\n"
    "Each input is JavaScript evaluated in the app's context: Process('scripts.x.Y', ...args) calls a process,\n"
    "$ is an object kept for the session ($.order = ...), _ is the last value. A promise is awaited.\n";

// Whether V8 refused code only because it ends too early: read another line.
bool incomplete(const Error& e) {
  const std::string m = e.what();
  return m.find("SyntaxError: Unexpected end of input") != std::string::npos ||
         m.find("SyntaxError: Unterminated template literal") != std::string::npos ||
         m.find("SyntaxError: missing ) after argument list") != std::string::npos;
}

class LineReader {
public:
  LineReader() {
#ifndef _WIN32
    terminal_ = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (terminal_) {
      if (const char* home = std::getenv("HOME"); home && *home) history_ = std::string(home) + "/.phost_history";
      using_history();
      if (!history_.empty()) read_history(history_.c_str());
    }
#endif
  }
  ~LineReader() {
#ifndef _WIN32
    if (terminal_ && !history_.empty()) write_history(history_.c_str());
#endif
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  std::optional<std::string> read(const char* prompt) {
#ifndef _WIN32
    if (terminal_) {
      char* line = readline(prompt);
      if (!line) return std::nullopt;
      std::string text(line);
      std::free(line);
      return text;
    }
#endif
    (void)prompt;
    std::string text;
    if (!std::getline(std::cin, text)) return std::nullopt;
    return text;
  }

  void remember(const std::string& input) {
#ifndef _WIN32
    if (terminal_ && !input.empty()) add_history(input.c_str());
#endif
    (void)input;
  }

private:
  bool terminal_ = false;
  std::string history_;
};

}  // namespace

int run_repl(Host& host, std::chrono::milliseconds timeout, std::string_view session) {
  try {
    host.call("runtime.load", args(kReplId, kReplScript, "repl.js"));
  } catch (const Error& e) {
    if (e.code() == 404) throw Failure(kUsage, "repl needs the V8 runtime: give --app DIR (or --plugin v8)");
    throw;
  }
  CallOptions options;
  options.session = session;
  options.timeout = timeout;
  LineReader reader;
  write_stdout("phost repl: JavaScript in the app's context; .help for help, .exit to leave\n");
  flush_stdout();
  std::string input;
  for (;;) {
    const std::optional<std::string> line = reader.read(input.empty() ? "> " : "... ");
    if (!line) break;
    input += input.empty() ? *line : "\n" + *line;
    if (input == ".exit") break;
    if (input == ".help") {
      write_stdout(kHelp);
      input.clear();
      continue;
    }
    if (input.find_first_not_of(" \t") == std::string::npos) {
      input.clear();
      continue;
    }
    std::string out;
    try {
      const Value shown = host.call(std::string("scripts.") + kReplId + ".Eval", args(input), options);
      out = std::string(shown.as_string()) + "\n";
    } catch (const Error& e) {
      if (incomplete(e)) continue;  // keeps input, asks for more
      out = "Uncaught " + std::string(e.what()) + " (code " + std::to_string(e.code()) + ")\n";
      if (!e.stack().empty()) out += e.stack() + "\n";
    }
    reader.remember(input);
    input.clear();
    write_stdout(out);
    flush_stdout();
  }
  host.call("runtime.unload", args(kReplId));
  return kOk;
}

}  // namespace phost::cli
