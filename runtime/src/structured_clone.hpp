// structuredClone through V8's own serializer: what it cannot clone
// (functions, symbols, SharedArrayBuffers, host objects) throws a
// DataCloneError in the context.
#pragma once

#include <phost/value.hpp>

#include <v8-context.h>
#include <v8-local-handle.h>
#include <v8-value.h>

namespace phost::v8rt {

// Empty with the exception pending when value cannot be cloned; throws
// phost::Error 507 when the copy cannot fit in the script heap.
v8::MaybeLocal<v8::Value> structured_clone(v8::Local<v8::Context> context, v8::Local<v8::Value> value);

}  // namespace phost::v8rt
