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
//   Date -> ISO 8601 string (invalid: null); Map -> object (string or number keys that stay distinct);
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

#include "result_reader.hpp"
#include "scratch.hpp"

#include <phost/value.hpp>

#include <v8-context.h>
#include <v8-function.h>
#include <v8-local-handle.h>
#include <v8-value.h>

#include <vector>

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
// The same, taking what the value spends out of left: values converted one
// after another (a call's arguments) share one budget.
Value from_v8_within(v8::Local<v8::Context> context, v8::Local<v8::Value> value, ValueLimits& left);
// The same for a value the fused result encoder wrote (ResultReader::Fused).
Value from_encoded(v8::Local<v8::Context> context, const ResultReader::Stream& stream, const ValueLimits& limits);

// A call's arguments (an array value), converted, and the call of a script's
// function with them: directly, or, when some are objects of a shape seen
// before, through a function made for the argument list's shape that builds
// those objects and calls it, one call from C++ instead of one per object
// (shape_cache.hpp). Throws phost::Error as to_v8. Lives in a HandleScope.
class CallArgs {
public:
  // trampoline: through a function made for the argument list's shape even
  // when no argument is an object (at most ShapeCache::kMaxCallArgs).
  CallArgs(v8::Local<v8::Context> context, const phost_value* args, const ValueLimits& limits,
           bool trampoline = false);
  CallArgs(const CallArgs&) = delete;
  CallArgs& operator=(const CallArgs&) = delete;

  // Whether the call goes through a shape's trampoline, which hands the
  // result to encoder (ResultReader::Fused::function(); empty: none).
  bool through_trampoline() const noexcept { return !via_.IsEmpty(); }
  v8::MaybeLocal<v8::Value> call(v8::Local<v8::Context> context, v8::Local<v8::Function> fn,
                                 v8::Local<v8::Function> encoder = {});

private:
  static constexpr size_t kInline = 16;
  v8::Local<v8::Value>* room(size_t n);

  v8::Local<v8::Function> via_;
  Scratch<v8::Local<v8::Value>, kInline> inline_;
  std::vector<v8::Local<v8::Value>> heap_;
  v8::Local<v8::Value>* values_ = inline_.data();
  size_t count_ = 0;
};

}  // namespace phost::v8rt
