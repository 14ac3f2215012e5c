// The globals every script sees, installed once per context (not per call):
//   Process(name, ...args)   calls a registered process the runtime's rules allow
//   Exception(message, code) an Error carrying an HTTP-like code
//   console.log/info/warn/error/debug  to the host log, tagged with the script id
//   Context.sid / .global / .authorized / .process  the current call's context
// All are read-only and undeletable, and the global object takes no new
// properties, so one script cannot change what another sees.
#pragma once

#include "call_stack.hpp"
#include "convert.hpp"
#include "js_error.hpp"
#include "services.hpp"
#include "watchdog.hpp"

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>

#include <memory>
#include <optional>
#include <string_view>

namespace phost::v8rt {

// What the bridge's callbacks read, owned by the isolate's slot.
struct BridgeState {
  const Services& services;
  const CallStack& calls;
  const std::unique_ptr<JsErrors>& errors;  // replaced with the isolate
  CallTimer& timer;                         // stops the running chain
  ValueLimits limits;
  // Code was made from a string since the last drop_eval_globals.
  mutable bool evaled = false;
};

// The script whose own code is running: outside jobs, the call's; while
// jobs run, the one whose code the job is (a job one script queued runs in
// whichever call next runs the microtasks, a nested call's or its caller's).
// Null outside a call, and for code of no script's.
std::optional<std::string_view> running_script(v8::Isolate* isolate, const CallStack& calls);

class Bridge {
public:
  // A hardened context with the bridge installed. Throws phost::Error.
  static v8::Local<v8::Context> new_context(v8::Isolate* isolate, const BridgeState& state);
  // The isolate's PrepareStackTraceCallback: a trace that stops where the
  // script was called through Process(), so no script sees its caller's frames.
  static v8::MaybeLocal<v8::Value> prepare_stack_trace(v8::Local<v8::Context> context, v8::Local<v8::Value> error,
                                                       v8::Local<v8::Array> sites);
  // The isolate's ModifyCodeGenerationFromStringsCallback2: eval and
  // Function(text) in a script's context, of up to kMaxEvalSource characters
  // (V8 parses outside the heap limit and the deadline's reach: 15 MB of
  // source took 1 GB), and nowhere else (the encoder's realm).
  static constexpr int kMaxEvalSource = 1 << 20;
  // An indirect eval's `var` is defined on the global object itself, past
  // the interceptor that keeps undeclared names each script's own; every
  // script would then share it. The runtime deletes such globals (the only
  // configurable data properties the global has) whenever code from a string
  // ran, before and after each call: what one script declared so is gone
  // before another's code runs (but for jobs of one microtask checkpoint).
  static void drop_eval_globals(v8::Local<v8::Context> context, const BridgeState& state);
  static v8::ModifyCodeGenerationFromStringsResult code_from_string(v8::Local<v8::Context> context,
                                                                   v8::Local<v8::Value> source, bool is_code_like);
};

}  // namespace phost::v8rt
