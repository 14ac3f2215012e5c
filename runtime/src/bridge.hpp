// The globals every script sees, installed once per context (not per call):
//   Process(name, ...args)   calls any registered process synchronously
//   Exception(message, code) an Error carrying an HTTP-like code
//   console.log/info/warn/error/debug  to the host log, tagged with the script id
//   Context.sid / .global / .authorized / .process  the current call's context
// All are read-only and undeletable, so one script cannot break them for others.
#pragma once

#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-context.h>
#include <v8-template.h>

namespace phost::v8rt {

class IsolateSlot;

class Bridge {
public:
  // A context with the bridge installed.
  static v8::Local<v8::Context> new_context(v8::Isolate* isolate, IsolateSlot& slot);
};

}  // namespace phost::v8rt
