#include "lockdown.hpp"

#include "embedded_source.hpp"
#include "json_shape.hpp"
#include "paren_depth.hpp"
#include "v8_text.hpp"

#include <v8-container.h>
#include <v8-function-callback.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

extern const unsigned char phost_bounded_js[];
extern const std::size_t phost_bounded_js_size;

namespace phost::v8rt {
namespace {

constexpr char kLockdown[] = R"JS(
'use strict';
(function lockdown(global) {
  const { defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf, preventExtensions } = Object;
  const ownKeys = Reflect.ownKeys;
  // What assignments commonly override. Not hasOwnProperty, isPrototypeOf or
  // propertyIsEnumerable: hot calls, slower through an accessor, and
  // overridden by class methods (a definition), not by assignment.
  const overridable = ['constructor', 'toString', 'toLocaleString', 'valueOf', 'name', 'message', 'toJSON'];
  const seen = new Set();
  // Overriding toString on a string or number is not done in practice, and
  // an accessor there slows every charCodeAt or slice (measured 3.8x).
  const primitives = new Set([String.prototype, Number.prototype, Boolean.prototype, Symbol.prototype,
                              BigInt.prototype]);
  // The prototypes on a typed array's chain: V8 gives typed arrays slow
  // element access when one of them is frozen with Object.freeze (44x).
  const typedArray = getPrototypeOf(Int8Array.prototype);
  // The typed array constructors, and their prototypes.
  const typedViews = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
                      Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  const typedProtos = typedViews.map((View) => View.prototype);
  const onTypedChain = (o) => o === Object.prototype || o === typedArray ||
                              (typeof o === 'object' && getPrototypeOf(o) === typedArray);

  // Object.freeze keeps an object's fast properties (one transition to a
  // frozen map); defineProperty one property at a time turns a prototype into
  // a dictionary, and its methods are then found by a hash lookup and never
  // inlined (String.prototype's: 2.2x slower). The typed array chain gets
  // Object.freeze's integrity without Object.freeze; Object.isFrozen is true
  // either way.
  function lock(o) {
    if (!onTypedChain(o)) {
      freeze(o);
      return;
    }
    for (const key of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, key);
      if (!d.configurable && (!('value' in d) || !d.writable)) continue;
      defineProperty(o, key, 'value' in d ? { writable: false, configurable: false } : { configurable: false });
    }
    preventExtensions(o);
  }

  // Prototypes whose constructor V8 watches: an accessor there turns off its
  // species protector for the whole isolate, and every map, filter, slice,
  // concat or then takes the slow path (map: 16x). Their constructor stays a
  // data property (assigning one on an array or a promise is not done).
  const species = new Set([Array.prototype, Promise.prototype, RegExp.prototype, ArrayBuffer.prototype, typedArray,
                           ...typedProtos]);
  if (typeof SharedArrayBuffer === 'function') species.add(SharedArrayBuffer.prototype);
  function tame(proto) {
    for (const key of overridable) {
      if (key === 'constructor' && species.has(proto)) continue;
      const d = getOwnPropertyDescriptor(proto, key);
      if (!d || !('value' in d) || !d.configurable) continue;
      const value = d.value;
      defineProperty(proto, key, {
        get() { return value; },
        set(replacement) {
          if (this === proto) throw new TypeError(`Cannot assign to '${key}' of a shared built-in`);
          defineProperty(this, key, { value: replacement, writable: true, enumerable: true, configurable: true });
        },
        enumerable: d.enumerable,
        configurable: false,
      });
    }
  }

  function harden(root) {
    const todo = [root];
    while (todo.length) {
      const o = todo.pop();
      if (o === null || o === undefined || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
      seen.add(o);
      for (const key of ownKeys(o)) {
        const d = getOwnPropertyDescriptor(o, key);
        if ('value' in d) todo.push(d.value); else todo.push(d.get, d.set);
      }
      todo.push(getPrototypeOf(o));
      if (typeof o === 'function' && o.prototype && typeof o.prototype === 'object' && !primitives.has(o.prototype))
        tame(o.prototype);
      lock(o);
    }
  }

  // Legacy RegExp statics would show one script the last match of another.
  for (const key of ['input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$`', 'rightContext',
                     "$'", '$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9'])
    delete RegExp[key];
  // WebAssembly memory is reserved outside the heap limit's reach.
  delete global.WebAssembly;
  // Atomics.waitAsync's waiters live outside the heap and past their call,
  // and nothing here runs the platform tasks that would settle them.
  delete Atomics.waitAsync;
  // captureStackTrace defines `stack` on any object, past the global's
  // interceptor: on the global object it would be a name shared by all scripts.
  const capture = Error.captureStackTrace;
  defineProperty(Error, 'captureStackTrace', {
    value: function captureStackTrace(target, constructorOpt) {
      if (target === global) throw new TypeError('captureStackTrace cannot target the global object');
      // Without a frame to stop at, stop at this wrapper: its frame is not the script's.
      return capture(target, constructorOpt === undefined ? captureStackTrace : constructorOpt);
    },
    writable: true, enumerable: false, configurable: true,
  });

  tame(Object.prototype);
  tame(Error.prototype);
  const segments = typeof Intl === 'object' && Intl.Segmenter ? new Intl.Segmenter().segment('a') : null;
  const hidden = [
    getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()), getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/x/[Symbol.matchAll]('')), getPrototypeOf(function* () {}),
    getPrototypeOf(async function () {}), getPrototypeOf(async function* () {}),
    getPrototypeOf(Int8Array),
    segments && getPrototypeOf(segments), segments && getPrototypeOf(segments[Symbol.iterator]()),
  ];
  for (const o of hidden) harden(o);
  // The global's own prototype (its template's, with a constructor): what a
  // script put there would answer every other script's undeclared names.
  harden(getPrototypeOf(global));
  for (const key of ownKeys(global)) {
    const d = getOwnPropertyDescriptor(global, key);
    if (!('value' in d)) continue;
    if (key !== 'globalThis') harden(d.value);  // the global itself: its properties are locked here
    if (d.configurable || d.writable) defineProperty(global, key, { writable: false, configurable: false });
  }
})
)JS";

void is_constructor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsObject() && info[0].As<v8::Object>()->IsConstructor());
}

// The own keys of the object info[0] that are not element indices, strings
// before symbols, V8's order: enumerable strings (info[1] 0), all strings
// (1) or every key (2). A typed array's elements are left out without
// being walked.
void named_keys(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() < 2 || !info[0]->IsObject() || !info[1]->IsInt32()) return;
  const int which = info[1].As<v8::Int32>()->Value();
  const auto filter = which == 0   ? static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS)
                      : which == 1 ? v8::SKIP_SYMBOLS
                                   : v8::ALL_PROPERTIES;
  v8::Local<v8::Array> keys;
  if (info[0]
          .As<v8::Object>()
          ->GetPropertyNames(info.GetIsolate()->GetCurrentContext(), v8::KeyCollectionMode::kOwnOnly, filter,
                             v8::IndexFilter::kSkipIndices, v8::KeyConversionMode::kConvertToString)
          .ToLocal(&keys))
    info.GetReturnValue().Set(keys);
}

// JSON.parse's check of a long text (json_shape.hpp): throws into the
// script when the text nests too deep or holds too many items.
void check_json_shape(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() < 1 || !info[0]->IsString()) return;
  json_shape_fits(info.GetIsolate(), info[0].As<v8::String>());
}

// Whether the parentheses of the string info[0] nest too deep for V8's
// regexp compiler (paren_depth.hpp).
void nests_too_deep(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() < 1 || !info[0]->IsString()) return;
  info.GetReturnValue().Set(parens_too_deep(info.GetIsolate(), info[0].As<v8::String>()));
}

// Compiles source (a function expression) as the built-ins' script and calls
// it with argv.
bool run(v8::Local<v8::Context> context, v8::Local<v8::String> source, std::initializer_list<v8::Local<v8::Value>> argv) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::String> name;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> function, result;
  if (!v8::String::NewFromUtf8(isolate, kBuiltinsFile.data(), v8::NewStringType::kNormal,
                               static_cast<int>(kBuiltinsFile.size()))
           .ToLocal(&name))
    return false;
  v8::ScriptOrigin origin(isolate, name);
  std::vector<v8::Local<v8::Value>> args(argv);
  return v8::Script::Compile(context, source, &origin).ToLocal(&script) && script->Run(context).ToLocal(&function) &&
         function->IsFunction() &&
         function.As<v8::Function>()
             ->Call(context, v8::Undefined(isolate), static_cast<int>(args.size()), args.data())
             .ToLocal(&result);
}

}  // namespace

bool lock_down(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  static EmbeddedSource bounded(phost_bounded_js, phost_bounded_js_size);
  v8::Local<v8::String> bounded_source, lockdown_source;
  v8::Local<v8::Function> json_shape_fn, constructor, named_keys_fn, too_deep_fn;
  return bounded.string(isolate).ToLocal(&bounded_source) &&
         v8::String::NewFromUtf8(isolate, kLockdown, v8::NewStringType::kNormal, sizeof kLockdown - 1)
             .ToLocal(&lockdown_source) &&
         v8::Function::New(context, check_json_shape, {}, 1, v8::ConstructorBehavior::kThrow).ToLocal(&json_shape_fn) &&
         v8::Function::New(context, is_constructor, {}, 1, v8::ConstructorBehavior::kThrow).ToLocal(&constructor) &&
         v8::Function::New(context, named_keys, {}, 2, v8::ConstructorBehavior::kThrow).ToLocal(&named_keys_fn) &&
         v8::Function::New(context, nests_too_deep, {}, 1, v8::ConstructorBehavior::kThrow).ToLocal(&too_deep_fn) &&
         run(context, bounded_source, {context->Global(), json_shape_fn, constructor, named_keys_fn, too_deep_fn}) &&
         run(context, lockdown_source, {context->Global()});
}

}  // namespace phost::v8rt
