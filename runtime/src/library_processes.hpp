// The processes behind gou's log and time objects, registered by the runtime
// unless the application registered them first (then scripts use its own):
//   log.Trace/Debug/Info/Warn/Error/Fatal/Panic(line)  to the host log
//   time.Sleep(ms)                     waits, never past the call's deadline
//   time.After(ms, process, ...args)   calls process later, outside this call
#pragma once

#include "delayed_calls.hpp"
#include "options.hpp"

#include <phost/plugin.hpp>

namespace phost::v8rt {

void add_library_processes(const Plugin& plugin, const Options& options, DelayedCalls& delayed);

}  // namespace phost::v8rt
