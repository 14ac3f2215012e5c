// `phost repl`: a JavaScript prompt against the loaded app. Each input is
// evaluated in the app's context (the runtime's globals, Process() to call any
// process), its value printed as JSON-like text; `$` is an object kept for the
// session and `_` the last value. An input that ends too early (an open brace,
// a template literal) continues on the next line. On a terminal it has line
// editing and a history (~/.phost_history, libedit); elsewhere it reads lines.
#pragma once

#include <phost/host.hpp>

#include <chrono>

namespace phost::cli {

// Runs until end of input or ".exit"; returns the exit status (0).
int run_repl(Host& host, std::chrono::milliseconds timeout, std::string_view session);

}  // namespace phost::cli
