// phost values <-> V8 values, directly through the ABI (no JSON text).
//
// Mapping (the README's table):
//   null <-> null (undefined -> null; undefined object properties are skipped)
//   bool <-> boolean
//   int  -> number when |i| <= 2^53, else BigInt; number with an integral value
//           in +-2^53 -> int; BigInt -> int when it fits int64, else an error
//   double <-> number (NaN and infinities are an error)
//   string <-> string (lone surrogates become U+FFFD)
//   bytes <-> Uint8Array (any ArrayBufferView, ArrayBuffer or SharedArrayBuffer is accepted)
//   array <-> Array (holes -> null); object <-> plain object (own enumerable string keys)
//   Date -> ISO 8601 string; Map -> object (string or number keys that stay distinct);
//   Set -> array; Error -> {name, message[, code][, stack]};
//   new Number/String/Boolean/BigInt(x) -> x
//   functions, symbols, promises, RegExps, Proxies, WeakMaps, WeakSets, cycles,
//   depth > 128 -> an error naming the path
//
// Both directions stop at the runtime's budgets (items, string and byte
// payload: a string referenced twice counts twice) and when the isolate is
// terminating. Bytes from outside are placed in V8 only within the heap
// limit: over it is a 507, never an abort.
#pragma once

#include <phost/value.hpp>

#include <v8-context.h>
#include <v8-local-handle.h>
#include <v8-value.h>

namespace phost::v8rt {

inline constexpr int kMaxDepth = 128;

struct ValueLimits {
  size_t items;
  size_t bytes;
};

// Throws phost::Error. A JS exception (from a getter) stays pending in the
// isolate: the caller's TryCatch has it.
v8::Local<v8::Value> to_v8(v8::Local<v8::Context> context, const phost_value* value, const ValueLimits& limits);
Value from_v8(v8::Local<v8::Context> context, v8::Local<v8::Value> value, const ValueLimits& limits);

}  // namespace phost::v8rt
