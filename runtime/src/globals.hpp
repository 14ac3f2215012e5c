// gou's script library (runtime/js/globals.js): log, time, FS, Store, http,
// $L, All/Any/Race, Authorized, atob/btoa, TextEncoder/TextDecoder,
// structuredClone, queueMicrotask, with the natives they need.
#pragma once

#include "bridge.hpp"

#include <v8-context.h>
#include <v8-local-handle.h>

namespace phost::v8rt {

// Defines the library's globals on a context being set up (before it is
// hardened); process is the bridge's Process function. Throws phost::Error.
void install_gou_globals(v8::Local<v8::Context> context, v8::Local<v8::Value> process, const BridgeState& state);

}  // namespace phost::v8rt
