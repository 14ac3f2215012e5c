// The CLI's log target. A script's console.* line (the V8 plugin logs it as
// "[scripts.<id>] text") is the script's output: it goes to stderr as the bare
// text, at every level, as node and deno print it, unless --quiet. Every other
// line is a diagnostic, shown from --log-level up as "[logger] level: text".
#pragma once

#include <phost/plugin_api.h>

#include <cstdint>
#include <string_view>

namespace phost::cli {

struct ConsoleLog {
  int32_t level = PHOST_LOG_WARN;  // diagnostics below it are dropped
  bool quiet = false;              // drops console output (diagnostics still follow level)

  // The host's level: low enough to let every console line through.
  int32_t host_level() const { return quiet ? level : PHOST_LOG_TRACE; }

  // A phost::LogFn: runs on any thread; one write per line keeps lines whole.
  void operator()(int level, std::string_view logger, std::string_view message) const;
};

}  // namespace phost::cli
