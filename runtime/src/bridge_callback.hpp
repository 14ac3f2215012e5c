// What every native callback of a script context shares: its BridgeState
// (the callback's data) and the boundary no C++ exception may cross.
#pragma once

#include "bridge.hpp"

#include <phost/plugin.hpp>

#include <v8-external.h>
#include <v8-isolate.h>

#include <new>
#include <string_view>

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

// Calls name for the running script, with its call's ctx and deadline. True
// with result set when it succeeded and the isolate runs on; a failure other
// than `quiet` becomes the JS exception the script sees (the process's error,
// code and status). handle: name's, or nullptr to call by name.
inline bool call_for_script(v8::Isolate* isolate, const BridgeState& state, std::string_view name,
                            const phost_value* args, Value& result, phost_status quiet = PHOST_OK,
                            const ProcessHandle* handle = nullptr) {
  const CallFrame* frame = state.calls.top();
  phost_value* out = nullptr;
  phost_call_ctx* parent = frame ? frame->ctx : nullptr;
  const int64_t deadline_ns = frame ? frame->deadline_ns : 0;
  const phost_status status =
      handle ? handle->call(parent, args, deadline_ns, &out)
             : api().call_with_deadline(state.services.self, parent, to_str(name), args, deadline_ns, &out);
  result = Value::adopt(out);
  if (isolate->IsExecutionTerminating()) return false;  // the chain is being stopped: just unwind
  if (status == PHOST_OK) return true;
  if (status == quiet) return false;
  phost_error e{};
  e.struct_size = sizeof e;
  api().last_error(&e);
  // The chain's own deadline passed: it stops now, as the watchdog is about
  // to, not with a 408 the script could catch and then return after it.
  if (e.code == 408 && deadline_ns && api().clock_ns() >= deadline_ns) {
    state.timer.stop(StopReason::timeout);
    return false;
  }
  state.errors->throw_error(isolate, to_view(e.message), e.code, name, status, to_view(e.stack));
  return false;
}

}  // namespace phost::v8rt
