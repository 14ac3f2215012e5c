// phost values <-> V8 values, directly through the ABI (no JSON text).
//
// Mapping (documented in runtime/README.md):
//   null <-> null (undefined -> null; undefined object properties are skipped)
//   bool <-> boolean
//   int  -> number when |i| <= 2^53, else BigInt; number with an integral value
//           in +-2^53 -> int; BigInt -> int when it fits int64, else an error
//   double <-> number (NaN and infinities are an error)
//   string <-> string (lone surrogates become U+FFFD)
//   bytes <-> Uint8Array (any ArrayBufferView or ArrayBuffer is accepted)
//   array <-> Array (holes -> null); object <-> plain object (own enumerable string keys)
//   Date -> ISO 8601 string; Map -> object (string or number keys); Set -> array
//   functions, symbols, cycles, depth > 128 -> an error naming the path
#pragma once

#include <phost/plugin_api.h>

#include <v8-context.h>
#include <v8-local-handle.h>
#include <v8-value.h>

#include <stdexcept>
#include <string>

namespace phost::v8rt {

inline constexpr int kMaxDepth = 128;

// A value that cannot cross; code is HTTP-like.
struct ConversionError : std::runtime_error {
  ConversionError(int32_t code_, const std::string& message) : std::runtime_error(message), code(code_) {}
  int32_t code;
  std::string path;  // where in the value, e.g. ".items[3]"; filled while unwinding
};

// Throws ConversionError; a JS exception (from a getter) stays pending in the isolate.
v8::Local<v8::Value> to_v8(v8::Local<v8::Context> context, const phost_value* value);

// Returns a new reference. Throws ConversionError.
phost_value* from_v8(v8::Local<v8::Context> context, v8::Local<v8::Value> value);

}  // namespace phost::v8rt
