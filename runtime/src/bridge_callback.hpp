// What every native callback of a script context shares: its BridgeState
// (the callback's data) and the boundary no C++ exception may cross.
#pragma once

#include "bridge.hpp"

#include <v8-external.h>
#include <v8-isolate.h>

#include <new>

namespace phost::v8rt {

inline const BridgeState& state_of(v8::Local<v8::Value> data) {
  return *static_cast<const BridgeState*>(data.As<v8::External>()->Value());
}

// Runs a callback body; an exception becomes a JS exception carrying its code.
template <class Body>
void callback(v8::Isolate* isolate, const BridgeState& state, Body&& body) noexcept {
  if (isolate->IsExecutionTerminating()) return;
  try {
    body();
  } catch (const Error& e) {
    state.errors->throw_error(isolate, e.what(), e.code());
  } catch (const std::bad_alloc&) {
    state.errors->throw_error(isolate, "out of memory", 507);
  } catch (const std::exception& e) {
    state.errors->throw_error(isolate, e.what(), 500);
  }
}

}  // namespace phost::v8rt
